"""A small client for Rasa's REST channel, shared by the terminal chat and the bridges."""

from __future__ import annotations

import json
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


def signed_message(sender: str, message: str) -> dict[str, Any]:
    """httpx keyword arguments for a signed message to Rasa's REST channel (see bot.auth)."""
    body = json.dumps({"sender": sender, "message": message}).encode()
    return {"content": body, "headers": {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body)}}


def replies_from(response: httpx.Response) -> list[Reply]:
    """The replies in Rasa's answer; RasaUnavailable for a server error."""
    if response.status_code >= 500:
        raise RasaUnavailable(f"HTTP {response.status_code}")
    if response.status_code >= 400:
        return [Reply(text=f"(the assistant refused that message: HTTP {response.status_code})")]
    return parse_replies(response.json())


class RestClient:
    def __init__(self, base_url: str = DEFAULT_URL, timeout: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(timeout=timeout)

    def send(self, sender: str, message: str) -> list[Reply]:
        try:
            response = self._client.post(webhook_url(self.base_url), **signed_message(sender, message))
        except httpx.HTTPError as exc:
            raise RasaUnavailable(type(exc).__name__) from None
        return replies_from(response)

    def is_ready(self) -> bool:
        try:
            return self._client.get(f"{self.base_url}/", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def close(self) -> None:
        self._client.close()
