"""What a policy answer leaves behind: the question a clarifying choice refers to (kept in
the database, so whichever action server gets the pick can answer it; never in the tracker
store), the unanswered-question log, and the topic (rule id, never the question) for the
insights page. The answers themselves come from bot.knowledge.engine."""

from __future__ import annotations

from bot.store import insights, pending, session_scope, unanswered


def remember_question(sender: str, question: str) -> None:
    with session_scope() as session:
        pending.remember(session, sender, question)


def question_before_pick(sender: str) -> str:
    """The question a clarifying choice refers to ("" when it is no longer known)."""
    with session_scope() as session:
        return pending.recall(session, sender)


def record_answer(question: str, staff_id: int | None, program: str | None, kind: str, rule_id, verdict: str) -> None:
    """Log a question the policies do not cover, and count the answered topic for the staff member."""
    if kind == "not_covered":
        unanswered.record(question, staff_id=staff_id, program=program)
    if staff_id is not None:
        with session_scope() as session:
            insights.record_policy_answer(session, staff_id, rule_id, verdict)
