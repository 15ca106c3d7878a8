"""The tracker store keeps note text out of Rasa's events table."""

from __future__ import annotations

import json

from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, UserUttered

from addons.tracker_store import REDACTED, redact_events

NOTE = "Drove member to her sister's house; she is on 200 mg of sertraline."


def _events():
    return [
        UserUttered("check my note", intent={"name": "check_note", "confidence": 0.99}),
        ActionExecuted("action_note_prepare"),
        ActiveLoop("note_form"),
        UserUttered(
            NOTE,
            intent={"name": "ask_policy", "confidence": 0.4},
            parse_data={
                "text": NOTE,
                "intent": {"name": "ask_policy"},
                "entities": [{"entity": "x", "value": "sertraline"}],
            },
        ),
        ActiveLoop(None),
        BotUttered('1. Transportation: "Drove member to her sister\'s house"', metadata={"phi": True}),
        BotUttered("Tap a flag for details."),
        UserUttered("submit it", intent={"name": "note_submit", "confidence": 0.98}),
    ]


def test_messages_inside_note_forms_and_marked_replies_are_redacted():
    events = _events()
    stored = list(redact_events(events, 0, {"note_form"}))
    dump = json.dumps([e.as_dict() for e in stored])
    assert "sertraline" not in dump and "sister" not in dump
    assert stored[3].text == REDACTED and stored[3].intent_name == "ask_policy"
    assert stored[5].text == REDACTED
    # short messages with allow-listed intents, and ordinary bot messages, are kept
    assert stored[6].text == "Tap a flag for details."
    assert stored[7].text == "submit it"
    # the in-memory events the actions use are untouched
    assert events[3].text == NOTE


def test_only_new_events_are_returned_but_the_loop_state_comes_from_all():
    events = _events()
    stored = list(redact_events(events, 3, {"note_form"}))
    assert len(stored) == len(events) - 3
    assert stored[0].text == REDACTED  # the loop was opened by an event saved earlier


def test_a_risk_disclosure_is_redacted_outside_any_form():
    said = UserUttered(
        "my client told me she has pills saved up to end it", intent={"name": "risk_disclosure", "confidence": 1.0}
    )
    (stored,) = redact_events([said], 0, {"note_form"})
    assert stored.text == REDACTED and "pills" not in json.dumps(stored.as_dict())


def _said(text: str, intent: str, metadata: dict | None = None) -> UserUttered:
    return UserUttered(text, intent={"name": intent, "confidence": 0.9}, metadata=metadata)


def test_user_text_is_redacted_unless_it_is_a_short_allow_listed_message():
    said = [
        _said("hi there", "greet"),
        _said("can I drive Maria Lopez to her psychiatrist on Tuesday?", "ask_policy"),
        _said("resume plan for J.D.", "wrsp_resume"),
        _said("check my note: Met J.D. at the clinic, she is on lithium", "check_note"),
        _said("hello, " + "my client told me about her diagnosis and her meds " * 3, "greet"),
        _said('/pick_rule{"rule_id": "rides_personal_vehicle"}', "pick_rule"),
        _said("yes", "wrsp_confirm", metadata={"telegram_name": "Dana Client"}),
    ]
    stored = list(redact_events(said, 0, {"note_form"}))
    dump = json.dumps([e.as_dict() for e in stored])
    for secret in ("Maria", "J.D.", "lithium", "diagnosis", "Dana"):
        assert secret not in dump
    assert [e.text == REDACTED for e in stored] == [False, True, True, True, True, False, False]
    assert all(not e.metadata for e in stored)
    assert stored[1].intent_name == "ask_policy"  # the intent survives for the dialogue policy
