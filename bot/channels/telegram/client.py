"""The bridge's settings, Bot API calls with retries, and the async client of Rasa's REST channel."""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import secrets
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

import httpx

from bot.channels.rest import DEFAULT_URL, RasaUnavailable, Reply, replies_from, signed_message, webhook_url

logger = logging.getLogger("peerscope.telegram")

CHANNEL = "telegram"


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
