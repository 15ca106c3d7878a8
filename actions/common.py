"""Shared helpers for the action modules: who is talking, and safe replies."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.staff.service import CurrentStaff, by_sender

__all__ = ["CurrentStaff", "current_staff", "require_staff", "require_supervisor"]


def current_staff(tracker: Tracker) -> CurrentStaff | None:
    """The staff member linked to this conversation's sender id, loaded fresh from the database."""
    return by_sender(tracker.sender_id)


def require_staff(tracker: Tracker, dispatcher: CollectingDispatcher, **refusal: Any) -> CurrentStaff | None:
    """The linked staff member, or None after uttering ``refusal`` (``response="utter_..."``
    or ``text=...``) to an account that is not linked to a staff record."""
    staff = current_staff(tracker)
    if staff is None and refusal:
        dispatcher.utter_message(**refusal)
    return staff


def require_supervisor(tracker: Tracker, dispatcher: CollectingDispatcher, **refusal: Any) -> CurrentStaff | None:
    """The linked supervisor (or admin), or None after uttering ``refusal`` to anyone else."""
    staff = current_staff(tracker)
    if staff is None or not staff.is_supervisor:
        if refusal:
            dispatcher.utter_message(**refusal)
        return None
    return staff


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def latest_intent(tracker: Tracker) -> str | None:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def entity(tracker: Tracker, name: str) -> Any:
    """The latest message's first value of entity ``name``, or None."""
    return next(tracker.get_latest_entity_values(name), None)


def message_inside_loop(tracker: Tracker, loop: str) -> bool:
    """True when the latest user message came after ``loop`` was activated, i.e. it is an
    answer to the form rather than the message that opened it. Only the loop's current
    activation counts: once a loop was closed (or another one opened), the message that
    opens it again is not an answer to its earlier run."""
    activated = latest_user = -1
    for index, event in enumerate(tracker.events):
        if event.get("event") == "active_loop":
            activated = index if event.get("name") == loop else -1
        elif event.get("event") == "user":
            latest_user = index
    return latest_user > activated >= 0


def payload(kind: str, **data: Any) -> dict[str, Any]:
    """A custom JSON payload for channels that render structured data."""
    return {"type": kind, **data}
