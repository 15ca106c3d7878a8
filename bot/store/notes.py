"""Progress notes, their flags, and supervisors' reviews."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bot.store import access, alerts, audit
from bot.store.models import FlagStatus, Note, NoteFlag, NoteStatus, Review, Role, Staff, utcnow

RISK = "risk"  # the flag category that raises a risk alert (``risk_possible`` does not)


class NoteError(ValueError):
    """A note operation that cannot be done as asked. The message is safe to show."""


def _flag_rows(flags: Iterable[dict]) -> list[NoteFlag]:
    return [
        NoteFlag(
            category=f["category"],
            start=f["start"],
            end=f["end"],
            reason=f["reason"],
            suggestion=f["suggestion"],
            citations=list(f.get("citations") or []),
        )
        for f in flags
    ]


def save_draft(
    session: Session,
    author: Staff,
    text: str,
    flags: Iterable[dict],
    note_id: int | None = None,
    risk_about: str | None = None,
) -> Note:
    """Create a draft, or replace the text and flags of the author's existing draft.

    A check with a risk-of-harm flag (category ``risk``; not ``risk_possible``, which only
    asks the author to check) raises one risk alert for the author's supervisor, as a
    risk in chat does: one per note, however many risk flags it has, and not again when
    a draft that already had a risk flag is checked again. ``risk_about`` is whom the
    risk is about (``self``, ``client``; default ``unknown``), if the caller knows."""
    had_risk = False
    if note_id is None:
        note = Note(author_id=author.id, text=text, status=NoteStatus.draft)
        session.add(note)
    else:
        note = own_draft(session, author, note_id)
        had_risk = any(f.category == RISK for f in note.flags)
        note.text = text
        note.flags.clear()
    note.flags.extend(_flag_rows(flags))
    session.flush()
    audit.record(
        session,
        "note.check",
        actor_id=author.id,
        object_type="note",
        object_id=note.id,
        detail={"flags": len(note.flags)},
    )
    if not had_risk and any(f.category == RISK for f in note.flags):
        alerts.raise_alert(session, author.id, risk_about or "unknown", source="note", note_id=note.id)
    return note


def has_risk(flags: Iterable[dict]) -> bool:
    """Whether checked flags include a risk-of-harm flag (the kind that raises an alert)."""
    return any(f.get("category") == RISK for f in flags)


def own_draft(session: Session, author: Staff, note_id: int) -> Note:
    note = session.get(Note, note_id)
    if note is None or note.status == NoteStatus.discarded:
        raise access.NotFound(f"no note #{note_id}")
    if note.author_id != author.id:
        access.check(session, author, note.author, "note.edit", "note", note_id)  # audits and raises
    if note.status not in (NoteStatus.draft, NoteStatus.returned):
        raise NoteError(f"note #{note_id} was already submitted")
    return note


def submit(session: Session, author: Staff, note_id: int) -> Note:
    note = own_draft(session, author, note_id)
    note.status = NoteStatus.submitted
    note.submitted_at = utcnow()
    note.decided_at = note.review_comment = note.outcome_seen_at = None
    for flag in note.flags:
        flag.status = FlagStatus.open
    audit.record(session, "note.submit", actor_id=author.id, object_type="note", object_id=note.id)
    return note


def discard(session: Session, author: Staff, note_id: int) -> None:
    """Discard a draft: the text is erased, the row stays for the audit trail."""
    note = own_draft(session, author, note_id)
    note.status = NoteStatus.discarded
    note.text = ""
    note.flags.clear()
    audit.record(session, "note.discard", actor_id=author.id, object_type="note", object_id=note.id)


def read(session: Session, actor: Staff, note_id: int) -> Note:
    """A note for someone allowed to see it; every attempt is audited."""
    note = session.get(Note, note_id)
    if note is None or note.status == NoteStatus.discarded:
        audit.record(
            session, "note.read", actor_id=actor.id, object_type="note", object_id=note_id, outcome="not_found"
        )
        raise access.NotFound(f"no note #{note_id}")
    access.check(session, actor, note.author, "note.read", "note", note_id)
    return note


@dataclass(frozen=True)
class QueueItem:
    note_id: int
    author_name: str
    submitted_at: object
    flags: int
    open_flags: int


def review_queue(session: Session, reviewer: Staff) -> list[QueueItem]:
    """Submitted notes with flags, from the reviewer's supervisees (all staff for admins), oldest first."""
    if reviewer.role not in (Role.supervisor, Role.admin):
        access.deny(session, "review.queue", "only supervisors have a review queue", actor_id=reviewer.id)
    open_count = func.sum(case((NoteFlag.status == FlagStatus.open, 1), else_=0))
    query = (
        select(Note.id, Staff.name, Note.submitted_at, func.count(NoteFlag.id), open_count)
        .join(Staff, Staff.id == Note.author_id)
        .join(NoteFlag, NoteFlag.note_id == Note.id)
        .where(Note.status == NoteStatus.submitted)
        .group_by(Note.id, Staff.name, Note.submitted_at)
        .order_by(Note.submitted_at, Note.id)
    )
    if reviewer.role != Role.admin:
        query = query.where(Note.author_id.in_(access.team(reviewer)))
    audit.record(session, "review.queue", actor_id=reviewer.id)
    return [QueueItem(*row[:4], open_flags=int(row[4] or 0)) for row in session.execute(query)]


