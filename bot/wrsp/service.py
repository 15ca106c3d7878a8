"""The WRSP feature's API: what the chat actions, the CLI, the web console and the
reminders call to create, answer, complete, sign off, review and list plans.

The tables and their queries are the store's (bot/store/wrsp/); the interview's rules
come from the schema (knowledge/wrsp/schema.yml) and are applied here: a client ref is
initials or a record number, an answer has the shape its question stores, which
questions are required, who signs and what they confirm, which sections a review asks
again, and when a plan is due (bot/wrsp/due.py). The store's read functions and errors
are importable from here too, so a caller needs this one module::

    from bot.wrsp import service as plans
    plan = plans.create_plan(session, peer, "J.D.")
    plans.save_answer(session, peer, plan.id, "strengths", ["music"])
"""

from __future__ import annotations

from datetime import date
from typing import Any, Iterable

from sqlalchemy.orm import Session

from bot.store import audit, session_scope
from bot.store import wrsp as store
from bot.store.models import PlanStatus, Staff, WrspAnswer, WrspPlan
from bot.store.wrsp import (
    MIN_HASH_PREFIX,
    SIGNOFF_FIELD,
    AttestationRequired,
    PlanError,
    PlanLocked,
    answer_history,
    answers_of,
    content_hash,
    get_answers,
    history_of,
    list_plans,
    owner_of,
    plans_in_progress,
    previous_of,
    read_plan,
    record_export,
    signature_matches,
    signoff_of,
)
from bot.wrsp.due import OK, DueStatus, due_status
from bot.wrsp.interview import Interview
from bot.wrsp.schema import load_schema
from bot.wrsp.validators import ref_key, validate_client_ref

__all__ = [
    "MIN_HASH_PREFIX",
    "SIGNOFF_FIELD",
    "AttestationRequired",
    "PlanError",
    "PlanLocked",
    "WrspPlan",
    "answer_history",
    "answers_of",
    "attestation",
    "complete_plan",
    "content_hash",
    "create_plan",
    "due_of",
    "find_by_client_ref",
    "get_answers",
    "history_of",
    "list_plans",
    "new_version",
    "owner_of",
    "plans_due",
    "plans_in_progress",
    "previous_of",
    "read_plan",
    "record_export",
    "review_for_signoff",
    "save_answer",
    "sign_off",
    "signature_matches",
    "signoff_of",
]


# --- the schema's rules, as the store takes them ---------------------------------------------


def _missing(answers: dict[str, Any]) -> list:
    """The required questions still unanswered (Steps, with .label)."""
    return Interview(load_schema(), answers).missing_required()


