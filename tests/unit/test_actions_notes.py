"""The note actions with fake trackers (tests/unit/fake_tracker.py) on the real database:
paste a note in the form, see the flags, ask for a flag's details, submit or discard."""

from __future__ import annotations

from actions.notes import ActionNoteChecked, ActionNoteDetails, ActionNoteDiscard, ActionNoteSubmit, ValidateNoteForm
from bot.store import session_scope
from bot.store.models import Note, NoteStatus
from bot.textlimits import MAX_MESSAGE_CHARS
from tests.unit.fake_tracker import linked, responses, run, slots, tracker

CLEAN = "Met with the participant at the library. We talked about her goals for the week and practised a budget."
FLAGGED = "I drove her to the pharmacy and told her she should double her medication dose before bed."


def _paste(sender: str, text: str, **slot_values) -> tuple[list[dict], dict]:
    messages, events = run(
        ValidateNoteForm(),
        tracker(sender, text, "check_note", {"note_mode": "new", **slot_values}, loop="note_form", inside_loop=True),
    )
    return messages, slots(events)


def _after_check(note_id: float) -> dict:
    return {"note_id": note_id, "note_received": True}


def test_an_unlinked_account_is_refused_and_nothing_is_stored(db_url):
    messages, filled = _paste("rest:nobody", CLEAN)
    assert responses(messages) == ["utter_notes_not_linked"]
    assert filled["note_received"] is False
    with session_scope() as s:
        assert s.query(Note).count() == 0


def test_a_clean_note_is_checked_and_submitted_clean(db_url):
    linked("Pat Peer", "pat")
    messages, filled = _paste("rest:pat", CLEAN)
    assert messages == [] and filled["note_received"] is True
    note_id = filled["note_id"]

    messages, events = run(ActionNoteChecked(), tracker("rest:pat", slots=_after_check(note_id)))
    assert responses(messages)[0] == "utter_note_clean"
    assert messages[0]["note_number"] == int(note_id)
    assert [b["payload"] for b in messages[0]["buttons"]][0] == "/note_submit"
    assert messages[1]["custom"] == {"type": "note_flags", "note_id": int(note_id), "flags": []}
    assert slots(events) == {"note_received": None}

    messages, events = run(ActionNoteSubmit(), tracker("rest:pat", slots={"note_id": note_id}))
    assert responses(messages) == ["utter_note_submitted_clean"]
    assert slots(events) == {"note_id": None, "note_mode": None}
    with session_scope() as s:
        assert s.get(Note, int(note_id)).status == NoteStatus.submitted


def test_a_flagged_note_lists_its_flags_explains_one_and_goes_to_review(db_url):
    boss = linked("Dana Boss", "dana", role="supervisor")
    linked("Pat Peer", "pat", supervisor_id=boss)
    _, filled = _paste("rest:pat", FLAGGED)
    note_id = filled["note_id"]

    messages, _ = run(ActionNoteChecked(), tracker("rest:pat", slots=_after_check(note_id)))
    listed = messages[0]
    assert listed["phi"] is True  # it quotes the note: the tracker store redacts it
    assert f"Note #{int(note_id)}:" in listed["text"] and "may be out of scope" in listed["text"]
    assert "Transportation" in listed["text"] and "Medication advice" in listed["text"]
    assert listed["buttons"][0]["payload"] == '/note_details{"flag_number": "1"}'
    categories = {f["category"] for f in messages[1]["custom"]["flags"]}
    assert {"transport", "medication"} <= categories

    messages, events = run(ActionNoteDetails(), tracker("rest:pat", slots={"note_id": note_id, "flag_number": "1"}))
    assert "Why: " in messages[0]["text"] and "In scope, you could write:" in messages[0]["text"]
    assert messages[0]["phi"] is True and slots(events) == {"flag_number": None}
    messages, _ = run(ActionNoteDetails(), tracker("rest:pat", slots={"note_id": note_id, "flag_number": "9"}))
    assert responses(messages) == ["utter_note_flag_count"] and messages[0]["note_number"] == int(note_id)

    messages, _ = run(ActionNoteSubmit(), tracker("rest:pat", slots={"note_id": note_id}))
    assert responses(messages) == ["utter_note_sent_for_review"]
    # a second submit of the same note is refused with the store's message
    messages, _ = run(ActionNoteSubmit(), tracker("rest:pat", slots={"note_id": note_id}))
    assert messages[0]["response"] is None and f"#{int(note_id)}" in messages[0]["text"]


def test_more_text_is_appended_and_a_note_too_long_is_refused(db_url):
    linked("Pat Peer", "pat")
    _, filled = _paste("rest:pat", CLEAN)
    note_id = filled["note_id"]
    _, again = _paste("rest:pat", "She wants to join a walking group.", note_mode="append", note_id=note_id)
    assert again["note_id"] == note_id
    with session_scope() as s:
        assert s.get(Note, int(note_id)).text == CLEAN + "\nShe wants to join a walking group."

    messages, filled = _paste("rest:pat", "x " * MAX_MESSAGE_CHARS)
    assert responses(messages) == ["utter_note_too_long"]
    assert messages[0]["limit"] == f"{MAX_MESSAGE_CHARS:,}" and filled == {"note_received": None}


def test_the_form_does_not_take_cancel_or_the_opening_message(db_url):
    linked("Pat Peer", "pat")
    messages, events = run(
        ValidateNoteForm(), tracker("rest:pat", "cancel", "cancel", loop="note_form", inside_loop=True)
    )
    assert messages == [] and "note_id" not in slots(events)


def test_discarding_erases_the_draft(db_url):
    linked("Pat Peer", "pat")
    _, filled = _paste("rest:pat", CLEAN)
    messages, events = run(ActionNoteDiscard(), tracker("rest:pat", slots={"note_id": filled["note_id"]}))
    assert responses(messages) == ["utter_note_discarded"]
    with session_scope() as s:
        note = s.get(Note, int(filled["note_id"]))
        assert note.status == NoteStatus.discarded and note.text == ""
    messages, _ = run(ActionNoteDiscard(), tracker("rest:pat"))
    assert responses(messages) == ["utter_no_note_open"]
