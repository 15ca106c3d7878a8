"""Telling staff on Telegram when something happens outside their chat.

``notify(staff_id, text)`` sends a message to every Telegram account linked to a staff
member. Await it from async code (a Rasa SDK action can be ``async def run``); use
``notify_blocking`` from plain scripts.

The bridge also runs ``watch_outcomes``: every ``notify_interval`` seconds it looks for
notes decided (approved or returned, in chat or with ``peerscope review decide``) since its
last look, whose author has a Telegram account and has not yet seen the outcome, and sends
the author a short notice. It only reads: the outcome is still shown (and marked seen) the
next time the author says hi, so a notice that fails to send loses nothing. The returned
note's comment is not pushed; the author reads it in the chat. Notes decided while the
bridge was down get no notice (the greeting still shows them).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select

from bot.channels.telegram import CHANNEL, TelegramConfig, call_with_retry
from bot.channels.telegram_text import split_message

logger = logging.getLogger("peerscope.telegram")


def telegram_accounts(staff_id: int) -> list[str]:
    from bot.store import session_scope
    from bot.store.models import ChatIdentity, Staff

    with session_scope() as session:
        return list(session.scalars(
            select(ChatIdentity.external_id).join(Staff)
            .where(ChatIdentity.staff_id == staff_id, ChatIdentity.channel == CHANNEL, Staff.active.is_(True))
        ))


async def notify(staff_id: int, text: str, bot: Any = None, config: TelegramConfig | None = None) -> int:
    """Send ``text`` to the staff member's Telegram account(s). Returns how many accounts got
    it; 0 if they have none. Telegram errors are retried, then logged (type only), never raised."""
    from telegram.error import TelegramError

    accounts = await asyncio.to_thread(telegram_accounts, staff_id)
    if not accounts:
        return 0
    config = config or TelegramConfig.from_env()
    if bot is None:
        async with config.bot() as own_bot:
            return await notify(staff_id, text, bot=own_bot, config=config)
    sent = 0
    for account in accounts:
        try:
            for part in split_message(text):
                await call_with_retry(bot.send_message, chat_id=int(account), text=part,
                                      retries=config.retries, delay=config.retry_delay)
            sent += 1
        except TelegramError as exc:
            logger.warning("telegram: could not notify staff #%d (%s)", staff_id, type(exc).__name__)
    return sent


def notify_blocking(staff_id: int, text: str) -> int:
    """notify() for code that has no event loop running (scripts, the CLI)."""
    return asyncio.run(notify(staff_id, text))


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def decided_since(since: datetime) -> tuple[list[tuple[int, str]], datetime]:
    """(author id, notice) for notes decided after ``since`` whose author has a Telegram
    account and hasn't seen the outcome; and the newest decision time, for the next call."""
    from bot.store import session_scope
    from bot.store.models import ChatIdentity, Note, NoteStatus

    with session_scope() as session:
        notes = session.scalars(
            select(Note)
            .where(Note.decided_at > since, Note.outcome_seen_at.is_(None),
                   Note.status.in_([NoteStatus.approved, NoteStatus.returned]),
                   Note.author_id.in_(select(ChatIdentity.staff_id).where(ChatIdentity.channel == CHANNEL)))
            .order_by(Note.decided_at)
        ).all()
        notices = []
        for note in notes:
            if note.status == NoteStatus.approved:
                notices.append((note.author_id, f"Your note #{note.id} was approved by your supervisor."))
            else:
                notices.append((note.author_id, f"Your note #{note.id} was returned by your supervisor. "
                                                "Say hi to see their comment."))
            since = max(since, _aware(note.decided_at))
    return notices, since


async def watch_outcomes(bot: Any, config: TelegramConfig) -> None:
    since = datetime.now(timezone.utc)
    while True:
        await asyncio.sleep(config.notify_interval)
        try:
            notices, since = await asyncio.to_thread(decided_since, since)
            for staff_id, text in notices:
                await notify(staff_id, text, bot=bot, config=config)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database may be briefly unavailable; try next time
            logger.warning("telegram: checking for decided notes failed (%s)", type(exc).__name__)
