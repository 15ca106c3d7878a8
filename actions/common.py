"""Shared helpers for the action modules: who is talking, and safe replies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rasa_sdk import Tracker

from bot.store import session_scope
from bot.store import staff as staff_repo


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


def staff_row(session, staff: CurrentStaff):
    """The database row for the current staff member, in ``session``."""
    from bot.store.models import Staff

    return session.get(Staff, staff.id)


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


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
