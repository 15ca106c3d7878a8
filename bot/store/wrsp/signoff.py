"""Completing a plan, the consultant's two-step sign-off (review, then sign the content hash
that was reviewed), and a review that starts the plan's next version."""

from __future__ import annotations

import hashlib
import json
from typing import Callable, Collection

from sqlalchemy.orm import Session

from bot.store import access, audit
from bot.store.models import PlanStatus, Staff, WrspAnswer, WrspPlan, utcnow
from bot.store.wrsp.plans import (
    SIGNOFF_FIELD,
    Missing,
    PlanError,
    PlanLocked,
    _deny,
    _get,
    _newer,
    _own,
    answers_of,
    owner_of,
    signoff_of,
)

# --- completing, signing, reviewing --------------------------------------------------------


def complete_plan(session: Session, actor: Staff, plan_id: int, *, missing: Missing) -> WrspPlan:
    """Mark the plan complete; refused while ``missing(answers)`` names a required question."""
    plan = _own(session, actor, plan_id, "wrsp.complete")
    if plan.status == PlanStatus.signed:
        raise PlanLocked(f"plan #{plan_id} is already signed off")
    if plan.status == PlanStatus.complete:
        return plan
    needed = missing(answers_of(plan))
    if needed:
        raise PlanError("the plan still needs: " + ", ".join(s.label for s in needed))
    plan.status, plan.completed_at = PlanStatus.complete, utcnow()
    audit.record(session, "wrsp.complete", actor_id=actor.id, object_type="wrsp_plan", object_id=plan.id)
    session.commit()
    return plan


class AttestationRequired(PlanError):
    """A sign-off without the consultant's confirmation of the attestation sentence."""


def content_hash(plan: WrspPlan) -> str:
    """SHA-256 of what a sign-off covers: the plan's identity, version and every answer,
    as canonical JSON. The same content always gives the same hash."""
    content = {
        "plan_id": plan.id,
        "version": plan.version,
        "previous_id": plan.previous_id,
        "owner_id": plan.owner_id,
        "client_ref": plan.client_ref,
        "answers": answers_of(plan),
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _signable(session: Session, actor: Staff, plan_id: int, action: str, roles: Collection[str]) -> WrspPlan:
    plan = _get(session, actor, plan_id, action, lock=True)
    if actor.role.value not in roles or actor.id == plan.owner_id:
        _deny(session, actor, action, plan_id, "only the peer's supervisor or an admin can sign off a plan")
    access.check(session, actor, owner_of(session, plan), action, "wrsp_plan", plan_id)
    if plan.status == PlanStatus.signed:
        raise PlanError(f"plan #{plan_id} is already signed off")
    if plan.status != PlanStatus.complete:
        raise PlanError(f"plan #{plan_id} is not complete yet")
    if _newer(session, plan) is not None:
        raise PlanError(f"plan #{plan_id} was replaced by a review")
    return plan


def review_for_signoff(session: Session, actor: Staff, plan_id: int, *, roles: Collection[str]) -> tuple[WrspPlan, str]:
    """Step one of a sign-off: the plan the consultant is to review, and the hash of its
    content, which step two (:func:`sign_off`) must name. Nothing is signed. ``roles``:
    the roles that may sign (the schema's)."""
    plan = _signable(session, actor, plan_id, "wrsp.signoff_review", roles)
    return plan, content_hash(plan)


MIN_HASH_PREFIX = 8


def sign_off(
    session: Session,
    actor: Staff,
    plan_id: int,
    *,
    roles: Collection[str],
    attestation: str,
    attested: bool = False,
    reviewed_hash: str | None = None,
) -> WrspPlan:
    """Step two: the clinical consultant's sign-off, by the owner's supervisor or an admin,
    who has confirmed the attestation sentence (``attested``). ``reviewed_hash`` (the hash
    from :func:`review_for_signoff`, or its first 8+ characters) must match the plan as it is
    now, so what is signed is what was reviewed. Records who (name and role as they were),
    when, the attestation and the SHA-256 of the signed content; the plan is locked
    afterwards: a later change needs a new version (:func:`new_version`). ``roles`` and
    ``attestation`` (the sentence confirmed) are the schema's."""
    plan = _signable(session, actor, plan_id, "wrsp.signoff", roles)
    digest = content_hash(plan)
    if not attested:
        raise AttestationRequired(f'plan #{plan_id} is not signed: confirm "{attestation}" to sign it off')
    wanted = (reviewed_hash or "").strip().lower()
    if reviewed_hash is not None and (len(wanted) < MIN_HASH_PREFIX or not digest.startswith(wanted)):
        raise PlanError(
            f"plan #{plan_id} changed since it was reviewed (or the hash is wrong); " "review it again before signing"
        )
    now = utcnow()
    plan.status, plan.signed_by_id, plan.signed_at = PlanStatus.signed, actor.id, now
    plan.answers.append(
        WrspAnswer(
            field=SIGNOFF_FIELD,
            value={
                "staff_id": actor.id,
                "name": actor.name,
                "role": actor.role.value,
                "at": now.isoformat(),
                "attestation": attestation,
                "content_sha256": digest,
            },
        )
    )
    audit.record(
        session, "wrsp.signed", actor_id=actor.id, object_type="wrsp_plan", object_id=plan.id, detail={"sha256": digest}
    )
    # the owner is told by the Telegram bridge (an outbox row, committed with the sign-off)
    from bot.store import notifications

    notifications.plan_signed_off(session, plan)
    session.commit()
    return plan


def signature_matches(plan: WrspPlan) -> bool:
    """True when a signed plan's content is still what was signed."""
    signed = signoff_of(plan)
    return bool(signed and signed.get("content_sha256") == content_hash(plan))


def new_version(session: Session, actor: Staff, plan_id: int, *, renewed: Callable[[str], bool]) -> WrspPlan:
    """Start a review: version+1 in progress with the answers copied, except the fields
    ``renewed(field)`` says a review asks again (such as signatures); the old version
    stays as it was."""
    plan = _own(session, actor, plan_id, "wrsp.review")
    if plan.status == PlanStatus.in_progress:
        raise PlanError(f"plan #{plan_id} is still in progress; finish it before starting a review")
    newer = _newer(session, plan)
    if newer is not None:
        raise PlanError(f"plan #{plan_id} already has a review, plan #{newer.id}")
    review = WrspPlan(
        owner_id=plan.owner_id,
        client_ref=plan.client_ref,
        program=plan.program,
        admission_date=plan.admission_date,
        status=PlanStatus.in_progress,
        version=plan.version + 1,
        previous_id=plan.id,
    )
    session.add(review)
    session.flush()
    for field, value in answers_of(plan).items():
        if not renewed(field):
            review.answers.append(WrspAnswer(field=field, value=value))
    audit.record(
        session,
        "wrsp.review",
        actor_id=actor.id,
        object_type="wrsp_plan",
        object_id=review.id,
        detail={"previous": plan.id, "version": review.version},
    )
    session.commit()
    return review