def _reviewable(session: Session, reviewer: Staff, note_id: int) -> Note:
    note = read(session, reviewer, note_id)
    if reviewer.role not in (Role.supervisor, Role.admin) or reviewer.id == note.author_id:
        audit.record(
            session, "review.decide", actor_id=reviewer.id, object_type="note", object_id=note_id, outcome="denied"
        )
        session.commit()
        raise access.AccessDenied("only the author's supervisor can review this note")
    if note.status != NoteStatus.submitted:
        raise NoteError(f"note #{note_id} is not waiting for review")
    return note


def decide_flag(session: Session, reviewer: Staff, note_id: int, flag_number: int, confirm: bool) -> NoteFlag:
    """Confirm or dismiss flag number ``flag_number`` (1-based, in note order)."""
    note = _reviewable(session, reviewer, note_id)
    if not 1 <= flag_number <= len(note.flags):
        raise NoteError(f"note #{note_id} has flags 1 to {len(note.flags)}")
    flag = note.flags[flag_number - 1]
    flag.status = FlagStatus.confirmed if confirm else FlagStatus.dismissed
    flag.reviewed_by_id = reviewer.id
    flag.reviewed_at = utcnow()
    audit.record(
        session,
        "review.flag",
        actor_id=reviewer.id,
        object_type="note",
        object_id=note_id,
        detail={"flag": flag.id, "status": flag.status.value},
    )
    return flag


def decide_note(session: Session, reviewer: Staff, note_id: int, approve: bool, comment: str | None = None) -> Note:
    note = _reviewable(session, reviewer, note_id)
    if not approve and not (comment or "").strip():
        raise NoteError("say what to change when you return a note")
    decision = "approved" if approve else "returned"
    note.status = NoteStatus.approved if approve else NoteStatus.returned
    note.decided_at = utcnow()
    note.review_comment = (comment or "").strip() or None
    note.outcome_seen_at = None
    review = Review(note_id=note.id, reviewer_id=reviewer.id, decision=decision, comment=note.review_comment)
    session.add(review)
    session.flush()
    audit.record(
        session,
        "review.decide",
        actor_id=reviewer.id,
        object_type="note",
        object_id=note.id,
        detail={"decision": decision},
    )
    # the author is told by the Telegram bridge, even if it is down now (an outbox row,
    # committed with the decision)
    from bot.store import notifications

    notifications.note_decided(session, note, review.id)
    return note


def take_unseen_outcomes(session: Session, author: Staff) -> list[Note]:
    """Decided notes the author has not been told about yet; marks them as seen."""
    notes = list(
        session.scalars(
            select(Note)
            .where(Note.author_id == author.id, Note.decided_at.is_not(None), Note.outcome_seen_at.is_(None))
            .order_by(Note.decided_at)
        )
    )
    for note in notes:
        note.outcome_seen_at = utcnow()
    return notes


def dismissed_examples(session: Session, actor: Staff) -> list[dict]:
    """Dismissed flags as labelled false positives, for improving the checks (admins only)."""
    if actor.role != Role.admin:
        raise access.AccessDenied("only admins can export review feedback")
    audit.record(session, "review.export_feedback", actor_id=actor.id)
    rows = session.execute(
        select(NoteFlag, Note.text).join(Note).where(NoteFlag.status == FlagStatus.dismissed).order_by(NoteFlag.id)
    )
    return [
        {
            "category": flag.category,
            "text": text[flag.start : flag.end],
            "label": "false_positive",
            "reviewed_at": flag.reviewed_at.isoformat() if flag.reviewed_at else None,
        }
        for flag, text in rows
    ]
