"""The staff member behind a conversation, as the chat actions need it: a plain value
loaded fresh from the database on every turn (never an ORM row that outlives its session)."""

from __future__ import annotations

from dataclasses import dataclass

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

    @property
    def first_name(self) -> str:
        return self.name.split()[0]


def by_sender(sender_id: str) -> CurrentStaff | None:
    """The staff member linked to a chat sender id ("rest:pat", "telegram:123"), or None."""
    with session_scope() as session:
        staff = staff_repo.from_sender(session, sender_id)
        if staff is None:
            return None
        return CurrentStaff(
            id=staff.id,
            name=staff.name,
            role=staff.role.value,
            program=staff.program.value if staff.program else None,
            supervisor_id=staff.supervisor_id,
        )


def set_program(staff_id: int, program: str) -> None:
    """Remember a staff member's program ("adult" or "family") on their record."""
    with session_scope() as session:
        staff_repo.set_program(session, staff_id, program)
