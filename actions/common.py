"""Shared helpers for the action modules: who is talking, and safe replies."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Tracker

from bot.store import session_scope
from bot.store import staff as staff_repo

logger = logging.getLogger(__name__)

GENERIC_ERROR = "Sorry, something went wrong on my side. Please try again in a moment; nothing you saved is lost."


@dataclass(frozen=True)
class CurrentStaff:
    id: int
    name: str
    role: str
    program: str | None
    supervisor_id: int | None

    @property
    def is_supervisor(self) -> bool:
        return self.role in ("supervisor", "admin")


def current_staff(tracker: Tracker) -> CurrentStaff | None:
    """The staff member linked to this conversation's sender id, loaded fresh from the database."""
    with session_scope() as session:
        staff = staff_repo.from_sender(session, tracker.sender_id)
        if staff is None:
            return None
        return CurrentStaff(
            id=staff.id,
            name=staff.name,
            role=staff.role.value,
            program=staff.program.value if staff.program else None,
            supervisor_id=staff.supervisor_id,
        )


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def log_failure(action: str, exc: BaseException) -> None:
    """Log that an action failed without the message text or the exception message
    (which could quote health information): the type and the place only."""
    logger.error("action %s failed: %s", action, type(exc).__name__, exc_info=False)


def payload(kind: str, **data: Any) -> dict[str, Any]:
    """A custom JSON payload for channels that render structured data."""
    return {"type": kind, **data}
