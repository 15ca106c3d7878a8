"""The notes feature's API for chat: check a pasted draft (new, appended or replaced),
show its flags, explain one flag, submit or discard it.

Each function opens one database session (one per chat turn) and returns plain values
or finished text built from the note; note text goes only into the returned copy the
caller marks ``phi``, never into logs or exceptions. Errors a user can act on are raised
as :class:`NoteError`, ``AccessDenied`` or ``NotFound`` with a message safe to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.store import notes as note_repo
from bot.store import session_scope
from bot.store.access import AccessDenied, NotFound
from bot.store.models import Staff
from bot.textlimits import MAX_MESSAGE_CHARS

NoteError = note_repo.NoteError
ERRORS = (NoteError, NotFound, AccessDenied)

CATEGORY_LABELS = {
    "diagnosis": "Diagnosis",
    "medication": "Medication advice",
    "errands": "Errands / tasks for them",
    "transport": "Transportation",
    "legal": "Legal advice",
    "possessions": "Holding belongings",
    "gifts": "Gifts and money",
    "relationship": "Dual relationship",
    "risk": "Risk of harm",
}


def flag_summary(number: int, flag: Any, text: str) -> str:
    excerpt = text[flag.start : flag.end].strip()
    if len(excerpt) > 160:
        excerpt = excerpt[:157] + "..."
    return f'{number}. {CATEGORY_LABELS.get(flag.category, flag.category)}: "{excerpt}"'


def risk_about(text: str) -> str:
    """Whom a note's risk is about (self, client, unknown), for the risk alert the note
    raises. Never raises: the alert goes out as "unknown" if this fails."""
    try:
        from bot.notes.risk import risk_in

        finding = risk_in(text)
    except Exception:
        return "unknown"
    return finding.about if finding else "unknown"


@dataclass(frozen=True)
class Received:
    note_id: int | None  # the draft saved and checked; None when nothing was saved
    too_long: int | None = None  # the note's length when it is over the limit


def receive(staff_id: int, text: str, mode: str = "new", note_id: int | None = None) -> Received:
    """Check ``text`` as a new draft, as more text for the open draft (``mode`` "append")
    or as its replacement ("replace"), and save it with its flags. A risk-of-harm flag
    raises a risk alert (bot.store.notes.save_draft)."""
    with session_scope() as session:
        author = session.get(Staff, staff_id)
        if mode == "new" or note_id is None:
            full_text, target = text, None
        else:
            existing = note_repo.own_draft(session, author, int(note_id))
            full_text = f"{existing.text}\n{text}" if mode == "append" else text
            target = existing.id
        if len(full_text) > MAX_MESSAGE_CHARS:
            return Received(None, too_long=len(full_text))
        from bot.notes import get_checker  # loads spaCy on first use, not at import

        flags = [f.to_dict() for f in get_checker().check(full_text)]
        about = risk_about(full_text) if note_repo.has_risk(flags) else None
        note = note_repo.save_draft(session, author, full_text, flags, note_id=target, risk_about=about)
        return Received(note.id)


@dataclass(frozen=True)
class Checked:
    note_id: int
    flag_count: int
    text: str | None  # the flags, quoting the note (phi); None when there are none
    flags: list[dict]  # category, start, end of each flag (no note text)


RISK_WARNING = (
    "⚠️ This note describes a risk of harm: tell your supervisor now. "
    "988 Suicide & Crisis Lifeline: call or text 988. I've recorded a risk "
    "alert for your supervisor (only that it happened and when, not the note's words)."
)


def checked(staff_id: int, note_id: int) -> Checked:
    """The result of a check, for the author: the flags listed with the passages they quote."""
    with session_scope() as session:
        note = note_repo.read(session, session.get(Staff, staff_id), int(note_id))
        flags = list(note.flags)
        text = None
        if flags:
            lines = [f"Note #{note.id}: {len(flags)} passage(s) may be out of scope:"]
            lines += [flag_summary(n, f, note.text) for n, f in enumerate(flags, 1)]
            if any(f.category == "risk" for f in flags):
                lines.append(RISK_WARNING)
            lines.append("Tap a flag for the policy and a way to rewrite it.")
            text = "\n".join(lines)
        spans = [{"category": f.category, "start": f.start, "end": f.end} for f in flags]
        return Checked(note.id, len(flags), text, spans)


@dataclass(frozen=True)
class FlagDetails:
    note_id: int
    flag_count: int
    text: str | None  # the flag explained (phi); None when there is no flag of that number


def flag_details(staff_id: int, note_id: int, number: int) -> FlagDetails:
    """Flag ``number`` (1-based) of a note: the passage, why, the policy quotes, a rewrite."""
    with session_scope() as session:
        note = note_repo.read(session, session.get(Staff, staff_id), int(note_id))
        if not 1 <= number <= len(note.flags):
            return FlagDetails(note.id, len(note.flags), None)
        flag = note.flags[number - 1]
        lines = [flag_summary(number, flag, note.text), f"Why: {flag.reason}"]
        lines += [f"Policy ({c['source']}, {c['section']}): \"{c['quote']}\"" for c in flag.citations]
        lines.append(f"In scope, you could write: {flag.suggestion}")
        return FlagDetails(note.id, len(note.flags), "\n".join(lines))


def submit(staff_id: int, note_id: int) -> tuple[int, bool]:
    """Submit a draft: (note id, whether it has flags and so goes to the review queue)."""
    with session_scope() as session:
        note = note_repo.submit(session, session.get(Staff, staff_id), int(note_id))
        return note.id, bool(note.flags)


def discard(staff_id: int, note_id: int) -> None:
    """Discard a draft: its text is erased."""
    with session_scope() as session:
        note_repo.discard(session, session.get(Staff, staff_id), int(note_id))
