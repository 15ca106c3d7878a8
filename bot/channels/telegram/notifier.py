"""Telling staff on Telegram when something happens outside their chat.

``notify(staff_id, text)`` sends a message to every Telegram account linked to a staff
member. Await it from async code (a Rasa SDK action can be ``async def run``); use
``notify_blocking`` from plain scripts.

The bridge also runs ``watch_outcomes``: every ``notify_interval`` seconds it queues the
reminders that are due (bot/notices/service.py: WRSP plans due within a week or overdue,
notes waiting in a supervisor's queue) and sends the notification outbox
(bot/store/notifications.py), where the services also queue note outcomes and plan
sign-offs when they happen. Every message is a row in the database, keyed so it is queued
once, so a note decided while the bridge was down still gets its notice, and a restart
sends nothing twice; no other process needs the bot token. A row is claimed by one bridge
(compare-and-set) before it is sent and marked sent after; a claim left by a bridge that
died runs out after a couple of minutes and the row is sent then, and a bridge that is
stopped gives its claims back first (``release_claims``). A notice whose news is stale
when it is sent (the author already read the outcome, the plan was done) is closed unsent.
Rows for staff without a Telegram account are closed unsent (``attempts`` 0); a failed
send is retried next round, up to notifications.MAX_ATTEMPTS times.

And ``watch_alerts``: every ``alert_interval`` seconds (PEERSCOPE_ALERT_POLL_SECONDS,
default 2) it sends each open risk alert that is due (bot/store/alerts.py due_for_notice)
to the person's supervisor, again every ``alert_repeat`` seconds until a supervisor
acknowledges it, and to every admin with Telegram as well once it is open longer than
``alert_escalate_after`` or when the supervisor can't be reached. Each notice is claimed
in the database first (compare-and-set), so two bridges never send the same one; a claim
left by a bridge that died runs out after a minute. A notice
says who and when, never what was written. An alert nobody can be reached for is checked
again every round (logged once), so it goes out as soon as someone links an account.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select

from bot.channels.telegram.client import CHANNEL, TelegramConfig, call_with_retry
from bot.channels.telegram.text import split_message
from bot.store import alerts as alert_repo

logger = logging.getLogger("peerscope.telegram")


def telegram_accounts(staff_id: int) -> list[str]:
    from bot.store import session_scope
    from bot.store.models import ChatIdentity, Staff

    with session_scope() as session:
        return list(
            session.scalars(
                select(ChatIdentity.external_id)
                .join(Staff)
                .where(ChatIdentity.staff_id == staff_id, ChatIdentity.channel == CHANNEL, Staff.active.is_(True))
            )
        )


async def notify(staff_id: int, text: str, bot: Any = None, config: TelegramConfig | None = None) -> int:
    """Send ``text`` to the staff member's Telegram account(s). Returns how many accounts got
    it; 0 if they have none. Telegram errors are retried, then logged (type only), never raised."""

    accounts = await asyncio.to_thread(telegram_accounts, staff_id)
    if not accounts:
        return 0
    config = config or TelegramConfig.from_env()
    if bot is None:
        async with config.bot() as own_bot:
            return await notify(staff_id, text, bot=own_bot, config=config)
    return await send_to_accounts(bot, config, staff_id, accounts, text)


async def send_to_accounts(
    bot: Any, config: TelegramConfig, staff_id: int, accounts, text: str, markup: Any = None
) -> int:
    """Send ``text`` (buttons on its last part) to each account at once; how many got it.
    Telegram errors are retried, then logged (type only), never raised."""
    from telegram.error import TelegramError

    async def one(account: str) -> bool:
        try:
            parts = split_message(text)
            for n, part in enumerate(parts):
                await call_with_retry(
                    bot.send_message,
                    chat_id=int(account),
                    text=part,
                    reply_markup=markup if n == len(parts) - 1 else None,
                    retries=config.retries,
                    delay=config.retry_delay,
                )
            return True
        except (TelegramError, ValueError) as exc:
            logger.warning("telegram: could not notify staff #%d (%s)", staff_id, type(exc).__name__)
            return False

    return sum(await asyncio.gather(*(one(a) for a in accounts)))


def notify_blocking(staff_id: int, text: str) -> int:
    """notify() for code that has no event loop running (scripts, the CLI)."""
    return asyncio.run(notify(staff_id, text))


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def reminders_pass() -> int:
    """Queue the reminders that are due (bot/notices/service.py); how many were queued."""
    from bot.notices import service as reminders
    from bot.store import session_scope

    with session_scope() as session:
        return reminders.run_pass(session).total


async def _pause(stop: asyncio.Event | None, seconds: float) -> None:
    """Sleep ``seconds``, or less if ``stop`` is set meanwhile."""
    if stop is None:
        await asyncio.sleep(seconds)
        return
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except asyncio.TimeoutError:
        pass


async def watch_outcomes(bot: Any, config: TelegramConfig, stop: asyncio.Event | None = None, by: str = "") -> None:
    """Every ``notify_interval`` seconds: queue due reminders, then send the outbox, until
    ``stop`` is set (a round under way is finished first). All the state is in the
    database, so a restart neither loses nor repeats a message."""
    while stop is None or not stop.is_set():
        try:
            await asyncio.to_thread(reminders_pass)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database may be briefly unavailable; try next time
            logger.warning("telegram: queueing reminders failed (%s)", type(exc).__name__)
        try:
            await deliver_notifications(bot, config, by=by, stop=stop)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logger.warning("telegram: sending notifications failed (%s)", type(exc).__name__)
        await _pause(stop, config.notify_interval)


# --- the notification outbox -------------------------------------------------------------------


def claim_notifications(
    now: datetime | None = None, by: str = "", limit: int = 50
) -> list[tuple[int, int, str, list[str]]]:
    """(row id, staff id, text, Telegram accounts) for the unsent rows this bridge claimed;
    rows with nobody to send to are closed unsent. Committed before anything is sent."""
    from bot.notices import service as notices
    from bot.store import notifications, session_scope
    from bot.store.models import ChatIdentity, Staff

    out = []
    with session_scope() as session:
        for row in notifications.pending(session, limit=limit, now=now):
            accounts = list(
                session.scalars(
                    select(ChatIdentity.external_id)
                    .join(Staff)
                    .where(
                        ChatIdentity.staff_id == row.staff_id, ChatIdentity.channel == CHANNEL, Staff.active.is_(True)
                    )
                )
            )
            text = notices.text_of(session, row)
            if not accounts or text is None:
                notifications.close_undeliverable(session, row.id, now)
            elif notifications.claim(session, row.id, now, by=by):
                out.append((row.id, row.staff_id, text, accounts))
    return out


def release_notification(notification_id: int, by: str = "") -> bool:
    from bot.store import notifications, session_scope

    with session_scope() as session:
        return notifications.release(session, notification_id, by=by)


def mark_notification_sent(notification_id: int, by: str = "") -> bool:
    from bot.store import notifications, session_scope

    with session_scope() as session:
        return notifications.mark_sent(session, notification_id, by=by)


def release_claims(by: str) -> tuple[int, int]:
    """A bridge stopping gives back the notices it claimed and has not sent:
    (notifications, risk alert notices)."""
    from bot.store import notifications, session_scope

    with session_scope() as session:
        return notifications.release_claims(session, by), alert_repo.release_claims(session, by)


async def deliver_notifications(
    bot: Any, config: TelegramConfig, by: str = "", stop: asyncio.Event | None = None
) -> int:
    """Send the outbox once; returns how many messages went out. With ``stop`` set, the rows
    claimed and not started are given back instead of sent."""
    sent = 0
    claimed = await asyncio.to_thread(claim_notifications, None, by)
    for n, (row_id, staff_id, text, accounts) in enumerate(claimed):
        if stop is not None and stop.is_set():
            for later_id, *_ in claimed[n:]:  # not sent: give them back (not an attempt)
                await asyncio.to_thread(release_notification, later_id, by)
            break
        if await send_to_accounts(bot, config, staff_id, accounts, text):
            sent += 1
            await asyncio.to_thread(mark_notification_sent, row_id, by)
        elif await asyncio.to_thread(release_notification, row_id, by):
            logger.warning("telegram: notification #%d not delivered; will try again", row_id)
        else:
            logger.warning("telegram: notification #%d not delivered; giving up", row_id)
    return sent


# --- risk alerts ---------------------------------------------------------------------------------

ESCALATION_WHY = {
    alert_repo.OPEN_TOO_LONG: "It has not been acknowledged for {minutes} minutes.",
    alert_repo.NO_SUPERVISOR: "{name} has no supervisor in PeerScope.",
    alert_repo.SUPERVISOR_NOT_LINKED: "{name}'s supervisor can't be reached on Telegram.",
    alert_repo.ESCALATED: "It was escalated to admins earlier and is still open.",
}


def ack_payload(alert_id: int) -> str:
    """The Rasa payload of the acknowledge button (the same as in the "risk alerts" list)."""
    return f'/risk_alert_ack{{"alert_id": "{int(alert_id)}"}}'


def alert_text(due: alert_repo.Due, role: str, now: datetime) -> str:
    """The notice for one recipient: who, where, when, whom it was about; never any words."""
    alert = due.alert
    from bot.settings import to_local

    created = to_local(alert.created_at)
    where = "in a note by" if alert.source == "note" else "in a chat with"
    head = f"Reminder: risk alert #{alert.id} is still open" if due.reminder else f"Risk alert #{alert.id}"
    lines = [
        f"🚨 {head}: a risk of harm came up {where} {due.staff_name} "
        f"({alert_repo.about_words(alert.about)}) at {created:%H:%M} {created.tzname()} on {created:%d %b %Y}."
    ]
    if role == "admin" and due.escalate:
        minutes = max(1, int((now - created).total_seconds() // 60))
        lines.append(
            "You're getting this as an admin: "
            + ESCALATION_WHY[due.escalate].format(minutes=minutes, name=due.staff_name)
        )
    elif due.escalate and any(r.role == "admin" for r in due.recipients):
        lines.append("Admins have been told too.")
    lines.append(
        f'Please check in with them, then acknowledge it: type "acknowledge alert {alert.id}" '
        f'here ("risk alerts" lists the open ones), or run `peerscope alerts ack {alert.id}`.'
    )
    return "\n".join(lines)


def _ack_markup(alert_id: int):
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(f"Acknowledge #{alert_id}", callback_data=ack_payload(alert_id))]]
    )


def alerts_due(now: datetime, config: TelegramConfig) -> list[alert_repo.Due]:
    from bot.store import session_scope

    with session_scope() as session:
        return alert_repo.due_for_notice(
            session, now, repeat=config.alert_repeat, escalate_after=config.alert_escalate_after, channel=CHANNEL
        )


def claim_alert(due: alert_repo.Due, now: datetime, config: TelegramConfig, by: str = "") -> bool:
    from bot.store import session_scope

    with session_scope() as session:
        return alert_repo.claim(session, due, now, repeat=config.alert_repeat, by=by)


def finish_alert(due: alert_repo.Due, now: datetime, delivered_to: list[int]) -> None:
    from bot.store import session_scope

    with session_scope() as session:
        if delivered_to:
            alert_repo.mark_notified(session, due.alert.id, delivered_to)
        else:
            alert_repo.release(session, due, now)


_UNREACHABLE_LOGGED: set[int] = set()


async def deliver_alerts(bot: Any, config: TelegramConfig, now: datetime | None = None, by: str = "") -> int:
    """One round: send every due alert notice this bridge can claim. Returns how many went out."""
    now = now or datetime.now(timezone.utc)
    sent = 0
    for due in await asyncio.to_thread(alerts_due, now, config):
        if not due.recipients:
            if due.alert.id not in _UNREACHABLE_LOGGED and len(_UNREACHABLE_LOGGED) < 10_000:
                _UNREACHABLE_LOGGED.add(due.alert.id)
                logger.warning(
                    "telegram: risk alert #%d: nobody to tell on Telegram (no linked supervisor "
                    "or admin); it waits in `peerscope alerts list`",
                    due.alert.id,
                )
            continue
        if not await asyncio.to_thread(claim_alert, due, now, config, by):
            continue  # another bridge has it, or it was acknowledged meanwhile
        markup = _ack_markup(due.alert.id)
        results = await asyncio.gather(
            *(
                send_to_accounts(bot, config, r.staff_id, r.accounts, alert_text(due, r.role, now), markup)
                for r in due.recipients
            )
        )
        delivered = [r.staff_id for r, n in zip(due.recipients, results) if n]
        await asyncio.to_thread(finish_alert, due, now, delivered)
        if delivered:
            sent += 1
            logger.info(
                "telegram: risk alert #%d sent to %d staff%s",
                due.alert.id,
                len(delivered),
                " (escalated)" if due.escalate else "",
            )
        else:
            logger.warning("telegram: risk alert #%d could not be delivered; will try again", due.alert.id)
    return sent


PRUNE_EVERY = 3600.0  # seconds between clean-ups of the bridge's old updates and button payloads


async def watch_alerts(bot: Any, config: TelegramConfig, stop: asyncio.Event | None = None, by: str = "") -> None:
    """Check for due risk alerts now and every ``alert_interval`` seconds until ``stop`` is
    set (a round under way is finished first); once an hour, forget old updates and button
    payloads (bot/store/telegram_state.py)."""
    from bot.channels.telegram.state import prune_state

    pruned = float("-inf")
    loop = asyncio.get_running_loop()
    while stop is None or not stop.is_set():
        try:
            await deliver_alerts(bot, config, by=by)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database may be briefly unavailable; try next round
            logger.warning("telegram: checking for risk alerts failed (%s)", type(exc).__name__)
        if loop.time() - pruned >= PRUNE_EVERY:
            try:
                await asyncio.to_thread(prune_state)
                pruned = loop.time()
            except Exception as exc:
                logger.warning("telegram: pruning old updates failed (%s)", type(exc).__name__)
        await _pause(stop, config.alert_interval)
