"""Reminders and the wording of notices: the one API the Telegram bridge and
`peerscope reminders run` call.

One pass (:func:`run_pass`; the Telegram bridge runs it every notify interval, and
`peerscope reminders run` runs it once for cron or a systemd timer) queues, in the
notification outbox (bot/store/notifications.py), so a restart loses nothing and sends
nothing twice:

- a WRSP plan due within ``REMIND_DAYS`` days: once per plan and due date, to the peer;
- a WRSP plan overdue: once per plan and due date, to the peer and to their supervisor;
- a note waiting in a supervisor's queue: once per note and submission, to the supervisor.

Note outcomes and plan sign-offs are queued by the services that make them. A row holds
the kind and a record id; :func:`text_of` words it when it is sent, from records that
hold no health information, or says there is nothing left to say (None).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from bot.store import reminders as store
from bot.store.models import Note, NoteStatus, Notification, Staff, WrspPlan
from bot.store.notifications import (
    NOTE_DECIDED,
    NOTE_WAITING,
    PLAN_SIGNED_OFF,
    WRSP_DUE_SOON,
    WRSP_OVERDUE,
    WRSP_OVERDUE_TEAM,
)
from bot.wrsp.due import OVERDUE, DueStatus
from bot.wrsp.service import due_of

REMIND_DAYS = 7


@dataclass
class PassResult:
    due_soon: int = 0
    overdue: int = 0
    notes_waiting: int = 0

    @property
    def total(self) -> int:
        return self.due_soon + self.overdue + self.notes_waiting


def plan_due_now(session: Session, plan_id: int | None, today: date | None = None) -> tuple[WrspPlan, DueStatus] | None:
    """(plan, DueStatus) when the plan is still the latest version and due within
    REMIND_DAYS or overdue; else None (a reminder about it has nothing left to say)."""
    from bot.settings import local_today

    plan = store.latest_plan(session, plan_id)
    if plan is None:
        return None
    due = due_of(session, plan, today or local_today())
    if due.due_date is None or not (due.status == OVERDUE or 0 <= due.days_left <= REMIND_DAYS):
        return None
    return plan, due


def run_pass(session: Session, today: date | None = None) -> PassResult:
    """Queue every reminder that is due and was never queued; commits. ``today`` is local."""
    from bot.settings import local_today

    today = today or local_today()
    result = PassResult()
    active = store.active_staff(session)
    for plan in store.latest_plans(session):
        owner = active.get(plan.owner_id)
        found = plan_due_now(session, plan.id, today)
        if owner is None or found is None:
            continue
        _, due = found
        if due.status == OVERDUE:
            result.overdue += store.queue_plan_overdue(session, owner, plan, due.due_date, active)
        else:
            result.due_soon += store.queue_plan_due_soon(session, owner, plan, due.due_date)
    result.notes_waiting = store.queue_notes_waiting(session, active)
    session.commit()
    return result


def text_of(session: Session, row: Notification) -> str | None:
    """The message for a row, or None when its record is gone (nothing to say)."""
    if row.kind == PLAN_SIGNED_OFF:
        plan = session.get(WrspPlan, row.object_id) if row.object_id is not None else None
        if plan is None:
            return None
        signer = session.get(Staff, plan.signed_by_id) if plan.signed_by_id else None
        by = signer.name if signer is not None else "your clinical consultant"
        return f"Your WRSP plan #{plan.id} was signed off by {by}."
    if row.kind == NOTE_DECIDED:
        note = session.get(Note, row.object_id) if row.object_id is not None else None
        if note is None or note.outcome_seen_at is not None:
            return None  # gone, or the author has read the outcome in the chat already
        if note.status == NoteStatus.approved:
            return f"Your note #{note.id} was approved by your supervisor."
        if note.status == NoteStatus.returned:
            return f"Your note #{note.id} was returned by your supervisor. Say hi to see their comment."
        return None
    if row.kind == NOTE_WAITING:
        note = session.get(Note, row.object_id) if row.object_id is not None else None
        if note is None or note.status != NoteStatus.submitted:
            return None  # decided (or withdrawn) before the message went out
        author = session.get(Staff, note.author_id)
        return (
            f"Note #{note.id} from {author.name if author else 'your team'} is waiting in your review queue. "
            "Say \"review queue\" to see it."
        )
    if row.kind in (WRSP_DUE_SOON, WRSP_OVERDUE, WRSP_OVERDUE_TEAM):
        found = plan_due_now(session, row.object_id)
        if found is None:
            return None  # done, replaced by a review, or gone
        plan, due = found
        if row.kind == WRSP_OVERDUE_TEAM:
            owner = session.get(Staff, plan.owner_id)
            return f"{owner.name if owner else 'A peer'}'s WRSP plan #{plan.id} is overdue: {due.message}"
        return f"Reminder about your WRSP plan #{plan.id}: {due.message}"
    return None
