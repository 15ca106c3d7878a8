"""A small client for Rasa's REST channel, shared by the terminal chat and the bridges.

Every message carries a ``message_id`` of its own, kept when the same message is sent again:
Rasa handles a message once, and answers a repeat with the first answer (addons.message_once),
so a retry after a timeout or a server error never applies a message twice."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.auth import SIGNATURE_HEADER, sign

DEFAULT_URL = "http://127.0.0.1:5005"


class RasaUnavailable(Exception):
    """Rasa did not answer (down, starting or too slow). Safe to show: holds no message text."""


@dataclass
class Reply:
    text: str | None = None
    buttons: list[dict[str, str]] = field(default_factory=list)
    custom: dict[str, Any] | None = None


def parse_replies(messages: list[dict[str, Any]]) -> list[Reply]:
    return [
        Reply(text=m.get("text"), buttons=list(m.get("buttons") or []), custom=m.get("custom"))
        for m in messages
        if isinstance(m, dict)
    ]


def webhook_url(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/webhooks/rest/webhook"


def new_message_id() -> str:
    return uuid.uuid4().hex


def signed_message(sender: str, message: str, message_id: str | None = None) -> dict[str, Any]:
    """httpx keyword arguments for a signed message to Rasa's REST channel (see bot.auth).
    Pass the same ``message_id`` to send the same message again; without one it gets a new one."""
    body = json.dumps({"sender": sender, "message": message, "message_id": message_id or new_message_id()}).encode()
    return {"content": body, "headers": {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body)}}


def replies_from(response: httpx.Response) -> list[Reply]:
    """The replies in Rasa's answer; RasaUnavailable for a server error."""
    if response.status_code >= 500:
        raise RasaUnavailable(f"HTTP {response.status_code}")
    if response.status_code >= 400:
        return [Reply(text=f"(the assistant refused that message: HTTP {response.status_code})")]
    return parse_replies(response.json())


class RestClient:
    """``send`` tries a message up to ``1 + retries`` times (a connection error, a timeout or a
    5xx, ``pause`` seconds apart), always with the same message id."""

    def __init__(
        self, base_url: str = DEFAULT_URL, timeout: float = 60.0, retries: int = 2, pause: float = 1.0
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retries, self.pause = retries, pause
        self._client = httpx.Client(timeout=timeout)

    def send(self, sender: str, message: str) -> list[Reply]:
        message_id = new_message_id()
        for attempt in range(self.retries + 1):
            try:
                response = self._client.post(webhook_url(self.base_url), **signed_message(sender, message, message_id))
            except httpx.HTTPError as exc:
                if attempt == self.retries:
                    raise RasaUnavailable(type(exc).__name__) from None
            else:
                if response.status_code < 500 or attempt == self.retries:
                    return replies_from(response)
            time.sleep(self.pause)
        raise AssertionError("unreachable")

    def is_ready(self) -> bool:
        try:
            return self._client.get(f"{self.base_url}/", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def close(self) -> None:
        self._client.close()
