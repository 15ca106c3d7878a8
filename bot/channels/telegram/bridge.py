"""The bridge's handlers: the gate (flood control, then sign-in), relaying a message to Rasa
and its replies back, buttons, a plan's PDF, and the crisis line for every message the bridge
answers itself. Running it (polling or webhook) is runner.py."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections import defaultdict
from typing import Any

from bot.channels.rest import RasaUnavailable
from bot.channels.telegram.client import CHANNEL, AsyncRasa, TelegramConfig, call_with_retry
from bot.channels.telegram.export import EXPORT_FAILED, export_request, plan_pdf
from bot.channels.telegram.state import (
    RateLimiter,
    SeenUpdates,
    StoredPayloads,
    linked_staff_id,
    raise_missed_alert,
)
from bot.channels.telegram.text import CallbackPayloads, render_replies, split_message
from bot.notes.risk import CRISIS_LINE

logger = logging.getLogger("peerscope.telegram")

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

BOT_COMMANDS = [
    ("start", "sign in with an invite code, or show the menu"),
    ("help", "what PeerScope can do"),
    ("cancel", "stop what we're doing"),
    ("export", "a WRSP plan as a PDF: /export, or /export 12 for plan #12"),
    ("webcode", "a one-time code for the supervisor console"),
]


def risk_finding(text: Any):
    """The chat's risk check (both tiers: a RiskFinding or None), for messages Rasa will not
    see or could not answer. Never raises."""
    from bot.notes.risk import safe_risk_in

    return safe_risk_in(text)


def risk_in_text(text: Any) -> bool:
    return risk_finding(text) is not None


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

    async def api(self, fn, *args, **kwargs):
        """A Bot API call with this bridge's retries (call_with_retry)."""
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
            await self.api(self.app.bot.send_message, chat_id=chat_id, text=part, reply_markup=markup)

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
            await self.api(
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
            return await self.api(query.answer)
        chat_id, user_id = message.chat.id, query.from_user.id
        staff_id = await self.admit(chat_id, user_id)
        await self.api(query.answer)  # stops the spinner on the button
        if staff_id is None:
            return
        try:  # the choice is made: take the keyboard away so it can't be pressed twice
            await self.api(query.edit_message_reply_markup, reply_markup=None)
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

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Run until ``stop`` is set, or SIGINT/SIGTERM (runner.py)."""
        from bot.channels.telegram.runner import serve

        await serve(self, stop)
