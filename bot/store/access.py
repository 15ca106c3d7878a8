"""Who may read what. Every read of a note or plan goes through here and is audited."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

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


def team(actor: Staff) -> Select:
    """The ids of the staff ``actor`` supervises, as a subquery: the one definition of a
    supervisor's team that every list of records (notes, plans, alerts, onboarding, questions) uses."""
    return select(Staff.id).where(Staff.supervisor_id == actor.id)


def check(session: Session, actor: Staff, owner: Staff, action: str, object_type: str, object_id: int) -> None:
    """Audit the access and raise AccessDenied when it is not allowed."""
    allowed = may_read(actor, owner)
    audit.record(
        session,
        action,
        actor_id=actor.id,
        object_type=object_type,
        object_id=object_id,
        outcome="ok" if allowed else "denied",
    )
    if not allowed:
        # the denial must be stored even though the caller's work stops here
        session.commit()
        raise AccessDenied(f"you don't have access to {object_type} #{object_id}")


def deny(
    session: Session,
    action: str,
    message: str,
    *,
    actor_id: int | None,
    object_type: str | None = None,
    object_id: int | None = None,
    detail: dict | None = None,
) -> None:
    """Audit a refusal, store it at once (the caller's transaction is about to be rolled
    back) and raise AccessDenied with ``message``."""
    audit.record(
        session,
        action,
        actor_id=actor_id,
        object_type=object_type,
        object_id=object_id,
        outcome="denied",
        detail=detail,
    )
    session.commit()
    raise AccessDenied(message)


def actor(session: Session, staff_id: int) -> Staff:
    """The acting staff member, if active; anyone else is refused (and the refusal audited)."""
    staff = session.get(Staff, staff_id)
    if staff is None or not staff.active:
        deny(
            session,
            "access.actor",
            f"no active staff member #{staff_id}",
            actor_id=staff.id if staff else None,
            object_type="staff",
            object_id=staff_id,
        )
    return staff


def require_admin(
    session: Session, actor: Staff, action: str, object_type: str | None = None, object_id: int | None = None
) -> None:
    """Only an active admin may manage staff and invites; anyone else is refused (audited)."""
    if actor is None or not actor.active or actor.role != Role.admin:
        deny(
            session,
            action,
            "only an admin can do that",
            actor_id=actor.id if actor else None,
            object_type=object_type,
            object_id=object_id,
        )
