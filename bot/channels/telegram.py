"""The Telegram bridge: python-telegram-bot on one side, Rasa's REST channel on the other.

Each private message from a signed-in staff member goes to Rasa with the sender id
``telegram:<telegram user id>`` (the actions load the person's role from the database
through that id), and Rasa's replies come back as Telegram messages: buttons become an
inline keyboard, long text is split, custom payloads are rendered or skipped.

Sign-in: ``/start CODE`` with a code from ``peerscope staff invite``. Messages from
accounts that are not linked to a staff record get a polite refusal and never reach Rasa.

"export my plan", "export plan 12" and ``/export [12]`` are answered by the bridge itself,
since only it can send a file: the plan's PDF as a document, made by the export the
command line uses (bot.wrsp.export), so the read is access-checked and audited; anyone
but the plan's author, their supervisor or an admin gets a refusal.

No crisis goes unanswered: whenever the bridge answers a message itself instead of
passing on Rasa's answer (not signed in, over the rate limit, not text, Rasa down or
slow or failing, an empty answer because the action server is down, an error in the
bridge), a message with risk-of-harm language also gets CRISIS_LINE (988 and 911).
Telegram may deliver an update twice (after a timeout, or again to a bridge restarted before
it confirmed the update): a message already seen, by (chat id, message id), is dropped, so a
resend is not taken as the next answer. What must outlive the process or be shared with a
second bridge is in the database (bot/store/telegram_state.py): the updates seen, each
account's flood-control count, and button payloads too long for Telegram's callback data.

The bridge is also the one process that holds the bot token, so it sends what other
processes only record (bot/channels/telegram_notify.py): risk alerts to supervisors,
repeated until acknowledged and escalated to admins (``watch_alerts``), decided notes
and the notification outbox (``watch_outcomes``).

Polling by default; webhook mode when a public webhook URL is configured (a small aiohttp
server on loopback, behind the reverse proxy that terminates TLS). Message text is never
logged: log lines carry update kinds, staff ids and exception type names only.

Run it with ``peerscope telegram`` (or ``python -m bot.channels.telegram``); ``peerscope
run`` starts it too when TELEGRAM_BOT_TOKEN is set (see start_bridge_process).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable

import httpx

from bot.channels.rest import DEFAULT_URL, RasaUnavailable, Reply, replies_from, signed_message, webhook_url
from bot.channels.telegram_text import CallbackPayloads, render_replies, split_message
from bot.notes.risk import CRISIS_LINE

logger = logging.getLogger("peerscope.telegram")

CHANNEL = "telegram"
ALLOWED_UPDATES = ["message", "callback_query"]

NOT_SIGNED_IN = (
    "Hello! PeerScope is for peer support staff of the program. This Telegram account isn't "
    "signed in yet. If you work here, ask your admin for an invite code and send it like this:\n"
    "/start YOUR-CODE"
)
SIGN_IN_HELP = (
    "Welcome to PeerScope. To sign in, send /start followed by the invite code your admin gave "
    "you, for example:\n/start ABCD-EFGH-JKMN"
)
TRY_AGAIN = (
    "PeerScope can't answer right now (it may be restarting). Please try again shortly; " "nothing you saved is lost."
)
SLOW_DOWN = "You're sending messages faster than I can keep up with. Please wait a minute, then try again."
TEXT_ONLY = "I can only read text messages. Type /help to see what I can do."
UNKNOWN_COMMAND = "I don't know that command. Try /help, /cancel, or just type your question."
EXPIRED_BUTTON = "That button has expired. Please type what you'd like to do, or /help for the menu."

EXPORT_REFUSED = (
    "Plan #{plan_id} isn't one you can export: a plan's PDF goes only to the peer who wrote it, "
    "their supervisor or an admin."
)
EXPORT_FAILED = "I couldn't make that PDF just now. Please try again shortly, or ask your supervisor."

BOT_COMMANDS = [
    ("start", "sign in with an invite code, or show the menu"),
    ("help", "what PeerScope can do"),
    ("cancel", "stop what we're doing"),
    ("export", "a WRSP plan as a PDF: /export, or /export 12 for plan #12"),
    ("webcode", "a one-time code for the supervisor console"),
]

# "export my plan", "export plan 12", "export plan #12 as a PDF": answered by the bridge itself,
# which alone can send a file (the assistant's replies are text and buttons).
EXPORT_TEXT = re.compile(
    r"^\s*(?:please\s+)?export\s+(?:my\s+|the\s+)?(?:wrsp\s+)?plan"
    r"(?:\s+(?:#\s*|no\.?\s*|number\s+)?(?P<plan_id>\d{1,9}))?(?:\s+(?:as\s+)?(?:a\s+)?pdf)?"
    r"(?:\s*,?\s*please)?\s*[.!]?\s*$",
    re.IGNORECASE,
)


def export_request(text: str | None) -> tuple[bool, int | None]:
    """(True, plan id or None) when ``text`` asks for a plan's PDF ("export my plan",
    "export plan 12", "/export 12" without the slash), else (False, None)."""
    match = EXPORT_TEXT.match(text or "")
    if not match:
        return False, None
    return True, int(match["plan_id"]) if match["plan_id"] else None


def plan_pdf(staff_id: int, plan_id: int | None) -> tuple[int, str, bytes] | str:
    """The plan's PDF for a signed-in staff member (bot.wrsp.export.pdf_for_chat, the same
    export the command line uses: access-checked and audited), or the message to send
    instead. A plan that does not exist and one the person may not see get the same
    refusal, so the answer does not tell which plan numbers exist."""
    from bot.store import access, session_scope
    from bot.wrsp.export import ExportChoice, pdf_for_chat

    try:
        with session_scope() as session:
            return pdf_for_chat(session, access.actor(session, staff_id), plan_id)
    except (access.AccessDenied, access.NotFound):
        return EXPORT_REFUSED.format(plan_id=plan_id if plan_id is not None else "?")
    except ExportChoice as exc:
        return str(exc)


# --- configuration --------------------------------------------------------------------------


@dataclass
class TelegramConfig:
    token: str
    rasa_url: str = DEFAULT_URL
    api_url: str = "https://api.telegram.org"  # a local Bot API server, or the tests' fake
    webhook_url: str | None = None  # public HTTPS URL; set => webhook mode
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    rasa_timeout: float = 45.0  # seconds before "try again shortly"
    rate_limit: int = 20  # messages per user per minute
    notify_interval: float = 60.0  # seconds between checks for decided notes and the outbox; 0 turns it off
    alert_interval: float = 2.0  # seconds between checks for risk alerts to send (always on)
    alert_repeat: float = 15 * 60.0  # an open alert is sent again after this many seconds
    alert_escalate_after: float = 30 * 60.0  # ... and to every admin too once open this long
    retry_delay: float = 1.0  # first backoff step for Telegram API errors
    retries: int = 4

    @property
    def webhook_path(self) -> str:
        from urllib.parse import urlparse

        return (urlparse(self.webhook_url).path or "/") if self.webhook_url else "/"

    @classmethod
    def from_env(cls, env: dict | None = None, **overrides: Any) -> "TelegramConfig":
        """The settings from the environment; bot.settings.SettingError (one line naming the
        variable) for a value that is not a number, or below what makes sense."""
        from bot.settings import load

        env = dict(os.environ if env is None else env)
        token = overrides.pop("token", None) or env.get("TELEGRAM_BOT_TOKEN", "").strip()
        settings = load(env)  # every PEERSCOPE_* setting, the time zone and encoder threads included
        values: dict[str, Any] = {
            "rasa_url": settings.rasa_url,
            "api_url": settings.telegram_api_url or cls.api_url,
            "webhook_url": settings.telegram_webhook_url,
            "webhook_listen": settings.telegram_webhook_listen,
            "webhook_port": settings.telegram_webhook_port,
            "rasa_timeout": settings.telegram_rasa_timeout,
            "rate_limit": settings.telegram_rate_limit,
            "notify_interval": settings.telegram_notify_interval,
            "retry_delay": settings.telegram_retry_delay,
            "alert_interval": settings.alert_poll_seconds,
            "alert_repeat": settings.alert_repeat_seconds,
            "alert_escalate_after": settings.alert_escalate_seconds,
        }
        if settings.telegram_webhook_secret:
            values["webhook_secret"] = settings.telegram_webhook_secret
        if not token:
            raise SystemExit("peerscope: set TELEGRAM_BOT_TOKEN (from @BotFather) to run the Telegram bridge")
        values.update({k: v for k, v in overrides.items() if v is not None})
        if values["alert_interval"] <= 0:  # risk alerts cannot be turned off
            values["alert_interval"] = cls.alert_interval
        return cls(token=token, **values)

    def builder(self):
        """An ApplicationBuilder pointed at this configuration's Bot API server."""
        from telegram.ext import Application

        api = self.api_url.rstrip("/")
        return Application.builder().token(self.token).base_url(f"{api}/bot").base_file_url(f"{api}/file/bot")

    def bot(self):
        from telegram import Bot

        api = self.api_url.rstrip("/")
        return Bot(self.token, base_url=f"{api}/bot", base_file_url=f"{api}/file/bot")


