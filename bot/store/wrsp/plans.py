"""Plans and their answers: creating, reading and listing plans, saving answers (with their
history), and the shared checks every change to a plan goes through."""

from __future__ import annotations

from datetime import date
from typing import Any, Callable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store import access, audit
from bot.store.models import PlanStatus, Program, Role, Staff, WrspAnswer, WrspAnswerHistory, WrspPlan, utcnow

SIGNOFF_FIELD = "_signoff"  # the sign-off as recorded: name, role, time (not an interview field)


class PlanError(ValueError):
    """A plan operation that cannot be done as asked. The message is safe to show."""


class PlanLocked(PlanError):
    """The plan was signed off and can no longer change."""


def _deny(session: Session, actor: Staff, action: str, plan_id: int | None, message: str) -> None:
    audit.record(session, action, actor_id=actor.id, object_type="wrsp_plan", object_id=plan_id, outcome="denied")
    session.commit()  # the denial is stored even though the caller's work stops here
    raise access.AccessDenied(message)


def _get(session: Session, actor: Staff, plan_id: int, action: str, lock: bool = False) -> WrspPlan:
    """The plan; with ``lock``, its row locked until the transaction ends, freshly read."""
    if lock:
        audit.lock_chain(session)
        plan = session.scalar(
            select(WrspPlan).where(WrspPlan.id == plan_id).with_for_update().execution_options(populate_existing=True)
        )
    else:
        plan = session.get(WrspPlan, plan_id)
    if plan is None:
        audit.record(
            session, action, actor_id=actor.id, object_type="wrsp_plan", object_id=plan_id, outcome="not_found"
        )
        raise access.NotFound(f"no plan #{plan_id}")
    return plan


def _own(session: Session, actor: Staff, plan_id: int, action: str) -> WrspPlan:
    """The plan, locked, if ``actor`` owns it (for changes); audits a refusal."""
    plan = _get(session, actor, plan_id, action, lock=True)
    if plan.owner_id != actor.id:
        _deny(session, actor, action, plan_id, f"only the peer who wrote plan #{plan_id} can change it")
    return plan


def _newer(session: Session, plan: WrspPlan) -> WrspPlan | None:
    return session.scalar(select(WrspPlan).where(WrspPlan.previous_id == plan.id))


def answers_of(plan: WrspPlan) -> dict[str, Any]:
    """Field id -> stored value, for a plan already read through an access check."""
    return {a.field: a.value for a in plan.answers if not a.field.startswith("_")}


def signoff_of(plan: WrspPlan) -> dict | None:
    """The sign-off as recorded ({name, role, staff_id, at}), or None."""
    return next((a.value for a in plan.answers if a.field == SIGNOFF_FIELD), None)


# --- creating and reading ------------------------------------------------------------------


def create_plan(session: Session, owner: Staff, ref: str, program: str | None = None) -> WrspPlan:
    """A new plan (version 1) for a client ref the service has checked (initials or a
    record number, never a full name). The ref (and program, if given) are stored as
    the first answers."""
    plan = WrspPlan(owner_id=owner.id, client_ref=ref, status=PlanStatus.in_progress, version=1)
    session.add(plan)
    session.flush()
    audit.record(session, "wrsp.create", actor_id=owner.id, object_type="wrsp_plan", object_id=plan.id)
    _put(session, plan, "client_ref", ref)
    if program:
        _put(session, plan, "program", _program(program).value)
    session.commit()
    return plan


def read_plan(session: Session, actor: Staff, plan_id: int) -> WrspPlan:
    """A plan for someone allowed to see it; every attempt is audited."""
    plan = _get(session, actor, plan_id, "wrsp.read")
    access.check(session, actor, owner_of(session, plan), "wrsp.read", "wrsp_plan", plan_id)
    return plan


def get_answers(session: Session, actor: Staff, plan_id: int) -> dict[str, Any]:
    return answers_of(read_plan(session, actor, plan_id))


def _visible(query, actor: Staff):
    if actor.role == Role.admin:
        return query
    if actor.role == Role.supervisor:
        team = select(Staff.id).where(Staff.supervisor_id == actor.id)
        return query.where((WrspPlan.owner_id == actor.id) | WrspPlan.owner_id.in_(team))
    return query.where(WrspPlan.owner_id == actor.id)


def list_plans(
    session: Session, actor: Staff, in_progress_only: bool = False, latest_only: bool = True
) -> list[WrspPlan]:
    """Plans the actor may see: their own; a supervisor's also their supervisees'; admins all.
    ``latest_only`` leaves out versions that a review has replaced."""
    query = _visible(select(WrspPlan), actor).order_by(WrspPlan.id)
    if in_progress_only:
        query = query.where(WrspPlan.status == PlanStatus.in_progress)
    plans = list(session.scalars(query))
    if latest_only:
        replaced = set(session.scalars(select(WrspPlan.previous_id).where(WrspPlan.previous_id.is_not(None))))
        plans = [p for p in plans if p.id not in replaced]
    audit.record(session, "wrsp.list", actor_id=actor.id, object_type="wrsp_plan", detail={"count": len(plans)})
    return plans


