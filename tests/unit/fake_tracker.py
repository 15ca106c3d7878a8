"""Fake Rasa trackers for action unit tests: real rasa_sdk Tracker objects built in the
test, a CollectingDispatcher, and the real domain and database (the db_url fixture)."""

from __future__ import annotations

import asyncio
import inspect
import json
from functools import lru_cache
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.paths import PROJECT_ROOT
from bot.store import session_scope
from bot.store import staff as staff_repo


@lru_cache(maxsize=1)
def domain() -> dict:
    from rasa.shared.core.domain import Domain

    return Domain.load(str(PROJECT_ROOT / "domain")).as_dict()


def linked(name: str, sender: str, **fields) -> int:
    """A staff member linked to the REST sender ``rest:<sender>``; their id."""
    with session_scope() as s:
        member = staff_repo.add(s, name, **fields)
        staff_repo.link_identity(s, member.id, "rest", sender)
        return member.id


def tracker(
    sender: str,
    text: str = "",
    intent: str = "",
    slots: dict | None = None,
    entities: dict | None = None,
    loop: str | None = None,
    inside_loop: bool = False,
) -> Tracker:
    """The tracker an action gets for one message. With ``loop``, that form is active; with
    ``inside_loop`` the message is an answer to it (it came after the form opened)."""
    events: list[dict] = []
    if loop:
        events.append({"event": "active_loop", "name": loop})
        if inside_loop:
            events.append({"event": "user", "text": text})
    else:
        events.append({"event": "user", "text": text})
    latest = {
        "text": text,
        "intent": {"name": intent},
        "entities": [{"entity": k, "value": v} for k, v in (entities or {}).items()],
    }
    return Tracker(
        sender, dict(slots or {}), latest, events, False, None, {"name": loop} if loop else {}, "action_listen"
    )


def button(intent: str, **entities) -> dict[str, Any]:
    """tracker() keyword arguments for a button press (the payload is the message text)."""
    return {"text": f"/{intent}" + (json.dumps(entities) if entities else ""), "intent": intent, "entities": entities}


def run(action, tracker_: Tracker) -> tuple[list[dict], list[dict]]:
    """Run an action: (the messages it uttered, the events it returned)."""
    dispatcher = CollectingDispatcher()
    result = action.run(dispatcher, tracker_, domain())
    if inspect.isawaitable(result):
        result = asyncio.run(result)
    return dispatcher.messages, result


def responses(messages: list[dict]) -> list[str]:
    """What each message was: its domain response name, or its text."""
    return [m.get("response") or m.get("text") for m in messages]


def slots(events: list[dict]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
