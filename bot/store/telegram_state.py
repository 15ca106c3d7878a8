"""The Telegram bridge's state, kept in the database so that a restarted bridge, or a second
bridge beside it, sees the same: flood control per account, the updates already taken, and
button payloads too long for Telegram's 64-byte callback data.

- :func:`rate_check` says "ok", "warn" (the first message over the limit: tell them once
  per window) or "drop", at most ``limit`` accepted messages per account in any ``window``
  seconds. It locks the account's row first (an UPDATE, which on SQLite takes the write
  lock), so two bridges counting the same account at once cannot both let message
  ``limit + 1`` through.
- :func:`first_time` records an update's key with an INSERT that the primary key refuses
  the second time: of two deliveries of one update (Telegram resends after a timeout or
  after a bridge died before confirming it), one goes through, whichever bridge gets it.
- :func:`save_payload` / :func:`payload_for`: a long payload under its short key (a hash
  of the payload, so saving it again is harmless). The payloads are the assistant's own
  button commands, never what a person wrote.
- :func:`prune` drops updates older than two days (Telegram keeps an update for 24 hours)
  and payloads older than ``button_days`` (a button older than that answers "expired").

Nothing here holds message text.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.models import TelegramButton, TelegramRate, TelegramUpdate, utcnow

UPDATE_DAYS = 2
BUTTON_DAYS = 30


def _lock_rate_row(session: Session, user_id: int) -> TelegramRate:
    """The account's flood-control row, locked for this transaction (created if new)."""
    touch = (
        update(TelegramRate)
        .where(TelegramRate.user_id == user_id)
        .values(user_id=TelegramRate.user_id)
        .execution_options(synchronize_session=False)
    )
    if session.execute(touch).rowcount != 1:
        try:
            with session.begin_nested():
                session.add(TelegramRate(user_id=user_id, hits=[]))
                session.flush()
        except IntegrityError:  # another bridge made it first: wait for its lock
            session.execute(touch)
    row = session.get(TelegramRate, user_id, populate_existing=True)
    assert row is not None
    return row


def rate_check(session: Session, user_id: int, limit: int, window: float, now: float | None = None) -> str:
    """Count one message from ``user_id``: "ok", "warn" or "drop" (see the module docstring).
    ``now`` is epoch seconds (wall clock, so a restart keeps the count)."""
    now = time.time() if now is None else float(now)
    row = _lock_rate_row(session, int(user_id))
    hits = [float(t) for t in (row.hits or []) if float(t) > now - window]
    if len(hits) < limit:
        row.hits = hits + [now]
        return "ok"
    row.hits = hits
    warned = row.warned_at
    if warned is not None and warned.tzinfo is None:  # SQLite gives naive UTC back
        warned = warned.replace(tzinfo=timezone.utc)
    if warned is None or now - warned.timestamp() >= window:
        row.warned_at = datetime.fromtimestamp(now, tz=timezone.utc)
        return "warn"
    return "drop"


def first_time(session: Session, key: str, now: datetime | None = None) -> bool:
    """Record an update's key; False when it was recorded before (by any bridge)."""
    key = key[:80]
    try:
        with session.begin_nested():
            session.add(TelegramUpdate(key=key, seen_at=now or utcnow()))
            session.flush()
    except IntegrityError:
        return False
    return True


def save_payload(session: Session, key: str, payload: str, now: datetime | None = None) -> None:
    """Keep ``payload`` under ``key`` (a hash of it: saving it again only refreshes its date)."""
    moment = now or utcnow()
    refreshed = session.execute(
        update(TelegramButton)
        .where(TelegramButton.key == key)
        .values(created_at=moment)
        .execution_options(synchronize_session=False)
    )
    if refreshed.rowcount == 1:
        return
    try:
        with session.begin_nested():
            session.add(TelegramButton(key=key, payload=payload, created_at=moment))
            session.flush()
    except IntegrityError:
        pass  # another bridge saved the same payload at the same moment


def payload_for(session: Session, key: str) -> str | None:
    return session.scalar(select(TelegramButton.payload).where(TelegramButton.key == key))


def prune(
    session: Session, now: datetime | None = None, update_days: float = UPDATE_DAYS, button_days: float = BUTTON_DAYS
) -> tuple[int, int]:
    """Forget old updates and button payloads; (updates, payloads) deleted."""
    now = now or utcnow()
    updates = session.execute(
        delete(TelegramUpdate)
        .where(TelegramUpdate.seen_at < now - timedelta(days=update_days))
        .execution_options(synchronize_session=False)
    ).rowcount
    buttons = session.execute(
        delete(TelegramButton)
        .where(TelegramButton.created_at < now - timedelta(days=button_days))
        .execution_options(synchronize_session=False)
    ).rowcount
    return updates, buttons
