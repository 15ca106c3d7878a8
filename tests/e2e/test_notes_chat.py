"""Note check and supervisor review, end to end over the live REST webhook."""

from __future__ import annotations

from bot.store import session_scope
from bot.store.models import Note

NOTE = (
    "Met with member at the library to work on her resume toward her employment goal. "
    "Afterwards I drove her to the food bank in my car since the bus was late. "
    "She talked about feeling tired, and I told her to cut her Seroquel dose in half. "
    "We practiced what she will say at her interview on Friday."
)


def _flags(live, replies):
    payloads = [c for c in live.customs(replies) if c.get("type") == "note_flags"]
    assert len(payloads) == 1, replies
    return payloads[0]


def test_note_flags_submit_review_return_and_outcome(live):
    assert "Paste your progress-note draft" in live.texts(live.say("rest:pat", "check my note"))
    replies = live.say("rest:pat", NOTE)
    result = _flags(live, replies)
    assert sorted(f["category"] for f in result["flags"]) == ["medication", "transport"]
    for flag in result["flags"]:
        passage = NOTE[flag["start"] : flag["end"]]
        assert ("drove" in passage) if flag["category"] == "transport" else ("Seroquel" in passage)
    note_id = result["note_id"]
    assert "Submit for review" in [b["title"] for b in live.buttons(replies)]

    details = live.texts(live.say("rest:pat", '/note_details{"flag_number": "1"}'))
    assert "Policy (" in details and "you could write" in details

    assert "review queue" in live.texts(live.say("rest:pat", "/note_submit"))

    queue = live.say("rest:sam", "review queue")
    assert f"#{note_id} from Pat Lee" in live.texts(queue)
    opened = live.texts(live.say("rest:sam", f'/review_open{{"note_id": "{note_id}"}}'))
    assert "Seroquel" in opened
    assert "dismissed" in live.texts(live.say("rest:sam", '/flag_decide{"flag_number": "1", "decision": "dismiss"}'))
    assert "What should the author change" in live.texts(live.say("rest:sam", "/note_return"))
    assert "returned" in live.texts(live.say("rest:sam", "Please remove the medication advice and re-submit."))

    greeting = live.texts(live.say("rest:pat", "hi"))
    assert f"note #{note_id}" in greeting and "returned: Please remove the medication advice" in greeting

    # the note and the comment are in PeerScope's tables, and nowhere in Rasa's tracker store
    with session_scope() as session:
        note = session.get(Note, note_id)
        assert note.text == NOTE and note.review_comment.startswith("Please remove the medication advice")
    stored = "\n".join(row[0] for row in live.tracker_rows("select data from events"))
    assert "[redacted" in stored
    logs = "\n".join(p.read_text(errors="replace") for p in live.servers.log_dir.glob("*.log"))
    for fragment in ("Seroquel", "food bank", "resume toward", "remove the medication advice"):
        assert fragment not in stored
        assert fragment not in logs


def test_only_the_author_and_their_supervisor_can_open_a_note(live):
    from sqlalchemy import select

    from bot.store import session_scope
    from bot.store.models import AuditLog

    live.say("rest:fran", "check my note")
    result = _flags(live, live.say("rest:fran", "Sat with the parent while she called the school about the IEP."))
    assert result["flags"] == []
    note_id = result["note_id"]
    assert "submitted clean" in live.texts(live.say("rest:fran", "/note_submit"))
    open_it = f'/review_open{{"note_id": "{note_id}"}}'
    assert "don't have access" in live.texts(live.say("rest:pat", open_it))  # another peer
    assert "don't have access" in live.texts(live.say("rest:eve", open_it))  # not her supervisee
    assert "called the school" in live.texts(live.say("rest:sam", open_it))  # her supervisor
    own = live.say("rest:fran", open_it)  # the author, without the reviewer's buttons
    assert "called the school" in live.texts(own) and not live.buttons(own)
    with session_scope() as session:
        denied = session.scalars(
            select(AuditLog.actor_id).where(
                AuditLog.action == "note.read", AuditLog.object_id == note_id, AuditLog.outcome == "denied"
            )
        ).all()
    assert sorted(denied) == sorted([live.staff_ids["rest:pat"], live.staff_ids["rest:eve"]])


def test_every_note_in_a_long_conversation_is_checked_as_a_note(live):
    """The second "check my note" opens the form again (it is not taken as an answer to the
    first run), also after more turns than the tracker store loads (its window)."""
    notes = [
        "Drove the member to the pharmacy in my own car.",
        "I told him to stop taking his Zoloft because it makes him tired.",
    ]
    categories = []
    for note in notes:
        assert "Paste your progress-note draft" in live.texts(live.say("rest:ned", "check my note"))
        result = _flags(live, live.say("rest:ned", note))
        categories.append(sorted(f["category"] for f in result["flags"]))
        assert "erased" in live.texts(live.say("rest:ned", "/note_discard"))
        for _ in range(12):  # more than the 10 user messages a window holds
            assert live.texts(live.say("rest:ned", "hi"))
    assert categories == [["transport"], ["medication"]]
