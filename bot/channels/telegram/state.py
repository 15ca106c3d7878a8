"""What the bridge keeps in the database (bot/store/telegram_state.py), and the lookups it
makes there: blocking calls, run them in a thread."""

from __future__ import annotations

import time
from typing import Callable

from bot.channels.telegram.client import CHANNEL

# --- per-user flood control and repeated updates, in the database ---------------------------------
# (bot/store/telegram_state.py): a restarted bridge keeps counting where the last one stopped,
# and two bridges count together. Both are blocking calls: run them in a thread.


class RateLimiter:
    """At most ``limit`` messages per user in any ``window`` seconds. ``check`` says "ok",
    "warn" (first message over the limit: tell them once) or "drop". ``clock`` is wall-clock
    epoch seconds (it must mean the same in the next process)."""

    def __init__(self, limit: int = 20, window: float = 60.0, clock: Callable[[], float] = time.time):
        self.limit, self.window, self.clock = limit, window, clock

    def check(self, user_id: int) -> str:
        from bot.store import session_scope, telegram_state

        with session_scope() as session:
            return telegram_state.rate_check(session, user_id, self.limit, self.window, now=self.clock())


class SeenUpdates:
    """Updates already taken, by key (chat id and message id, or a button press id):
    ``first_time`` is False for a key any bridge saw before (Telegram delivering an update
    twice, or again to a restarted bridge)."""

    def first_time(self, key: tuple) -> bool:
        from bot.store import session_scope, telegram_state

        with session_scope() as session:
            return telegram_state.first_time(session, ":".join(str(part) for part in key))


class StoredPayloads:
    """Where CallbackPayloads keeps long button payloads: the database, so a button still
    works after the bridge restarts, or when another bridge gets the tap."""

    def save(self, key: str, payload: str) -> None:
        from bot.store import session_scope, telegram_state

        with session_scope() as session:
            telegram_state.save_payload(session, key, payload)

    def load(self, key: str) -> str | None:
        from bot.store import session_scope, telegram_state

        with session_scope() as session:
            return telegram_state.payload_for(session, key)


def prune_state() -> None:
    from bot.store import session_scope, telegram_state

    with session_scope() as session:
        telegram_state.prune(session)


def raise_missed_alert(telegram_user_id: int, about: str) -> int | None:
    """Rasa could not answer a signed-in person's risk message, so the action that records
    the risk alert did not run (or may not have): record it here, unless an open chat alert
    for them is only minutes old. Returns the new alert's id, if one was raised."""
    from bot.store import alerts, session_scope
    from bot.store import staff as staff_repo

    with session_scope() as session:
        member = staff_repo.by_identity(session, CHANNEL, str(telegram_user_id))
        if member is None:
            return None
        alert = alerts.raise_unless_recent(session, member.id, about)
        return alert.id if alert is not None else None


def linked_staff_id(telegram_user_id: int) -> int | None:
    """The active staff record linked to a Telegram account, if any (a fresh read each time,
    so a deactivated record stops working at once)."""
    from bot.store import session_scope
    from bot.store import staff as staff_repo

    with session_scope() as session:
        member = staff_repo.by_identity(session, CHANNEL, str(telegram_user_id))
        return member.id if member else None
