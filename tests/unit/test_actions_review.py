"""The review actions with fake trackers on the real database: the queue, opening a note,
deciding a flag, approving, returning with a comment, and the author told on "hi"."""

from __future__ import annotations

from actions.core import ActionGreet
from actions.review import (
    ActionFlagDecide,
    ActionNoteApprove,
    ActionReviewOpen,
    ActionReviewQueue,
    ValidateReviewCommentForm,
)
from bot.notes import service as notes
from bot.store import session_scope
from bot.store.models import FlagStatus, Note, NoteStatus
from tests.unit.fake_tracker import linked, responses, run, slots, tracker

FLAGGED = "I drove her to the pharmacy and told her she should double her medication dose before bed."


def _team() -> tuple[int, int, int]:
    boss = linked("Dana Boss", "dana", role="supervisor")
    pat = linked("Pat Peer", "pat", supervisor_id=boss)
    note_id = notes.receive(pat, FLAGGED).note_id
    notes.submit(pat, note_id)
    return boss, pat, note_id


def test_a_peer_has_no_review_queue(db_url):
    linked("Pat Peer", "pat")
    for action in (ActionReviewQueue(), ActionNoteApprove(), ActionFlagDecide()):
        messages, _ = run(action, tracker("rest:pat", slots={"review_note_id": 1.0, "flag_number": "1"}))
        assert responses(messages) == ["utter_review_not_supervisor"]


def test_the_queue_lists_a_submitted_note_and_opens_it_with_decisions(db_url):
    _, _, note_id = _team()
    messages, events = run(ActionReviewQueue(), tracker("rest:dana"))
    assert messages[0]["text"].startswith("1 note(s) waiting, oldest first:")
    assert f"#{note_id} from Pat Peer" in messages[0]["text"]
    assert messages[0]["buttons"] == [
        {"title": f"Open #{note_id}", "payload": f'/review_open{{"note_id": "{note_id}"}}'}
    ]
    assert slots(events) == {"review_note_id": None}

    messages, _ = run(ActionReviewOpen(), tracker("rest:dana", slots={"review_note_id": float(note_id)}))
    assert messages[0]["phi"] is True and FLAGGED in messages[0]["text"]
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert '/flag_decide{"flag_number": "1", "decision": "confirm"}' in payloads
    assert payloads[-2:] == ["/note_approve", "/note_return"]
    # the author may read it, without decision buttons
    messages, _ = run(ActionReviewOpen(), tracker("rest:pat", slots={"review_note_id": float(note_id)}))
    assert messages[0]["buttons"] == []


def test_deciding_a_flag_and_approving(db_url):
    _, pat, note_id = _team()
    decided = {"review_note_id": float(note_id), "flag_number": "1", "decision": "dismiss"}
    messages, events = run(ActionFlagDecide(), tracker("rest:dana", slots=decided))
    assert responses(messages) == ["utter_flag_dismissed"] and messages[0]["flag_number_shown"] == 1
    assert slots(events) == {"flag_number": None, "decision": None}
    messages, events = run(ActionNoteApprove(), tracker("rest:dana", slots={"review_note_id": float(note_id)}))
    assert responses(messages) == ["utter_note_approved"] and messages[0]["note_number"] == note_id
    with session_scope() as s:
        note = s.get(Note, note_id)
        assert note.status == NoteStatus.approved and note.flags[0].status == FlagStatus.dismissed
    messages, _ = run(ActionGreet(), tracker("rest:pat", "hi", "greet"))
    assert responses(messages)[0] == "utter_greet_staff" and messages[0]["first_name"] == "Pat"
    assert f"Your note #{note_id} from " in messages[1]["text"] and "was approved" in messages[1]["text"]
    # a decided note is not decided again: the store's message is shown
    messages, _ = run(ActionNoteApprove(), tracker("rest:dana", slots={"review_note_id": float(note_id)}))
    assert "not waiting for review" in messages[0]["text"]


def test_returning_a_note_with_a_comment(db_url):
    _, _, note_id = _team()
    comment_slots = {"review_note_id": float(note_id)}
    loop = {"loop": "review_comment_form", "slots": comment_slots}
    messages, events = run(ValidateReviewCommentForm(), tracker("rest:dana", "cancel", "cancel", **loop))
    assert messages == [] and events == []  # the message that opened the form is not the comment
    comment = "Please leave out the medication advice and describe the ride as a referral."
    messages, events = run(
        ValidateReviewCommentForm(), tracker("rest:dana", comment, "inform", inside_loop=True, **loop)
    )
    assert responses(messages) == ["utter_note_returned"]
    assert slots(events) == {"review_comment_done": True}
    with session_scope() as s:
        note = s.get(Note, note_id)
        assert note.status == NoteStatus.returned and note.review_comment == comment
    messages, _ = run(ActionGreet(), tracker("rest:pat", "hi", "greet"))
    assert messages[1]["text"].endswith(f"was returned: {comment}") and messages[1]["phi"] is True


def test_an_unlinked_greeting(db_url):
    messages, _ = run(ActionGreet(), tracker("rest:nobody", "hi", "greet"))
    assert responses(messages) == ["utter_greet_unlinked"]
