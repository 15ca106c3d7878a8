"""Reminders, queued in the notification outbox (bot/store/notifications.py) so that what
was sent is kept in the database: a restart loses nothing and sends nothing twice.

One pass (:func:`run_pass`; the Telegram bridge runs it every notify interval, and
`peerscope reminders run` runs it once for cron or a systemd timer) queues:

- a WRSP plan due within ``REMIND_DAYS`` days: once per plan and due date, to the peer;
- a WRSP plan overdue: once per plan and due date, to the peer and to their supervisor;
- a note waiting in a supervisor's queue: once per note and submission, to the supervisor.

Each message is keyed (``Notification.dedupe_key``); the key holds ids and dates only.
Note outcomes and plan sign-offs are queued by the services that make them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store import notifications as outbox
from bot.store.models import Note, NoteStatus, Staff, WrspPlan

REMIND_DAYS = 7


@dataclass
class PassResult:
    due_soon: int = 0
    overdue: int = 0
    notes_waiting: int = 0

    @property
    def total(self) -> int:
        return self.due_soon + self.overdue + self.notes_waiting


def _latest_plans(session: Session) -> list[WrspPlan]:
    replaced = set(session.scalars(select(WrspPlan.previous_id).where(WrspPlan.previous_id.is_not(None))))
    return [p for p in session.scalars(select(WrspPlan).order_by(WrspPlan.id)) if p.id not in replaced]


def _due(session: Session, plan: WrspPlan, today: date):
    from bot.wrsp.due import due_status

    previous = session.get(WrspPlan, plan.previous_id) if plan.previous_id else None
    return due_status(plan, today, previous=previous)


def plan_due_now(session: Session, plan_id: int | None, today: date | None = None):
    """(plan, DueStatus) when the plan is still the latest version and due within
    REMIND_DAYS or overdue; else None (a reminder about it has nothing left to say)."""
    from bot.settings import local_today
    from bot.wrsp.due import OVERDUE

    plan = session.get(WrspPlan, plan_id) if plan_id is not None else None
    if plan is None or session.scalar(select(WrspPlan.id).where(WrspPlan.previous_id == plan.id)) is not None:
        return None
    due = _due(session, plan, today or local_today())
    if due.due_date is None or not (due.status == OVERDUE or 0 <= due.days_left <= REMIND_DAYS):
        return None
    return plan, due


def run_pass(session: Session, today: date | None = None) -> PassResult:
    """Queue every reminder that is due and was never queued; commits. ``today`` is local."""
    from bot.settings import local_today
    from bot.wrsp.due import OVERDUE

    today = today or local_today()
    result = PassResult()
    active = {s.id: s for s in session.scalars(select(Staff).where(Staff.active.is_(True)))}
    for plan in _latest_plans(session):
        owner = active.get(plan.owner_id)
        found = plan_due_now(session, plan.id, today)
        if owner is None or found is None:
            continue
        _, due = found
        when = due.due_date.isoformat()
        if due.status == OVERDUE:
            if outbox.queue_once(session, owner.id, outbox.WRSP_OVERDUE, plan.id, f"wrsp_overdue:{plan.id}:{when}"):
                result.overdue += 1
            if owner.supervisor_id in active:
                outbox.queue_once(session, owner.supervisor_id, outbox.WRSP_OVERDUE_TEAM, plan.id,
                                  f"wrsp_overdue_team:{plan.id}:{when}")
        elif outbox.queue_once(session, owner.id, outbox.WRSP_DUE_SOON, plan.id, f"wrsp_due_soon:{plan.id}:{when}"):
            result.due_soon += 1
    for note in session.scalars(select(Note).where(Note.status == NoteStatus.submitted).order_by(Note.id)):
        author = active.get(note.author_id)
        if author is None or author.supervisor_id not in active or note.submitted_at is None:
            continue
        key = f"note_waiting:{note.id}:{note.submitted_at:%Y%m%dT%H%M%S}"
        if outbox.queue_once(session, author.supervisor_id, outbox.NOTE_WAITING, note.id, key):
            result.notes_waiting += 1
    session.commit()
    return result
