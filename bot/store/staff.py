"""Staff records and the chat accounts linked to them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store import audit
from bot.store.models import ChatIdentity, Program, Role, Staff


class StaffError(ValueError):
    """A staff operation that cannot be done as asked; the message is safe to show."""


def check_profile(session: Session, role: str, program: str | None,
                  supervisor_id: int | None) -> tuple[Role, Program | None]:
    """The role and program as enums, after checking them and the supervisor; StaffError if not valid."""
    try:
        role_value = Role(role)
    except ValueError:
        raise StaffError(f"role must be one of: {', '.join(r.value for r in Role)}") from None
    try:
        program_value = Program(program) if program else None
    except ValueError:
        raise StaffError(f"program must be one of: {', '.join(p.value for p in Program)}") from None
    if supervisor_id is not None:
        supervisor = session.get(Staff, supervisor_id)
        if supervisor is None or supervisor.role not in (Role.supervisor, Role.admin):
            raise StaffError(f"staff #{supervisor_id} is not a supervisor")
    return role_value, program_value


def add(
    session: Session,
    name: str,
    role: str = "peer",
    program: str | None = None,
    supervisor_id: int | None = None,
    actor_id: int | None = None,
) -> Staff:
    name = " ".join((name or "").split())
    if not name:
        raise StaffError("a staff member needs a name")
    if len(name) > 200:
        raise StaffError("the name is longer than 200 characters")
    role_value, program_value = check_profile(session, role, program, supervisor_id)
    staff = Staff(name=name, role=role_value, program=program_value, supervisor_id=supervisor_id)
    session.add(staff)
    session.flush()
    audit.record(session, "staff.add", actor_id=actor_id, object_type="staff", object_id=staff.id,
                 detail={"role": role_value.value})
    return staff


def list_all(session: Session) -> list[Staff]:
    return list(session.scalars(select(Staff).order_by(Staff.id)))


def by_identity(session: Session, channel: str, external_id: str) -> Staff | None:
    return session.scalar(
        select(Staff)
        .join(ChatIdentity)
        .where(ChatIdentity.channel == channel, ChatIdentity.external_id == external_id, Staff.active.is_(True))
    )


def link_identity(session: Session, staff_id: int, channel: str, external_id: str) -> ChatIdentity:
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise StaffError(f"no staff member #{staff_id}")
    existing = session.scalar(
        select(ChatIdentity).where(ChatIdentity.channel == channel, ChatIdentity.external_id == external_id)
    )
    if existing is not None:
        if existing.staff_id != staff_id:
            raise StaffError(f"that {channel} account is already linked to another staff member")
        return existing
    identity = ChatIdentity(staff_id=staff_id, channel=channel, external_id=external_id)
    session.add(identity)
    session.flush()
    audit.record(session, "staff.link", actor_id=staff_id, object_type="staff", object_id=staff_id,
                 detail={"channel": channel})
    return identity


def set_program(session: Session, staff_id: int, program: str) -> Staff:
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise StaffError(f"no staff member #{staff_id}")
    staff.program = Program(program)
    audit.record(session, "staff.program", actor_id=staff_id, object_type="staff", object_id=staff_id,
                 detail={"program": staff.program.value})
    return staff


def from_sender(session: Session, sender_id: str) -> Staff | None:
    """The staff member behind a Rasa sender id of the form ``channel:external_id``."""
    channel, sep, external = (sender_id or "").partition(":")
    if not sep or not external:
        return None
    return by_identity(session, channel, external)
