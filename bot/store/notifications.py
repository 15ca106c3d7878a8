"""The outbox of short messages for staff: written by the services (a plan signed off),
sent by the Telegram bridge, the only process that holds the bot token.

A row names the kind and the record id, never any note or plan text; the message is
worded at sending time (bot/notices/service.py ``text_of``) from records that hold no
health information (the plan id and the signer's name).

Delivery (bot/channels/telegram_notify.py):

- :func:`pending` lists unsent rows, oldest first.
- :func:`claim` takes one with a compare-and-set on ``sent_at`` (and counts the attempt),
  so two bridges never send the same message; a crash between the claim and the send
  loses that one notice (the information itself is still in the chat and the CLI).
- :func:`release` gives a failed send back for another try, up to ``MAX_ATTEMPTS``;
  after that the row stays closed (``sent_at`` set, ``attempts`` = MAX_ATTEMPTS).
- :func:`close_undeliverable`: the staff member has no linked account on the channel.
  The row is closed with ``attempts`` = 0 (nothing was sent), so it is not scanned again
  and a month-old notice does not arrive out of the blue when they link an account later.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.models import Note, Notification, WrspPlan, utcnow

PLAN_SIGNED_OFF = "plan_signed_off"
NOTE_DECIDED = "note_decided"        # to the author: approved or returned
NOTE_WAITING = "note_waiting"        # to the supervisor: a note is in their queue
WRSP_DUE_SOON = "wrsp_due_soon"      # to the peer: their plan is due within a week
WRSP_OVERDUE = "wrsp_overdue"        # to the peer
WRSP_OVERDUE_TEAM = "wrsp_overdue_team"  # to the peer's supervisor
KINDS = (PLAN_SIGNED_OFF, NOTE_DECIDED, NOTE_WAITING, WRSP_DUE_SOON, WRSP_OVERDUE, WRSP_OVERDUE_TEAM)
MAX_ATTEMPTS = 5


def queue(session: Session, staff_id: int, kind: str, object_id: int | None = None) -> Notification:
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    row = Notification(staff_id=staff_id, kind=kind, object_id=object_id)
    session.add(row)
    session.flush()
    return row


def queue_once(session: Session, staff_id: int, kind: str, object_id: int | None, key: str) -> Notification | None:
    """Queue a message about ``key`` unless one was ever queued (sent or not): the row is the
    record that it was sent, so a second pass, a restart or a second bridge adds nothing.
    Returns the new row, or None."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    key = key[:120]
    if session.scalar(select(Notification.id).where(Notification.dedupe_key == key)) is not None:
        return None
    row = Notification(staff_id=staff_id, kind=kind, object_id=object_id, dedupe_key=key)
    try:
        with session.begin_nested():  # another process may queue the same key at the same moment
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


def note_decided(session: Session, note: Note, review_id: int) -> Notification | None:
    """Tell the author their note was approved or returned (called by the review service)."""
    return queue_once(session, note.author_id, NOTE_DECIDED, note.id, f"{NOTE_DECIDED}:{note.id}:{review_id}")


def plan_signed_off(session: Session, plan: WrspPlan) -> Notification:
    """Tell the plan's owner that it was signed off (called by the sign-off service)."""
    return queue(session, plan.owner_id, PLAN_SIGNED_OFF, plan.id)


def pending(session: Session, limit: int = 50) -> list[Notification]:
    return list(session.scalars(
        select(Notification).where(Notification.sent_at.is_(None))
        .order_by(Notification.created_at, Notification.id).limit(limit)))


def claim(session: Session, notification_id: int, now: datetime | None = None) -> bool:
    """Take an unsent row for sending (compare-and-set on ``sent_at``); counts the attempt."""
    result = session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.sent_at.is_(None))
        .values(sent_at=now or utcnow(), attempts=Notification.attempts + 1)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def release(session: Session, notification_id: int) -> bool:
    """A claimed row could not be sent: unsent again, unless it has used its attempts.
    Returns True when it will be retried."""
    result = session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.attempts < MAX_ATTEMPTS)
        .values(sent_at=None)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def close_undeliverable(session: Session, notification_id: int, now: datetime | None = None) -> bool:
    """Nothing to send it with (no linked account, or its record is gone): closed with
    ``attempts`` left at 0."""
    result = session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.sent_at.is_(None))
        .values(sent_at=now or utcnow())
        .execution_options(synchronize_session=False))
    return result.rowcount == 1
