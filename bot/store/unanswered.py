"""Questions the policies do not cover, logged so a supervisor can see what is missing.

A question may name a client, so it is shown only to the asker's own supervisor and to
admins, and it is deleted with the conversation logs (bot.store.retention)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store import access
from bot.store.db import session_scope
from bot.store.models import Role, Staff, UnansweredQuestion

MAX_QUESTION_CHARS = 2000


def record(
    question: str, staff_id: int | None = None, program: str | None = None, session: Session | None = None
) -> int:
    """Store the question (truncated) with the asker's staff id only; returns its id."""
    row = UnansweredQuestion(question=question.strip()[:MAX_QUESTION_CHARS], staff_id=staff_id, program=program)
    if session is not None:
        session.add(row)
        session.flush()
        return row.id
    with session_scope() as own:
        own.add(row)
        own.flush()
        return row.id


def list_open(session: Session, actor: Staff, limit: int = 100) -> list[UnansweredQuestion]:
    """Open questions ``actor`` may read: an admin all, a supervisor their supervisees'."""
    query = (
        select(UnansweredQuestion)
        .where(UnansweredQuestion.resolved_at.is_(None))
        .order_by(UnansweredQuestion.created_at.desc())
        .limit(limit)
    )
    if actor.role == Role.admin:
        return list(session.scalars(query))
    if actor.role != Role.supervisor:
        return []
    return list(session.scalars(query.where(UnansweredQuestion.staff_id.in_(access.team(actor)))))