def _is_iso(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _check_value(field: str, value: Any) -> Any:
    """The value if it has the shape the field's type stores (validators produce these)."""
    try:
        question = load_schema().question_for(field)
    except KeyError:
        raise PlanError(f"{field!r} is not a question in the WRSP") from None
    kind = question.type
    ok = {
        "text": isinstance(value, str) and value.strip() != "",
        "list": isinstance(value, list)
        and all(isinstance(i, str) for i in value)
        and (bool(value) or question.allow_none),
        "yes_no": isinstance(value, bool),
        "choice": isinstance(value, str) and value in {c.value for c in question.choices},
        "date": isinstance(value, str) and _is_iso(value),
    }[kind]
    if question.check == "client_ref":
        ok = ok and validate_client_ref(value).ok
    if not ok:
        raise PlanError(f"that is not a valid {kind.replace('_', '/')} answer for {question.label}")
    return value


# --- creating and finding ----------------------------------------------------------------------


def create_plan(session: Session, owner: Staff, client_ref: str, program: str | None = None) -> WrspPlan:
    """A new plan (version 1) for initials or a record number, never a full name (PlanError,
    with a message to show). The client ref (and program, if given) are the first answers."""
    ref, error = validate_client_ref(client_ref)
    if error:
        raise PlanError(error)
    return store.create_plan(session, owner, ref, program)


def find_by_client_ref(session: Session, peer: Staff, client_ref: str) -> list[WrspPlan]:
    """The peer's own latest plans for a client ("resume plan for J.D."): "J. D.", "jd" and
    "J.D." match each other. Plans in progress first, then newest."""
    key = ref_key(client_ref)
    plans = [p for p in list_plans(session, peer) if p.owner_id == peer.id and key and ref_key(p.client_ref) == key]
    plans.sort(key=lambda p: (p.status != PlanStatus.in_progress, -p.id))
    audit.record(session, "wrsp.find", actor_id=peer.id, object_type="wrsp_plan", detail={"matches": len(plans)})
    return plans


# --- answering, completing, signing, reviewing ---------------------------------------------------


def save_answer(session: Session, actor: Staff, plan_id: int, field: str, value: Any) -> WrspAnswer:
    """Store one validated answer and commit at once. Raises PlanLocked for a signed plan,
    PlanError for an unknown field, a malformed value or a plan a review has replaced."""
    return store.save_answer(session, actor, plan_id, field, value, check=_check_value, missing=_missing)


def complete_plan(session: Session, actor: Staff, plan_id: int) -> WrspPlan:
    """Mark the plan complete; refused while a required question is unanswered."""
    return store.complete_plan(session, actor, plan_id, missing=_missing)


def attestation() -> str:
    """The sentence a consultant confirms to sign off (knowledge/wrsp/schema.yml)."""
    return load_schema().signoff.attestation


def review_for_signoff(session: Session, actor: Staff, plan_id: int) -> tuple[WrspPlan, str]:
    """Step one of a sign-off: the plan to review and the hash :func:`sign_off` must name."""
    return store.review_for_signoff(session, actor, plan_id, roles=load_schema().signoff.roles)


def sign_off(
    session: Session, actor: Staff, plan_id: int, *, attested: bool = False, reviewed_hash: str | None = None
) -> WrspPlan:
    """Step two: the sign-off by a role the schema names, who confirmed its attestation
    sentence; see :func:`bot.store.wrsp.sign_off`."""
    signoff = load_schema().signoff
    return store.sign_off(
        session,
        actor,
        plan_id,
        roles=signoff.roles,
        attestation=signoff.attestation,
        attested=attested,
        reviewed_hash=reviewed_hash,
    )


def new_version(session: Session, actor: Staff, plan_id: int) -> WrspPlan:
    """Start a review: version+1 with the answers copied, except sections the schema asks again."""
    return store.new_version(session, actor, plan_id, renewed=load_schema().renewed_on_review)


# --- deadlines -------------------------------------------------------------------------------------


def due_of(session: Session, plan: WrspPlan, today: date) -> DueStatus:
    """When ``plan`` is due (its first plan or its review), as of the local day ``today``."""
    return due_status(plan, today, previous=previous_of(session, plan))


def plans_due(session: Session, actor: Staff, today: date, include_ok: bool = False) -> list[tuple[WrspPlan, Any]]:
    """(plan, DueStatus) for plans due or overdue, soonest first: a peer's own; a
    supervisor's supervisees' (and own); every plan for an admin."""
    out = []
    for plan in list_plans(session, actor):
        status = due_of(session, plan, today)
        if include_ok or status.status != OK:
            out.append((plan, status))
    out.sort(key=lambda ps: (ps[1].due_date is None, ps[1].due_date or today, ps[0].id))
    audit.record(session, "wrsp.due", actor_id=actor.id, object_type="wrsp_plan", detail={"count": len(out)})
    return out


# --- chat turns: one session each, by staff id (what actions/wrsp*.py call) -----------------


def _actor(session: Session, staff_id: int) -> Staff:
    return session.get(Staff, staff_id)


def open_plans(staff_id: int) -> list[tuple[int, str]]:
    """(id, client ref) of the staff member's plans in progress."""
    with session_scope() as session:
        return [(p.id, p.client_ref) for p in plans_in_progress(session, _actor(session, staff_id))]


def interview_for(staff_id: int, plan_id: int | None, skipped: Iterable[str] = ()) -> Interview:
    """The interview of a plan as stored now (an audited read); an empty one before the
    plan exists (its first question says who the plan is for)."""
    if plan_id is None:
        return Interview(None, {}, skipped)
    from bot.wrsp import flow

    with session_scope() as session:
        return flow.interview(session, _actor(session, staff_id), plan_id, skipped)


def plans_to_resume(
    staff_id: int, client_ref: str | None = None, plan_id: int | None = None
) -> tuple[list[tuple[int, str]], Interview | None]:
    """The plans in progress a "resume" could mean (for that client ref, or that plan id,
    which is access-checked), and the interview when exactly one is left."""
    from bot.wrsp import flow

    with session_scope() as session:
        member = _actor(session, staff_id)
        if client_ref:
            plans = [p for p in flow.resume(session, member, client_ref) if p.status == PlanStatus.in_progress]
        else:
            plans = plans_in_progress(session, member)
        if plan_id is not None:
            read_plan(session, member, plan_id)  # audited; AccessDenied for others' plans
            plans = [p for p in plans if p.id == plan_id]
        found = [(p.id, p.client_ref) for p in plans]
        return found, (flow.interview(session, member, found[0][0]) if len(found) == 1 else None)


def start_for(staff_id: int, client_ref: str, skipped: Iterable[str] = ()) -> tuple[int, str, Interview]:
    """A new plan from the interview's first answer: (its id, its client ref, its
    interview). Raises PlanError for a full name."""
    from bot.wrsp import flow

    with session_scope() as session:
        member = _actor(session, staff_id)
        plan = flow.start(session, member, client_ref)
        return plan.id, plan.client_ref, flow.interview(session, member, plan.id, skipped)


def answer_for(staff_id: int, plan_id: int, field: str, text: str, adding: bool = False, skipped: Iterable[str] = ()):
    """Validate and store one message as the answer to ``field`` (or, for a list question
    open for more, as further items): a :class:`bot.wrsp.flow.Answered`."""
    from bot.settings import local_today
    from bot.wrsp import flow

    with session_scope() as session:
        member = _actor(session, staff_id)
        if adding:
            return flow.add_items(session, member, plan_id, field, text, skipped)
        return flow.answer(session, member, plan_id, field, text, local_today(), skipped)


def complete_for(staff_id: int, plan_id: int) -> str | None:
    """Complete the plan; its deadline message, if it has one."""
    from bot.settings import local_today

    with session_scope() as session:
        member = _actor(session, staff_id)
        plan = complete_plan(session, member, plan_id)
        status = dict(plans_due(session, member, local_today(), include_ok=True)).get(plan)
        return status.message if status is not None else None


def due_for(staff_id: int) -> list[tuple[int, str, str, str]]:
    """(plan id, client ref, owner's name, deadline message) of the plans due or overdue."""
    from bot.settings import local_today

    with session_scope() as session:
        member = _actor(session, staff_id)
        return [
            (p.id, p.client_ref, owner_of(session, p).name, s.message)
            for p, s in plans_due(session, member, local_today())
        ]


def signoff_review_for(staff_id: int, plan_id: int) -> tuple[str, str]:
    """Step one of a chat sign-off: (the plan's summary to review, the hash signed)."""
    from bot.settings import local_today
    from bot.wrsp.document import plan_document, signoff_summary

    with session_scope() as session:
        member = _actor(session, staff_id)
        plan, digest = review_for_signoff(session, member, plan_id)
        return signoff_summary(plan_document(session, member, plan.id, local_today())), digest


def sign_off_for(staff_id: int, plan_id: int, reviewed_hash: str) -> tuple[int, str]:
    """Step two: sign what was reviewed (attested by the button press); (plan id, client ref).
    Also queues the owner's notice, which the Telegram bridge sends."""
    with session_scope() as session:
        plan = sign_off(session, _actor(session, staff_id), plan_id, attested=True, reviewed_hash=reviewed_hash)
        return plan.id, plan.client_ref
