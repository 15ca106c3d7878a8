"""An action call is run once per message, however often it is made.

The same call reaches an action server twice when HAProxy sends it again because the first
action server died before answering (the action may have committed: a plan created, a note
submitted), and when a turn is handled again because its Rasa instance died after the action
ran (addons.message_once hands the message to another instance, whose tracker does not have
the action's events). The call's key names the conversation, the client's message id (Rasa
puts it in the tracker's latest message), the action and how many events of this turn came
before it; a turn handled again calls the same actions in the same order, so the keys repeat.
A successful answer is stored (encrypted: its replies may quote a note or plan) and the same
call gets it back without running the action. A call whose message has no id is run as it
comes; a failed action is not stored.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from addons.message_once import seal, unseal

logger = logging.getLogger("peerscope.actions")


def call_key(call: dict[str, Any]) -> str | None:
    tracker = call.get("tracker") or {}
    message_id = (tracker.get("latest_message") or {}).get("message_id")
    if not message_id:
        return None
    events = tracker.get("events") or []
    after = 0
    for event in reversed(events):
        if isinstance(event, dict) and event.get("event") == "user":
            break
        after += 1
    else:  # no user message in this tracker: nothing to key the call by
        return None
    parts = (str(call.get("sender_id") or ""), str(message_id), str(call.get("next_action") or ""), str(after))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def kept(key: str | None) -> dict[str, Any] | None:
    """The stored answer of this call, or None (also when the store cannot be read)."""
    if key is None:
        return None
    try:
        from bot.store import rest_messages, session_scope

        with session_scope() as session:
            token = rest_messages.kept_result(session, key)
        return unseal(token) if token else None
    except Exception as exc:
        logger.warning("action server: could not read a stored action answer (%s)", type(exc).__name__)
        return None


def keep(key: str | None, result: dict[str, Any] | None) -> None:
    if key is None or result is None:
        return
    try:
        from bot.store import rest_messages, session_scope

        with session_scope() as session:
            rest_messages.keep_result(session, key, seal(result))
    except Exception as exc:  # the answer still goes back; only a repeat of the call would run again
        logger.warning("action server: could not store an action answer (%s)", type(exc).__name__)
