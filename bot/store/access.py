"""Who may read what. Every read of a note or plan goes through here and is audited."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.store import audit
from bot.store.models import Role, Staff


class AccessDenied(PermissionError):
    """The actor may not see this record. The message is safe to show."""


class NotFound(LookupError):
    """No such record. The message is safe to show."""


def may_read(actor: Staff, owner: Staff) -> bool:
    """Authors read their own records, supervisors their supervisees', admins everything."""
    if actor.role == Role.admin or actor.id == owner.id:
        return True
    return actor.role == Role.supervisor and owner.supervisor_id == actor.id


def check(session: Session, actor: Staff, owner: Staff, action: str, object_type: str, object_id: int) -> None:
    """Audit the access and raise AccessDenied when it is not allowed."""
    allowed = may_read(actor, owner)
    audit.record(session, action, actor_id=actor.id, object_type=object_type, object_id=object_id,
                 outcome="ok" if allowed else "denied")
    if not allowed:
        # the denial must be stored even though the caller's work stops here
        session.commit()
        raise AccessDenied(f"you don't have access to {object_type} #{object_id}")


def actor(session: Session, staff_id: int) -> Staff:
    staff = session.get(Staff, staff_id)
    if staff is None or not staff.active:
        raise AccessDenied(f"no active staff member #{staff_id}")
    return staff
