"""Onboarding progress and quiz attempts.

The repository knows rows, not content: which module ids exist, how many messages
they have and how a quiz is scored is decided by bot/onboarding, which passes the
results in. Reads return plain frozen snapshots (:class:`Progress`) so callers can
use them after the session is closed.

Writes are flushed at once; the caller's ``session_scope()`` commits, so each chat
turn (one step, one answer) is saved as soon as it is handled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Mapping

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store import access, audit
from bot.store.models import OnboardingProgress, QuizAttempt, Role, Staff, utcnow


class OnboardingError(ValueError):
    """An onboarding operation that cannot be done as asked. The message is safe to show."""


@dataclass(frozen=True)
class ModuleProgress:
    module: str
    step: int  # messages of the module already read (index of the next one)
    completed_at: datetime | None


@dataclass(frozen=True)
class Attempt:
    id: int
    answers: Mapping[str, str]  # question id -> option id
    score: int | None
    total: int | None
    passed: bool | None
    started_at: datetime
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.finished_at is not None


@dataclass(frozen=True)
class Progress:
    staff_id: int
    modules: Mapping[str, ModuleProgress] = field(default_factory=dict)
    attempts: tuple[Attempt, ...] = ()  # oldest first

    @property
    def open_attempt(self) -> Attempt | None:
        return next((a for a in reversed(self.attempts) if not a.finished), None)

    def step(self, module: str) -> int:
        row = self.modules.get(module)
        return row.step if row else 0


def _attempt(row: QuizAttempt) -> Attempt:
    answers = row.answers if isinstance(row.answers, dict) else {}
    return Attempt(row.id, dict(answers), row.score, row.total, row.passed, row.started_at, row.finished_at)


def get_progress(session: Session, staff_id: int) -> Progress:
    """The staff member's own progress (no access check: for the member themself)."""
    rows = session.scalars(select(OnboardingProgress).where(OnboardingProgress.staff_id == staff_id))
    attempts = session.scalars(
        select(QuizAttempt).where(QuizAttempt.staff_id == staff_id).order_by(QuizAttempt.started_at, QuizAttempt.id)
    )
    return Progress(
        staff_id=staff_id,
        modules={r.module: ModuleProgress(r.module, r.step, r.completed_at) for r in rows},
        attempts=tuple(_attempt(a) for a in attempts),
    )


def _progress_row(session: Session, staff_id: int, module: str) -> OnboardingProgress:
    query = select(OnboardingProgress).where(
        OnboardingProgress.staff_id == staff_id, OnboardingProgress.module == module
    )
    row = session.scalar(query.with_for_update())
    if row is not None:
        return row
    try:
        with session.begin_nested():  # two chat turns racing to create the same row
            row = OnboardingProgress(staff_id=staff_id, module=module, step=0)
            session.add(row)
    except IntegrityError:
        row = session.scalar(query.with_for_update())
    return row


def record_step(session: Session, staff_id: int, module: str, step: int, completed: bool) -> ModuleProgress:
    """Record that ``step`` messages of ``module`` have been read. Steps only move forward,
    so a repeated or late message never moves anyone back."""
    if step < 0:
        raise OnboardingError("a step cannot be negative")
    row = _progress_row(session, staff_id, module)
    if step > row.step:
        row.step = step
    if completed and row.completed_at is None:
        row.completed_at = utcnow()
        audit.record(
            session,
            "onboarding.module_done",
            actor_id=staff_id,
            object_type="staff",
            object_id=staff_id,
            detail={"module": module},
        )
    session.flush()
    return ModuleProgress(row.module, row.step, row.completed_at)


def _own_attempt(session: Session, staff_id: int, attempt_id: int) -> QuizAttempt:
    row = session.scalar(select(QuizAttempt).where(QuizAttempt.id == attempt_id).with_for_update())
    if row is None or row.staff_id != staff_id:
        raise OnboardingError(f"no quiz attempt #{attempt_id} of yours")
    if row.finished_at is not None:
        raise OnboardingError(f"quiz attempt #{attempt_id} is already finished")
    return row


def start_attempt(session: Session, staff_id: int) -> Attempt:
    """The open attempt if there is one (an attempt is resumed, never doubled), else a new one."""
    row = session.scalar(
        select(QuizAttempt)
        .where(QuizAttempt.staff_id == staff_id, QuizAttempt.finished_at.is_(None))
        .order_by(QuizAttempt.id.desc())
        .limit(1)
    )
    if row is None:
        row = QuizAttempt(staff_id=staff_id, answers={})
        session.add(row)
        session.flush()
        audit.record(session, "onboarding.quiz_start", actor_id=staff_id, object_type="quiz_attempt", object_id=row.id)
    return _attempt(row)


def record_answer(session: Session, staff_id: int, attempt_id: int, question_id: str, option_id: str) -> Attempt:
    """Store one answer in an open attempt. The first answer to a question stands."""
    row = _own_attempt(session, staff_id, attempt_id)
    answers = dict(row.answers or {})
    if question_id not in answers:
        answers[question_id] = option_id
        row.answers = answers  # a new dict, so SQLAlchemy sees the JSON change
        session.flush()
    return _attempt(row)


def finish_attempt(session: Session, staff_id: int, attempt_id: int, score: int, total: int, passed: bool) -> Attempt:
    row = _own_attempt(session, staff_id, attempt_id)
    if not 0 <= score <= total:
        raise OnboardingError("the score must be between 0 and the number of questions")
    row.score, row.total, row.passed, row.finished_at = score, total, passed, utcnow()
    session.flush()
    audit.record(
        session,
        "onboarding.quiz_finish",
        actor_id=staff_id,
        object_type="quiz_attempt",
        object_id=row.id,
        detail={"score": score, "total": total, "passed": passed},
    )
    return _attempt(row)


def progress_for(session: Session, actor: Staff, staff_id: int) -> tuple[Staff, Progress]:
    """Someone's progress for an actor allowed to see it (themself, their supervisor, an
    admin); every read is audited, a refusal too."""
    owner = session.get(Staff, staff_id)
    if owner is None:
        audit.record(
            session, "onboarding.read", actor_id=actor.id, object_type="staff", object_id=staff_id, outcome="not_found"
        )
        raise access.NotFound(f"no staff member #{staff_id}")
    access.check(session, actor, owner, "onboarding.read", "staff", staff_id)
    return owner, get_progress(session, staff_id)


def supervisee_progress(session: Session, actor: Staff) -> list[tuple[Staff, Progress]]:
    """Progress of a supervisor's active supervisees (every active peer for admins), by name."""
    if actor.role not in (Role.supervisor, Role.admin):
        audit.record(session, "onboarding.team", actor_id=actor.id, outcome="denied")
        session.commit()  # the denial is stored even though the caller's work stops here
        raise access.AccessDenied("only supervisors can see their team's onboarding")
    query = select(Staff).where(Staff.active.is_(True), Staff.id != actor.id).order_by(Staff.name, Staff.id)
    if actor.role == Role.admin:
        query = query.where(Staff.role == Role.peer)
    else:
        query = query.where(Staff.id.in_(access.team(actor)))
    team = list(session.scalars(query))
    audit.record(session, "onboarding.team", actor_id=actor.id, detail={"staff": [s.id for s in team]})
    return [(member, get_progress(session, member.id)) for member in team]