def plans_in_progress(session: Session, peer: Staff) -> list[WrspPlan]:
    """The peer's own plans still being written, oldest first."""
    return [p for p in list_plans(session, peer, in_progress_only=True) if p.owner_id == peer.id]


# --- answering -----------------------------------------------------------------------------


def _program(value: str) -> Program:
    try:
        return Program(value)
    except ValueError:
        raise PlanError(f"program must be one of: {', '.join(p.value for p in Program)}") from None


def _put(session: Session, plan: WrspPlan, field: str, value: Any, actor: Staff | None = None) -> WrspAnswer:
    answer = session.scalar(select(WrspAnswer).where(WrspAnswer.plan_id == plan.id, WrspAnswer.field == field))
    now = utcnow()
    if answer is None:
        answer = WrspAnswer(field=field, value=value, answered_at=now)
        plan.answers.append(answer)
    else:
        if answer.value != value:  # the old value is kept, with who changed it, when and where
            session.add(
                WrspAnswerHistory(
                    plan_id=plan.id,
                    field=field,
                    old_value=answer.value,
                    new_value=value,
                    old_answered_at=answer.answered_at,
                    actor_id=actor.id if actor is not None else None,
                    channel=audit.current_channel(),
                    changed_at=now,
                )
            )
        answer.value = value
        answer.answered_at = now
    # the columns other queries need are kept in step with their answers
    if field == "client_ref":
        plan.client_ref = value
    elif field == "program":
        plan.program = _program(value)
    elif field == "admission_date":
        plan.admission_date = date.fromisoformat(value)
    plan.updated_at = utcnow()
    return answer


Missing = Callable[[dict[str, Any]], Sequence[Any]]  # answers -> the required questions (with .label) unanswered


def save_answer(
    session: Session,
    actor: Staff,
    plan_id: int,
    field: str,
    value: Any,
    *,
    check: Callable[[str, Any], Any],
    missing: Missing,
) -> WrspAnswer:
    """Store one answer and commit at once. ``check(field, value)`` returns the value to
    store or raises PlanError (an unknown field, a malformed value); ``missing(answers)``
    the required questions still unanswered (a complete plan goes back in progress when a
    new one appears). Raises PlanLocked for a signed plan, PlanError for a plan a review
    has replaced."""
    plan = _own(session, actor, plan_id, "wrsp.answer")
    if plan.status == PlanStatus.signed:
        raise PlanLocked(f"plan #{plan_id} is signed off and locked; start a review to change it")
    newer = _newer(session, plan)
    if newer is not None:
        raise PlanError(f"plan #{plan_id} was replaced by its review, plan #{newer.id}")
    value = check(field, value)
    answer = _put(session, plan, field, value, actor)
    if plan.status == PlanStatus.complete and missing(answers_of(plan)):
        plan.status, plan.completed_at = PlanStatus.in_progress, None  # a new required question appeared
    audit.record(
        session, "wrsp.answer", actor_id=actor.id, object_type="wrsp_plan", object_id=plan.id, detail={"field": field}
    )
    session.commit()
    return answer


def answer_history(session: Session, actor: Staff, plan_id: int) -> list[WrspAnswerHistory]:
    """Every change to the plan's answers, oldest first (old value, new value, who, when,
    channel), for someone allowed to read the plan; the read is audited."""
    read_plan(session, actor, plan_id)
    rows = history_of(session, plan_id)
    audit.record(
        session,
        "wrsp.history",
        actor_id=actor.id,
        object_type="wrsp_plan",
        object_id=plan_id,
        detail={"count": len(rows)},
    )
    return rows


def history_of(session: Session, plan_id: int) -> list[WrspAnswerHistory]:
    """The changes of a plan already read through an access check, oldest first."""
    return list(
        session.scalars(
            select(WrspAnswerHistory)
            .where(WrspAnswerHistory.plan_id == plan_id)
            .order_by(WrspAnswerHistory.changed_at, WrspAnswerHistory.id)
        )
    )


# --- reading around a plan ---------------------------------------------------------------


def previous_of(session: Session, plan: WrspPlan) -> WrspPlan | None:
    return session.get(WrspPlan, plan.previous_id) if plan.previous_id else None


def owner_of(session: Session, plan: WrspPlan) -> Staff | None:
    return session.get(Staff, plan.owner_id)


def record_export(session: Session, actor: Staff, plan: WrspPlan, fmt: str) -> None:
    """Audit an export of a plan already read through :func:`read_plan`."""
    audit.record(
        session, "wrsp.export", actor_id=actor.id, object_type="wrsp_plan", object_id=plan.id, detail={"format": fmt}
    )
