"""The append-only audit log: who read or changed which record, and when."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.store.models import AuditLog


def record(
    session: Session,
    action: str,
    *,
    actor_id: int | None,
    object_type: str | None = None,
    object_id: int | None = None,
    outcome: str = "ok",
    detail: dict | None = None,
) -> None:
    """Add an audit entry to the session. ``detail`` must never hold note or plan text."""
    session.add(
        AuditLog(
            action=action,
            actor_id=actor_id,
            object_type=object_type,
            object_id=object_id,
            outcome=outcome,
            detail=detail,
        )
    )
