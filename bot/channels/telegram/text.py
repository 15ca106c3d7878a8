"""Turning Rasa replies into Telegram messages: splitting long text, rendering custom
payloads, and keeping button payloads within Telegram's 64-byte callback limit.

Pure functions with no Telegram import, so they are quick to test.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Iterable, Protocol

from bot.channels.rest import Reply

TELEGRAM_MAX_CHARS = 4096
CALLBACK_MAX_BYTES = 64

VERDICT_HEADINGS = {  # the same headings the policy action writes
    "allowed": "✅ Allowed",
    "not_allowed": "⛔ Not allowed",
    "depends": "⚠️ It depends",
    "not_covered": "❔ Not covered by the policies",
    "info": "ℹ️ From the policies",
}

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+")


@dataclass
class Outgoing:
    """One Telegram message to send: text, and buttons as (title, payload) pairs."""

    text: str
    buttons: list[tuple[str, str]] = field(default_factory=list)


def split_message(text: str, limit: int = TELEGRAM_MAX_CHARS) -> list[str]:
    """Split ``text`` into chunks of at most ``limit`` characters, in order, preferring
    paragraph breaks, then line breaks, then sentence ends, then spaces. Nothing but the
    whitespace at a cut is lost."""
    text = text.strip()
    chunks: list[str] = []
    while len(text) > limit:
        cut = _best_cut(text, limit)
        head, text = text[:cut].rstrip(), text[cut:].lstrip()
        if head:
            chunks.append(head)
    if text:
        chunks.append(text)
    return chunks


def _best_cut(text: str, limit: int) -> int:
    window = text[: limit + 1]  # a break right at the limit still fits
    floor = limit // 3  # don't make tiny chunks just to honour a break near the start
    for separator in ("\n\n", "\n"):
        at = window.rfind(separator)
        if at > floor:
            return at
    ends = [m.end() for m in _SENTENCE_END.finditer(window) if floor < m.end() <= limit]
    if ends:
        return ends[-1]
    at = window.rfind(" ")
    if at > floor:
        return at
    return limit


def _squash(text: str) -> str:
    return " ".join(text.split())


def _said(fragment: str, texts: str) -> bool:
    fragment = _squash(fragment)
    return bool(fragment) and fragment[:80] in texts


def _citation_lines(citations: Iterable[dict[str, Any]], limit: int = 3) -> list[str]:
    citations = list(citations)
    lines = [f"“{c.get('quote', '')}”\n— {c.get('source', '?')}, {c.get('section', '?')}" for c in citations[:limit]]
    if len(citations) > limit:
        lines.append(f"(and {len(citations) - limit} more)")
    return lines


def render_custom(custom: dict[str, Any], texts: str) -> str | None:
    """A readable message for a custom payload, or None when the replies' text already
    says it (``texts`` is all of the batch's text, whitespace squashed) or the type is unknown."""
    kind = custom.get("type")
    if kind == "policy_answer":
        if _said(custom.get("answer", ""), texts):
            return None
        parts = [
            VERDICT_HEADINGS.get(custom.get("verdict"), str(custom.get("verdict") or "")),
            custom.get("answer", ""),
        ]
        parts += _citation_lines(custom.get("citations") or [])
        return "\n\n".join(p for p in parts if p)
    if kind == "citations":
        citations = custom.get("citations") or []
        if not citations or all(_said(c.get("quote", ""), texts) for c in citations):
            return None
        return "\n\n".join(["Sources:"] + _citation_lines(citations))
    if kind == "note_flags":
        note_id, flags = custom.get("note_id"), custom.get("flags") or []
        if f"Note #{note_id}" in texts:
            return None
        if not flags:
            return f"Note #{note_id}: nothing out of scope found."
        categories = ", ".join(sorted({f.get("category", "?") for f in flags}))
        return f"Note #{note_id}: {len(flags)} passage(s) may be out of scope ({categories})."
    return None


def render_replies(replies: list[Reply], limit: int = TELEGRAM_MAX_CHARS) -> list[Outgoing]:
    """The Telegram messages for one batch of Rasa replies, in order.

    Rasa's REST channel cuts every utterance at blank lines into separate messages; on a
    phone that is a burst of bubbles, so consecutive texts are joined again (with the blank
    line) and only split where Telegram's 4,096-character limit needs it. Buttons close a
    message and go on its last part."""
    texts = _squash("\n".join(r.text for r in replies if r.text))
    out: list[Outgoing] = []
    pending: list[str] = []

    def flush(buttons: list[tuple[str, str]]) -> None:
        if not pending:
            return
        parts = split_message("\n\n".join(pending), limit)
        pending.clear()
        out.extend(Outgoing(part) for part in parts[:-1])
        out.append(Outgoing(parts[-1], buttons))

    for reply in replies:
        text = reply.text
        if text is None and reply.custom is not None:
            text = render_custom(reply.custom, texts)
        if text and text.strip():
            pending.append(text.strip())
        buttons = [
            (str(b.get("title") or b.get("payload")), str(b.get("payload") or b.get("title")))
            for b in reply.buttons
            if b.get("payload") or b.get("title")
        ]
        if buttons:
            if not pending:
                pending.append("Choose one:")
            flush(buttons)
    flush([])
    return out


class PayloadStore(Protocol):
    def save(self, key: str, payload: str) -> None: ...
    def load(self, key: str) -> str | None: ...


class CallbackPayloads:
    """Rasa payloads as Telegram callback data. A payload that fits in 64 bytes is used as
    it is; a longer one goes under a short key (a hash of it), kept in ``store`` when one is
    given (the bridge's is the database, so the button still works after a restart or on
    another bridge) and otherwise here, the newest ``size`` of them."""

    PREFIX = "~"

    def __init__(self, size: int = 2000, store: PayloadStore | None = None) -> None:
        self.size = size
        self.store = store
        self._long: OrderedDict[str, str] = OrderedDict()

    def encode(self, payload: str) -> str:
        if len(payload.encode()) <= CALLBACK_MAX_BYTES and not payload.startswith(self.PREFIX):
            return payload
        key = self.PREFIX + hashlib.sha256(payload.encode()).hexdigest()[:20]
        if self.store is not None:
            self.store.save(key, payload)
            return key
        self._long[key] = payload
        self._long.move_to_end(key)
        while len(self._long) > self.size:
            self._long.popitem(last=False)
        return key

    def decode(self, data: str) -> str | None:
        if data.startswith(self.PREFIX):
            return self.store.load(data) if self.store is not None else self._long.get(data)
        return data