# --- Telegram API calls with retries ----------------------------------------------------------


async def call_with_retry(
    fn: Callable[..., Awaitable[Any]],
    *args: Any,
    retries: int = 4,
    delay: float = 1.0,
    max_delay: float = 60.0,
    **kwargs: Any,
) -> Any:
    """Call a Bot API method, retrying up to ``retries`` times (for ever if < 0): on flood
    control after the wait Telegram asks for, on network errors and 5xx with exponential
    backoff. Bad requests, forbidden chats and invalid tokens are raised at once."""
    from telegram.error import BadRequest, NetworkError, RetryAfter

    for attempt in itertools.count():
        try:
            return await fn(*args, **kwargs)
        except BadRequest:  # a NetworkError subclass, but retrying cannot help
            raise
        except (RetryAfter, NetworkError) as exc:  # NetworkError includes TimedOut and 5xx
            if 0 <= retries <= attempt:
                raise
            if isinstance(exc, RetryAfter):
                wait = exc.retry_after
                wait = wait.total_seconds() if hasattr(wait, "total_seconds") else float(wait)
            else:
                wait = delay * 2**attempt
        logger.warning("telegram: API call failed, retry %d in %.1f s", attempt + 1, min(wait, max_delay))
        await asyncio.sleep(min(wait, max_delay))


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


