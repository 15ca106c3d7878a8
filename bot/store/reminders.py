"""Reminders' queries and their rows in the notification outbox (bot/store/notifications.py),
so what was sent is kept in the database: a restart loses nothing and sends nothing twice.

Which plans are due is the WRSP feature's rule; the reminder pass that applies it is
bot/notices/service.py. Here: the plans a reminder may be about, the active staff, the
keyed rows (``Notification.dedupe_key`` holds ids and dates only) and the notes waiting
in a supervisor's queue, which need no rule beyond the records.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store import notifications as outbox
from bot.store.models import Note, NoteStatus, Staff, WrspPlan


def latest_plans(session: Session) -> list[WrspPlan]:
    """Every plan no review has replaced, by id."""
    replaced = set(session.scalars(select(WrspPlan.previous_id).where(WrspPlan.previous_id.is_not(None))))
    return [p for p in session.scalars(select(WrspPlan).order_by(WrspPlan.id)) if p.id not in replaced]


def latest_plan(session: Session, plan_id: int | None) -> WrspPlan | None:
    """The plan, when it exists and no review has replaced it."""
    plan = session.get(WrspPlan, plan_id) if plan_id is not None else None
    if plan is None or session.scalar(select(WrspPlan.id).where(WrspPlan.previous_id == plan.id)) is not None:
        return None
    return plan


def active_staff(session: Session) -> dict[int, Staff]:
    return {s.id: s for s in session.scalars(select(Staff).where(Staff.active.is_(True)))}


def queue_plan_overdue(session: Session, owner: Staff, plan: WrspPlan, due: date, active: dict[int, Staff]) -> bool:
    """Once per plan and due date: to the peer, and to their supervisor. True when the
    peer's reminder is new."""
    when = due.isoformat()
    new = outbox.queue_once(session, owner.id, outbox.WRSP_OVERDUE, plan.id, f"wrsp_overdue:{plan.id}:{when}")
    if owner.supervisor_id in active:
        outbox.queue_once(
            session, owner.supervisor_id, outbox.WRSP_OVERDUE_TEAM, plan.id, f"wrsp_overdue_team:{plan.id}:{when}"
        )
    return new is not None


def queue_plan_due_soon(session: Session, owner: Staff, plan: WrspPlan, due: date) -> bool:
    """Once per plan and due date, to the peer. True when it is new."""
    key = f"wrsp_due_soon:{plan.id}:{due.isoformat()}"
    return outbox.queue_once(session, owner.id, outbox.WRSP_DUE_SOON, plan.id, key) is not None


def queue_notes_waiting(session: Session, active: dict[int, Staff]) -> int:
    """Once per note and submission, to the author's supervisor; how many were new."""
    count = 0
    for note in session.scalars(select(Note).where(Note.status == NoteStatus.submitted).order_by(Note.id)):
        author = active.get(note.author_id)
        if author is None or author.supervisor_id not in active or note.submitted_at is None:
            continue
        key = f"note_waiting:{note.id}:{note.submitted_at:%Y%m%dT%H%M%S}"
        if outbox.queue_once(session, author.supervisor_id, outbox.NOTE_WAITING, note.id, key):
            count += 1
    return count
