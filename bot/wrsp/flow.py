"""The calls a chat adapter makes, one per user message, over the store and the interview.

    with session_scope() as s:
        peer = staff.from_sender(s, sender_id)
        plan = flow.start(s, peer, "J.D.")                   # or flow.resume(s, peer, "jd")
        iv = flow.interview(s, peer, plan.id, skipped)
        step = iv.next_step()                                # ask step.prompt
        done = flow.answer(s, peer, plan.id, step.field, text, today)
        # done.result.error -> ask again; else say done.result.confirmation, ask done.next.prompt

Skipped fields live in the conversation (a list slot), not in the database: after a
restart the interview resumes at the first unanswered question, skipped or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable

from sqlalchemy.orm import Session

from bot.store.models import Staff, WrspPlan
from bot.wrsp import service as store
from bot.wrsp import validators as v
from bot.wrsp.interview import Interview, Step
from bot.wrsp.schema import load_schema


@dataclass(frozen=True)
class Answered:
    result: v.Validated  # the value stored, or the error to show (nothing stored)
    interview: Interview  # the interview after this message
    next: Step | None  # the question to ask now (None: only skipped ones left, or done)

    @property
    def saved(self) -> bool:
        return self.result.ok


def start(session: Session, peer: Staff, client_ref: str, program: str | None = None) -> WrspPlan:
    """A new plan; raises store.PlanError with a message to show for a full name."""
    return store.create_plan(session, peer, client_ref, program)


def resume(session: Session, peer: Staff, client_ref: str) -> list[WrspPlan]:
    """The peer's plans for that client, the one in progress first."""
    return store.find_by_client_ref(session, peer, client_ref)


def interview(session: Session, actor: Staff, plan_id: int, skipped: Iterable[str] = ()) -> Interview:
    """The interview for a plan as stored now (an audited read)."""
    return Interview(load_schema(), store.get_answers(session, actor, plan_id), skipped)


def answer(
    session: Session,
    actor: Staff,
    plan_id: int,
    field: str,
    text: str,
    today: date | None = None,
    skipped: Iterable[str] = (),
) -> Answered:
    """Validate ``text`` as the answer to ``field`` and, when valid, store it (committed)
    before the next question is chosen."""
    from bot.settings import local_today

    today = today or local_today()
    current = interview(session, actor, plan_id, skipped)
    result = current.validate(field, text, today)
    if result.ok:
        store.save_answer(session, actor, plan_id, field, result.value)
        current = current.with_answer(field, result.value)
    return Answered(result, current, current.next_step())


def add_items(
    session: Session, actor: Staff, plan_id: int, field: str, text: str, skipped: Iterable[str] = ()
) -> Answered:
    """A further message for a list question ("one item per message"): the items are
    added to the stored list. Check :func:`bot.wrsp.validators.is_done` first."""
    current = interview(session, actor, plan_id, skipped)
    step = current.step(field)
    if step is None or step.type != "list":
        return Answered(v.Validated(None, "That question doesn't take a list."), current, current.next_step())
    result = v.merge_list(step.value, text)
    if result.ok:
        store.save_answer(session, actor, plan_id, field, result.value)
        current = current.with_answer(field, result.value)
    return Answered(result, current, current.next_step())