# --- Rasa ---------------------------------------------------------------------------------------


class AsyncRasa:
    """The async twin of bot.channels.rest.RestClient.send, for the bridge's event loop."""

    def __init__(self, base_url: str, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.AsyncClient(timeout=timeout)

    async def send(self, sender: str, message: str) -> list[Reply]:
        try:
            response = await self._client.post(webhook_url(self.base_url), **signed_message(sender, message))
        except httpx.HTTPError as exc:
            raise RasaUnavailable(type(exc).__name__) from None
        return replies_from(response)

    async def aclose(self) -> None:
        await self._client.aclose()


def risk_finding(text: Any):
    """The chat's risk check (both tiers: a RiskFinding or None), for messages Rasa will not
    see or could not answer. Never raises."""
    from bot.notes.risk import safe_risk_in

    return safe_risk_in(text)


def risk_in_text(text: Any) -> bool:
    return risk_finding(text) is not None


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


def _display_name(user: Any) -> str | None:
    name = " ".join(p for p in (user.first_name, user.last_name) if p)
    return name or None


# --- the bridge ---------------------------------------------------------------------------------


class TelegramBridge:
    def __init__(self, config: TelegramConfig) -> None:
        self.config = config
        self.rasa = AsyncRasa(config.rasa_url, config.rasa_timeout)
        self.limiter = RateLimiter(config.rate_limit)
        self.payloads = CallbackPayloads(store=StoredPayloads())
        self.recent = SeenUpdates()
        # names this bridge's claims on notices (bot/store/notifications.py, alerts.py)
        self.bridge_id = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"
        self._locks: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.app = None

    # building ---------------------------------------------------------------------------------

    def build_application(self):
        from telegram import Update
        from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, TypeHandler, filters

        app = self.config.builder().concurrent_updates(64).build()
        private = filters.ChatType.PRIVATE
        app.add_handler(TypeHandler(Update, self.drop_duplicates), group=-1)
        app.add_handler(CommandHandler("start", self.on_start, filters=private))
        app.add_handler(CommandHandler("help", self.on_help, filters=private))
        app.add_handler(CommandHandler("cancel", self.on_cancel, filters=private))
        app.add_handler(CommandHandler("export", self.on_export, filters=private))
        app.add_handler(CommandHandler("webcode", self.on_webcode, filters=private))
        app.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, self.on_text))
        app.add_handler(MessageHandler(private & filters.COMMAND, self.on_unknown_command))
        app.add_handler(MessageHandler(private & ~filters.TEXT & ~filters.StatusUpdate.ALL, self.on_not_text))
        app.add_handler(CallbackQueryHandler(self.on_button))
        app.add_error_handler(self.on_error)
        self.app = app
        return app

    # sending ----------------------------------------------------------------------------------

    async def _api(self, fn, *args, **kwargs):
        return await call_with_retry(fn, *args, retries=self.config.retries, delay=self.config.retry_delay, **kwargs)

    def _markup(self, buttons: list[tuple[str, str]] | None):
        from telegram import InlineKeyboardButton, InlineKeyboardMarkup

        if not buttons:
            return None
        return InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(title[:64], callback_data=self.payloads.encode(payload))]
                for title, payload in buttons
            ]
        )

    async def say(self, chat_id: int, text: str, buttons: list[tuple[str, str]] | None = None) -> None:
        """Send a message (split if long; buttons on the last part), retrying API errors."""
        parts = split_message(text)
        for n, part in enumerate(parts):
            markup = None
            if n == len(parts) - 1 and buttons:  # a long payload is saved in the database first
                markup = await asyncio.to_thread(self._markup, buttons)
            await self._api(self.app.bot.send_message, chat_id=chat_id, text=part, reply_markup=markup)

    async def _keep_typing(self, chat_id: int) -> None:
        from telegram.constants import ChatAction
        from telegram.error import TelegramError

        while True:  # Telegram shows "typing…" for 5 s per call
            try:
                await self.app.bot.send_chat_action(chat_id=chat_id, action=ChatAction.TYPING)
            except TelegramError:
                pass
            await asyncio.sleep(4)

    async def relay(self, chat_id: int, user_id: int, message: str) -> None:
        """Send one message to Rasa as this Telegram user and deliver the replies, in order.
        One message per user at a time, so replies never overtake each other."""
        async with self._locks[user_id]:
            typing = asyncio.create_task(self._keep_typing(chat_id))
            try:
                replies = await self.rasa.send(f"{CHANNEL}:{user_id}", message)
            except RasaUnavailable as exc:
                logger.warning("telegram: Rasa unavailable (%s)", exc)
                replies = None
            finally:
                typing.cancel()
            if not replies:
                # None: Rasa is down, slow or failing. []: Rasa answered nothing, which is what
                # happens when the action server is down (every PeerScope turn says something).
                if replies is not None:
                    logger.warning("telegram: Rasa sent an empty answer (is the action server down?)")
                await self.say(chat_id, TRY_AGAIN)
                await self.crisis_line_if_risk(chat_id, message, alert_for=user_id)
                return
            for out in render_replies(replies):
                await self.say(chat_id, out.text, out.buttons)

    async def crisis_line_if_risk(self, chat_id: int, text: Any, alert_for: int | None = None) -> bool:
        """For a message the bridge answers itself: CRISIS_LINE if it has risk language. With
        ``alert_for`` (a signed-in user whose message Rasa could not answer), a risk (not a
        possible risk) also records the supervisor's risk alert, as the chat would have."""
        finding = await asyncio.to_thread(risk_finding, text)
        if finding is None:
            return False
        await self.say(chat_id, CRISIS_LINE)
        if alert_for is not None and finding.tier == "risk":
            try:
                alert_id = await asyncio.to_thread(raise_missed_alert, alert_for, finding.about)
                if alert_id is not None:
                    logger.warning("telegram: Rasa could not answer a risk message; risk alert #%d recorded", alert_id)
            except Exception as exc:  # the database may be down too; the crisis line went out
                logger.error("telegram: could not record a risk alert (%s)", type(exc).__name__)
        return True

    # the gate -------------------------------------------------------------------------------

    async def admit(self, chat_id: int, user_id: int, refusal: str = NOT_SIGNED_IN) -> int | None:
        """Flood control, then sign-in. Returns the staff id, or None after answering."""
        verdict = await asyncio.to_thread(self.limiter.check, user_id)
        if verdict != "ok":
            if verdict == "warn":
                logger.info("telegram: rate limit reached for a user")
                await self.say(chat_id, SLOW_DOWN)
            return None
        staff_id = await asyncio.to_thread(linked_staff_id, user_id)
        if staff_id is None:
            logger.info("telegram: refused a message from an account that is not signed in")
            await self.say(chat_id, refusal)
        return staff_id

    # handlers -------------------------------------------------------------------------------

    async def drop_duplicates(self, update, context) -> None:
        """Runs first for every update: an update for a message (or button press) already
        handled, by this bridge or another, before or since a restart, stops here. The check is
        one INSERT that the database refuses the second time, so two deliveries can't both pass."""
        from telegram.ext import ApplicationHandlerStop

        message, query = update.effective_message, update.callback_query
        if query is not None:
            key: tuple | None = ("button", query.id)
        elif message is not None and update.effective_chat is not None:
            key = (update.effective_chat.id, message.message_id)
        else:
            key = None
        if key is not None and not await asyncio.to_thread(self.recent.first_time, key):
            logger.info("telegram: dropped a repeated update")
            raise ApplicationHandlerStop

    async def on_start(self, update, context) -> None:
        from bot.store import invites

        chat_id, user = update.effective_chat.id, update.effective_user
        code = "".join(context.args or [])
        if not code:
            if await self.admit(chat_id, user.id, refusal=SIGN_IN_HELP) is not None:
                await self.relay(chat_id, user.id, "/greet")
            return
        verdict = await asyncio.to_thread(self.limiter.check, user.id)  # also slows down anyone guessing codes
        if verdict != "ok":
            if verdict == "warn":
                await self.say(chat_id, SLOW_DOWN)
            return
        result = await asyncio.to_thread(invites.sign_in, code, CHANNEL, str(user.id), _display_name(user))
        logger.info(
            "telegram: sign-in %s", f"ok (staff #{result.staff_id})" if result.ok else f"refused ({result.reason})"
        )
        await self.say(chat_id, result.message)
        if result.ok:
            await self.relay(chat_id, user.id, "/greet")

    async def on_help(self, update, context) -> None:
        chat_id, user_id = update.effective_chat.id, update.effective_user.id
        if await self.admit(chat_id, user_id, refusal=SIGN_IN_HELP) is not None:
            await self.relay(chat_id, user_id, "/help")

    async def on_cancel(self, update, context) -> None:
        chat_id, user_id = update.effective_chat.id, update.effective_user.id
        if await self.admit(chat_id, user_id) is not None:
            await self.relay(chat_id, user_id, "/cancel")

    async def on_export(self, update, context) -> None:
        """/export (the sender's own plan) or /export 12."""
        chat_id, user_id = update.effective_chat.id, update.effective_user.id
        staff_id = await self.admit(chat_id, user_id)
        if staff_id is None:
            return
        args = context.args or []
        wanted, plan_id = export_request("export plan " + " ".join(args)) if args else (True, None)
        if not wanted:
            return await self.say(chat_id, "Send /export for your plan, or /export 12 for plan #12.")
        await self.send_plan_pdf(chat_id, user_id, staff_id, plan_id)

    async def send_plan_pdf(self, chat_id: int, user_id: int, staff_id: int, plan_id: int | None) -> None:
        """Send a WRSP plan as a PDF document, or say why not. In turn with the person's
        other messages (the same lock as relay). Logs ids only."""
        from telegram.constants import ChatAction
        from telegram.error import TelegramError

        async with self._locks[user_id]:
            try:
                await self.app.bot.send_chat_action(chat_id=chat_id, action=ChatAction.UPLOAD_DOCUMENT)
            except TelegramError:
                pass
            try:
                result = await asyncio.to_thread(plan_pdf, staff_id, plan_id)
            except Exception as exc:  # the database may be briefly unavailable
                logger.error("telegram: plan export failed (%s)", type(exc).__name__)
                return await self.say(chat_id, EXPORT_FAILED)
            if isinstance(result, str):
                logger.info("telegram: plan export refused or unclear for staff #%d", staff_id)
                return await self.say(chat_id, result)
            exported_id, filename, data = result
            await self._api(
                self.app.bot.send_document,
                chat_id=chat_id,
                document=data,
                filename=filename,
                caption=f"WRSP plan #{exported_id} (PDF). It holds health information: "
                "keep it only where your agency's records policy allows.",
            )
            logger.info("telegram: plan #%d sent as a PDF to staff #%d", exported_id, staff_id)

    async def on_webcode(self, update, context) -> None:
        """A one-time code for the supervisor console, sent to this linked account only."""
        from bot.store.web_auth import own_code_message

        chat_id, user_id = update.effective_chat.id, update.effective_user.id
        staff_id = await self.admit(chat_id, user_id)
        if staff_id is not None:
            logger.info("telegram: console code asked for by staff #%s", staff_id)
            await self.say(chat_id, await asyncio.to_thread(own_code_message, staff_id))

    async def on_text(self, update, context) -> None:
        chat_id, user_id = update.effective_chat.id, update.effective_user.id
        text = update.effective_message.text
        wanted, plan_id = export_request(text)
        staff_id = await self.admit(chat_id, user_id)
        if staff_id is not None and wanted:
            await self.send_plan_pdf(chat_id, user_id, staff_id, plan_id)
        elif staff_id is not None:
            await self.relay(chat_id, user_id, text)
        else:
            # refused (not signed in, too fast): risk language still gets the crisis line
            await self.crisis_line_if_risk(chat_id, text)

    async def on_unknown_command(self, update, context) -> None:
        chat_id, user_id = update.effective_chat.id, update.effective_user.id
        if await self.admit(chat_id, user_id) is not None:
            await self.say(chat_id, UNKNOWN_COMMAND)
        await self.crisis_line_if_risk(chat_id, update.effective_message.text)

    async def on_not_text(self, update, context) -> None:
        """A photo, voice note, file...: not read, but a caption with risk language gets the
        crisis line, signed in or not."""
        chat_id, user_id = update.effective_chat.id, update.effective_user.id
        if await self.admit(chat_id, user_id) is not None:
            await self.say(chat_id, TEXT_ONLY)
        await self.crisis_line_if_risk(chat_id, update.effective_message.caption)

    async def on_button(self, update, context) -> None:
        from telegram.constants import ChatType
        from telegram.error import BadRequest

        query = update.callback_query
        message = query.message
        if message is None or message.chat.type != ChatType.PRIVATE:
            return await self._api(query.answer)
        chat_id, user_id = message.chat.id, query.from_user.id
        staff_id = await self.admit(chat_id, user_id)
        await self._api(query.answer)  # stops the spinner on the button
        if staff_id is None:
            return
        try:  # the choice is made: take the keyboard away so it can't be pressed twice
            await self._api(query.edit_message_reply_markup, reply_markup=None)
        except BadRequest:
            pass  # already removed (a double tap)
        payload = await asyncio.to_thread(self.payloads.decode, query.data or "")
        if not payload:
            return await self.say(chat_id, EXPIRED_BUTTON)
        await self.relay(chat_id, user_id, payload)

    async def on_error(self, update, context) -> None:
        """Log the exception type only (its message could quote what the user wrote), and
        tell the user to try again, e.g. when the database was briefly unavailable."""
        from telegram.error import TelegramError

        logger.error("telegram: handling an update failed: %s", type(context.error).__name__)
        chat = getattr(update, "effective_chat", None)
        if chat is not None and chat.type == "private" and not isinstance(context.error, TelegramError):
            message = getattr(update, "message", None)  # what the user sent (not a pressed message)
            text = (message.text or message.caption) if message is not None else None
            try:
                await self.app.bot.send_message(chat_id=chat.id, text=TRY_AGAIN)
                if await asyncio.to_thread(risk_in_text, text):
                    await self.app.bot.send_message(chat_id=chat.id, text=CRISIS_LINE)
            except TelegramError:
                pass

    # running --------------------------------------------------------------------------------

    async def _serve_webhook(self, app):
        """Telegram POSTs updates to the reverse proxy, which forwards them here (loopback)."""
        from aiohttp import web
        from telegram import Update

        secret = self.config.webhook_secret

        async def receive(request: web.Request) -> web.Response:
            if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != secret:
                return web.Response(status=403)
            try:
                data = await request.json()
            except ValueError:
                return web.Response(status=400)
            await app.update_queue.put(Update.de_json(data, app.bot))
            return web.Response(text="ok")

        web_app = web.Application(client_max_size=1024 * 1024)
        web_app.router.add_post(self.config.webhook_path, receive)
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, self.config.webhook_listen, self.config.webhook_port).start()
        await self._api(
            app.bot.set_webhook, url=self.config.webhook_url, secret_token=secret, allowed_updates=ALLOWED_UPDATES
        )
        return runner

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Run until ``stop`` is set, or SIGINT/SIGTERM."""
        from telegram import BotCommand
        from telegram.error import TelegramError

        from bot.channels.telegram_notify import release_claims, watch_alerts, watch_outcomes

        stop = stop or asyncio.Event()
        # load the risk check (spaCy, the note model, the encoder) before the first message,
        # so refused messages are answered at once
        await asyncio.to_thread(risk_in_text, "warm up")
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError, ValueError):
                pass  # not the main thread
        app = self.build_application()
        await call_with_retry(app.initialize, retries=-1, delay=self.config.retry_delay)  # getMe
        runner = None
        watchers: list[asyncio.Task] = []
        try:
            try:
                await self._api(app.bot.set_my_commands, [BotCommand(n, d) for n, d in BOT_COMMANDS])
            except TelegramError as exc:
                logger.warning("telegram: could not set the command list (%s)", type(exc).__name__)
            await app.start()
            if self.config.webhook_url:
                runner = await self._serve_webhook(app)
                mode = "webhook"
            else:
                await app.updater.start_polling(
                    allowed_updates=ALLOWED_UPDATES,
                    bootstrap_retries=-1,
                    error_callback=lambda exc: logger.warning("telegram: polling error (%s)", type(exc).__name__),
                )
                mode = "polling"
            stopping = asyncio.Event()  # the watchers finish the notice under way, then stop
            watchers.append(asyncio.create_task(watch_alerts(app.bot, self.config, stopping, self.bridge_id)))
            if self.config.notify_interval > 0:
                watchers.append(asyncio.create_task(watch_outcomes(app.bot, self.config, stopping, self.bridge_id)))
            logger.info(
                "telegram: bridge running (%s) as @%s, relaying to %s", mode, app.bot.username, self.config.rasa_url
            )
            await stop.wait()
        finally:
            logger.info("telegram: stopping")
            if watchers:
                stopping.set()
                _, late = await asyncio.wait(watchers, timeout=20)
                for watcher in late:
                    watcher.cancel()
                try:  # what this bridge claimed and did not send goes to the next bridge now
                    given_back = await asyncio.to_thread(release_claims, self.bridge_id)
                    if any(given_back):
                        logger.info("telegram: gave back %d notification(s), %d alert notice(s)", *given_back)
                except Exception as exc:
                    logger.warning("telegram: could not give back claimed notices (%s)", type(exc).__name__)
            if app.updater and app.updater.running:
                await app.updater.stop()
            if runner:
                await runner.cleanup()
            if app.running:
                await app.stop()
            await app.shutdown()
            await self.rasa.aclose()


# --- command line and process management ------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rasa-url", help=f"Rasa server (default $PEERSCOPE_RASA_URL or {DEFAULT_URL})")
    parser.add_argument("--webhook-url", help="public HTTPS URL for webhook mode (default: polling)")
    parser.add_argument("--webhook-listen", help="address the webhook server binds (default 127.0.0.1)")
    parser.add_argument("--webhook-port", type=int, help="port the webhook server binds (default 8443)")
    parser.add_argument("--rate-limit", type=int, help="messages per user per minute (default 20)")


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL at INFO, and Bot API URLs contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # python-telegram-bot logs whole updates (message text) at DEBUG; nothing it says below
    # WARNING is needed.
    logging.getLogger("telegram").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def run_from_args(args: argparse.Namespace) -> int:
    from bot.store import audit

    configure_logging()
    audit.set_channel(CHANNEL)  # the bridge's audit entries (sign-ins, alert notices) say so
    config = TelegramConfig.from_env(
        rasa_url=args.rasa_url,
        webhook_url=args.webhook_url,
        webhook_listen=args.webhook_listen,
        webhook_port=args.webhook_port,
        rate_limit=args.rate_limit,
    )
    try:
        asyncio.run(TelegramBridge(config).run())
    except KeyboardInterrupt:
        pass
    return 0


def start_bridge_process(
    rasa_url: str, log_dir: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.Popen:
    """Start the bridge as a child process (the token and settings travel in the
    environment, never on the command line). Stop it with stop_bridge_process."""
    from bot.paths import PROJECT_ROOT

    child_env = dict(os.environ)
    child_env.update(env or {})
    child_env["PYTHONPATH"] = str(PROJECT_ROOT) + os.pathsep + child_env.get("PYTHONPATH", "")
    if log_dir:
        log_dir.mkdir(parents=True, exist_ok=True)
        out = open(log_dir / "telegram.log", "ab")
    else:
        out = subprocess.DEVNULL
    return subprocess.Popen(
        [sys.executable, "-m", "bot.channels.telegram", "--rasa-url", rasa_url],
        cwd=PROJECT_ROOT,
        env=child_env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_bridge_process(process: subprocess.Popen | None, timeout: float = 20) -> None:
    from bot.channels.servers import stop_child

    stop_child(process, timeout)


def main(argv: list[str] | None = None) -> int:
    from bot.settings import SettingError

    parser = argparse.ArgumentParser(prog="python -m bot.channels.telegram", description=__doc__.split("\n")[0])
    add_arguments(parser)
    try:
        return run_from_args(parser.parse_args(argv))
    except SettingError as exc:
        print(f"peerscope: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
