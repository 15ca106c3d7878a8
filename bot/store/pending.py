"""The question a clarifying choice refers to ("Do you mean ...?" with buttons).

The user's pick may reach another action server (or the same one after a restart) than the
one that asked, so the question is kept in the database, for ``PENDING_SECONDS``. One row per
chat sender; a new question replaces the old one, and rows past their time are deleted
whenever a question is kept.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.store.models import PendingQuestion, utcnow

PENDING_SECONDS = 600


def remember(session: Session, sender: str, question: str) -> None:
    now = utcnow()
    session.execute(delete(PendingQuestion).where(PendingQuestion.asked_at < now - timedelta(seconds=PENDING_SECONDS)))
    row = session.get(PendingQuestion, sender)
    if row is None:
        session.add(PendingQuestion(sender=sender, question=question, asked_at=now))
    else:
        row.question, row.asked_at = question, now


def recall(session: Session, sender: str) -> str:
    """The sender's pending question, or "" when there is none or it is too old."""
    cutoff = utcnow() - timedelta(seconds=PENDING_SECONDS)
    return (
        session.scalar(
            select(PendingQuestion.question).where(PendingQuestion.sender == sender, PendingQuestion.asked_at >= cutoff)
        )
        or ""
    )
