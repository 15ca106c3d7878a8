"""The review feature's API for chat: the supervisor's queue, a note opened for review,
decisions on flags and notes, and the outcome lines an author sees when they come back.

One database session per call; the returned copy is built here from the records, once.
Errors to show are raised as ``NoteError``, ``AccessDenied`` or ``NotFound``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.notes.service import flag_summary
from bot.store import notes as note_repo
from bot.store import session_scope
from bot.store.access import AccessDenied, NotFound
from bot.store.models import Staff

NoteError = note_repo.NoteError
ERRORS = (NoteError, NotFound, AccessDenied)


def when(moment) -> str:
    return f"{moment:%a %d %b}" if moment else "an earlier day"


def outcome_messages(staff_id: int) -> list[str]:
    """One line per decided note the author has not seen yet (they are then marked seen)."""
    with session_scope() as session:
        author = session.get(Staff, staff_id)
        lines = []
        for note in note_repo.take_unseen_outcomes(session, author):
            if note.status.value == "approved":
                lines.append(f"Your note #{note.id} from {when(note.submitted_at)} was approved.")
            else:
                lines.append(f"Your note #{note.id} from {when(note.submitted_at)} was returned: {note.review_comment}")
        return lines


@dataclass(frozen=True)
class Queue:
    note_ids: list[int]
    text: str  # the list, oldest first ("" when empty)


def queue(staff_id: int) -> Queue:
    """The reviewer's queue of submitted notes with flags."""
    with session_scope() as session:
        items = note_repo.review_queue(session, session.get(Staff, staff_id))
    if not items:
        return Queue([], "")
    lines = [f"{len(items)} note(s) waiting, oldest first:"]
    lines += [
        f"#{item.note_id} from {item.author_name}, submitted {when(item.submitted_at)}: "
        f"{item.flags} flag(s), {item.open_flags} not yet reviewed"
        for item in items
    ]
    return Queue([item.note_id for item in items], "\n".join(lines))


@dataclass(frozen=True)
class OpenNote:
    note_id: int
    text: str  # the note with its flags (phi)
    flag_count: int
    can_decide: bool  # the reader may review it (a supervisor who is not the author)


def open_note(reader_id: int, note_id: int, reviewer: bool) -> OpenNote:
    """The note with its flags, for anyone the access check lets read it (the read is
    audited, and so is a refusal)."""
    with session_scope() as session:
        note = note_repo.read(session, session.get(Staff, reader_id), int(note_id))
        lines = [f"Note #{note.id} by {note.author.name}:", note.text, "", "Flags:"]
        for n, flag in enumerate(note.flags, 1):
            lines.append(f"{flag_summary(n, flag, note.text)} [{flag.status.value}]")
            lines.append(f"   Why: {flag.reason}")
        return OpenNote(note.id, "\n".join(lines), len(note.flags), reviewer and note.author_id != reader_id)


def decide_flag(reviewer_id: int, note_id: int, number: int, confirm: bool) -> None:
    with session_scope() as session:
        note_repo.decide_flag(session, session.get(Staff, reviewer_id), int(note_id), int(number), confirm)


def approve(reviewer_id: int, note_id: int) -> None:
    with session_scope() as session:
        note_repo.decide_note(session, session.get(Staff, reviewer_id), int(note_id), approve=True)


def return_note(reviewer_id: int, note_id: int, comment: str) -> None:
    """Return a note to its author with the reviewer's comment (stored, never slotted)."""
    with session_scope() as session:
        note_repo.decide_note(session, session.get(Staff, reviewer_id), int(note_id), approve=False, comment=comment)
