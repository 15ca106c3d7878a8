"""The outbox of short messages for staff: written by the services (a plan signed off),
sent by the Telegram bridge, the only process that holds the bot token.

A row names the kind and the record id, never any note or plan text; the message is
worded at sending time (bot/notices/service.py ``text_of``) from records that hold no
health information (the plan id and the signer's name).

Delivery (bot/channels/telegram/notifier.py):

- :func:`pending` lists unsent rows nobody holds, oldest first.
- :func:`claim` takes one for one bridge with a compare-and-set (``sent_at`` unset, no claim
  younger than ``CLAIM_LEASE``), recording which bridge and when, and counts the attempt,
  so two bridges never send the same message. :func:`mark_sent` sets ``sent_at`` once it
  went out. A bridge that dies between its claim and the send leaves a claim that runs out
  after ``CLAIM_LEASE``: the next bridge (or the same one restarted) sends it then, so no
  notice is lost; one stopped normally gives its claims back at once
  (:func:`release_claims`). Only a bridge killed in the instant between Telegram's answer
  and the ``mark_sent`` commit can cause a message to be sent twice.
- :func:`release` gives a failed send back for another try, up to ``MAX_ATTEMPTS``;
  after that the row stays closed (``sent_at`` set, ``attempts`` = MAX_ATTEMPTS).
- :func:`close_undeliverable`: the staff member has no linked account on the channel.
  The row is closed with ``attempts`` = 0 (nothing was sent), so it is not scanned again
  and a month-old notice does not arrive out of the blue when they link an account later.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.models import Note, Notification, WrspPlan, utcnow

PLAN_SIGNED_OFF = "plan_signed_off"
NOTE_DECIDED = "note_decided"  # to the author: approved or returned
NOTE_WAITING = "note_waiting"  # to the supervisor: a note is in their queue
WRSP_DUE_SOON = "wrsp_due_soon"  # to the peer: their plan is due within a week
WRSP_OVERDUE = "wrsp_overdue"  # to the peer
WRSP_OVERDUE_TEAM = "wrsp_overdue_team"  # to the peer's supervisor
KINDS = (PLAN_SIGNED_OFF, NOTE_DECIDED, NOTE_WAITING, WRSP_DUE_SOON, WRSP_OVERDUE, WRSP_OVERDUE_TEAM)
MAX_ATTEMPTS = 5
CLAIM_LEASE = timedelta(minutes=2)  # longer than a send with all its retries takes


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


def _free(now: datetime):
    """Unsent, and not held by a bridge (never claimed, given back, or a claim run out)."""
    return (
        Notification.sent_at.is_(None),
        Notification.attempts < MAX_ATTEMPTS,
        or_(Notification.claimed_at.is_(None), Notification.claimed_at < now - CLAIM_LEASE),
    )


def pending(session: Session, limit: int = 50, now: datetime | None = None) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification)
            .where(*_free(now or utcnow()))
            .order_by(Notification.created_at, Notification.id)
            .limit(limit)
        )
    )


def claim(session: Session, notification_id: int, now: datetime | None = None, by: str = "") -> bool:
    """Take an unsent row for sending (compare-and-set); counts the attempt. Commit before
    sending, then :func:`mark_sent` (or :func:`release`)."""
    now = now or utcnow()
    result = session.execute(
        update(Notification)
        .where(Notification.id == notification_id, *_free(now))
        .values(claimed_at=now, claimed_by=by[:64], attempts=Notification.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def mark_sent(session: Session, notification_id: int, by: str = "", now: datetime | None = None) -> bool:
    """The claimed row went out."""
    result = session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.sent_at.is_(None), Notification.claimed_by == by[:64])
        .values(sent_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release(session: Session, notification_id: int, by: str = "", now: datetime | None = None) -> bool:
    """A claimed row could not be sent: free again, unless it has used its attempts (then
    closed). Returns True when it will be retried."""
    mine = (Notification.id == notification_id, Notification.sent_at.is_(None), Notification.claimed_by == by[:64])
    result = session.execute(
        update(Notification)
        .where(*mine, Notification.attempts < MAX_ATTEMPTS)
        .values(claimed_at=None, claimed_by=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:
        return True
    session.execute(
        update(Notification).where(*mine).values(sent_at=now or utcnow()).execution_options(synchronize_session=False)
    )
    return False


def release_claims(session: Session, by: str) -> int:
    """A bridge stopping: give back every claim it holds on rows not yet sent (not counted
    as an attempt), so the next bridge sends them at once. How many."""
    result = session.execute(
        update(Notification)
        .where(Notification.claimed_by == by[:64], Notification.sent_at.is_(None), Notification.claimed_at.isnot(None))
        .values(claimed_at=None, claimed_by=None, attempts=Notification.attempts - 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def close_undeliverable(session: Session, notification_id: int, now: datetime | None = None) -> bool:
    """Nothing to send it with (no linked account, or its record is gone): closed with
    ``attempts`` left at 0."""
    result = session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.sent_at.is_(None))
        .values(sent_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
