"""A message to the REST channel is handled once, however often it arrives.

Each client message carries ``message_id`` (bot.channels.rest gives every message one and
keeps it across its retries). The first request with an id handles the message and stores
its reply (encrypted with a key derived from the installation's secret: a reply may quote a
note or plan) in the shared database (bot.store.rest_messages), so every Rasa instance sees
it. A repeat (the client's retry after a timeout or a 5xx, or HAProxy's after its Rasa
instance died mid-message) gets the stored reply and is not handled again; a repeat that
arrives while the first is still running waits for it. When the first's process died, the
repeat takes the message over: the dead process saved nothing of it in the tracker (Rasa
saves a turn's events at its end), and a WRSP answer the action server had already saved is
saved again under the same question (the question is the tracker's ``wrsp_field``).
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from functools import lru_cache
from typing import Any, Awaitable, Callable

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0
POLL_SECONDS = 0.25
WAIT_SECONDS = 170.0  # under HAProxy's `timeout server` (180 s)


@lru_cache(maxsize=1)
def _owner() -> str:
    from bot.store.rest_messages import owner_id

    return owner_id()


@lru_cache(maxsize=1)
def _fernet():
    from cryptography.fernet import Fernet

    from bot.auth import derived_key

    return Fernet(base64.urlsafe_b64encode(bytes.fromhex(derived_key("rest-replies"))))


def seal(value: Any) -> str:
    """``value`` as JSON, encrypted with a key derived from the installation's secret."""
    return _fernet().encrypt(json.dumps(value).encode()).decode()


def unseal(token: str) -> Any:
    return json.loads(_fernet().decrypt(token.encode()))


def _store_now(call: str, *args: Any):
    from bot.store import rest_messages, session_scope

    with session_scope() as session:
        return getattr(rest_messages, call)(session, *args)


async def _store(call: str, *args: Any):
    """``rest_messages.<call>`` in a worker thread: a commit waits for the disk, and the
    server's other conversations must not wait with it."""
    return await asyncio.to_thread(_store_now, call, *args)


async def _beat(sender: str, message_id: str) -> None:
    while True:
        await asyncio.sleep(HEARTBEAT_SECONDS)
        try:
            await _store("heartbeat", sender, message_id, _owner())
        except Exception as exc:  # the next beat may work; a repeat waits a little longer meanwhile
            logger.warning("rest channel: message heartbeat failed (%s)", type(exc).__name__)


Handled = tuple[int, list[dict[str, Any]], bool]


async def handle_once(
    sender: str, message_id: str, handle: Callable[[], Awaitable[Handled]]
) -> tuple[tuple[int, list[dict[str, Any]]], bool]:
    """((HTTP status, replies), replayed): ``handle()``'s answer, or the stored answer of
    the first request with this id (``replayed`` True). ``handle()`` says whether its answer
    is final (kept for a repeat); when it is not (a failure, "couldn't answer" when the
    action servers were down), the id is released and a repeat handles the message anew.
    When the database cannot be reached the message is handled as it comes: an answer (and
    the crisis line, when the message needs it) matters more than a repeat handled twice."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            claim = await _store("claim", sender, message_id, _owner())
        except Exception as exc:
            logger.error("rest channel: message ids unavailable, handling as it comes (%s)", type(exc).__name__)
            status, replies, _ = await handle()
            return (status, replies), False
        if claim.state == "done":
            return (200, unseal(claim.reply)), True
        if claim.state == "mine":
            break
        if time.monotonic() > deadline:
            return (503, []), False
        await asyncio.sleep(POLL_SECONDS)
    beat = asyncio.create_task(_beat(sender, message_id))
    stored = False
    try:
        status, replies, final = await handle()
        if final:
            try:
                stored = await _store("finish", sender, message_id, _owner(), seal(replies))
            except Exception as exc:  # the answer still goes out; a repeat would handle it again
                logger.error("rest channel: could not store a reply (%s)", type(exc).__name__)
            else:
                if not stored:
                    logger.warning("rest channel: a message was taken over while it was handled")
        return (status, replies), False
    finally:
        beat.cancel()
        if not stored:
            try:
                _store_now("release", sender, message_id, _owner())
            except Exception as exc:
                logger.error("rest channel: could not release a message id (%s)", type(exc).__name__)
