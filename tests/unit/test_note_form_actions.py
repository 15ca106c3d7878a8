"""Opening the note form: validate_note_form sets the mode and the ask action gives the
prompt, so no separate set-up action (and no second validation call) is needed."""

from __future__ import annotations

import pytest
from rasa.shared.core.domain import Domain
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.notes import PROMPTS, ActionAskNoteReceived, ValidateNoteForm
from bot.paths import PROJECT_ROOT


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(PROJECT_ROOT / "domain")).as_dict()


def _tracker(intent: str, events: list[dict], slots: dict | None = None) -> Tracker:
    latest = {"intent": {"name": intent}, "text": "check my note"}
    return Tracker(
        "rest:pat",
        {"note_id": None, "note_mode": None, "note_received": None, **(slots or {})},
        latest,
        events,
        False,
        None,
        {"name": "note_form"},
        "note_form",
    )


OPENING = [
    {"event": "user", "text": "check my note"},
    {"event": "action", "name": "note_form"},
    {"event": "active_loop", "name": "note_form"},
]


@pytest.mark.parametrize(
    "intent, draft, mode",
    [
        ("check_note", None, "new"),
        ("note_add", 3.0, "append"),
        ("note_revise", 3.0, "replace"),
        ("note_add", None, "new"),  # no draft open: a new note
    ],
)
async def test_opening_the_form_sets_the_mode_and_asks_for_the_note(domain, intent, draft, mode):
    tracker = _tracker(intent, [{"event": "user", "text": "check my note"}], {"note_id": draft})
    events = await ValidateNoteForm().run(CollectingDispatcher(), tracker, domain)
    assert SlotSet("note_mode", mode) in events and SlotSet("note_received", None) in events
    dispatcher = CollectingDispatcher()
    ActionAskNoteReceived().run(dispatcher, _tracker(intent, OPENING, {"note_mode": mode}), domain)
    assert [m["response"] for m in dispatcher.messages] == [PROMPTS[mode]]


def test_the_prompt_is_not_repeated_inside_the_form(domain):
    dispatcher = CollectingDispatcher()
    events = OPENING + [{"event": "user", "text": "a note far too long"}, {"event": "action", "name": "note_form"}]
    ActionAskNoteReceived().run(dispatcher, _tracker("ask_policy", events, {"note_mode": "new"}), domain)
    assert dispatcher.messages == []
