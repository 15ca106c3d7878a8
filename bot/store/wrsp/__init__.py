"""Wellness and Recovery Service Plans: the tables' queries and changes (plans.py: plans and
their answers; signoff.py: completion, sign-off, reviews). Import them from here.

The interview's own rules (which value a question takes, which questions are required,
who signs, which sections a review asks again, deadlines) are the WRSP feature's
(bot/wrsp/service.py, from knowledge/wrsp/schema.yml): the service passes them in, and
callers use the service. This package imports nothing from bot.wrsp.

Rules:
- Only the plan's owner writes it (answers, completion, review versions); a supervisor
  of the owner or an admin signs it off. Everyone who may read it (owner, the owner's
  supervisor, admins) reads it through :func:`bot.store.access.check`, so every read
  is audited. Audit details hold field ids and counts, never plan text or client refs.
- :func:`save_answer` commits at once: an answer is stored before the next question.
- A signed plan is locked. Changing it means :func:`new_version` (a review), which
  copies the answers into version+1 and keeps the signed plan as it was.
- Every change reads the plan row with ``SELECT ... FOR UPDATE``, so two saves, a save
  and a sign-off, or two reviews of one plan cannot interleave. The audit chain lock is
  taken first (see bot.store.audit); on SQLite, which ignores FOR UPDATE, that lock is
  the database's write lock and serialises the change just the same.
"""

from bot.store.wrsp.plans import (
    SIGNOFF_FIELD,
    Missing,
    PlanError,
    PlanLocked,
    answer_history,
    answers_of,
    create_plan,
    get_answers,
    history_of,
    list_plans,
    owner_of,
    plans_in_progress,
    previous_of,
    read_plan,
    record_export,
    save_answer,
    signoff_of,
)
from bot.store.wrsp.signoff import (
    MIN_HASH_PREFIX,
    AttestationRequired,
    complete_plan,
    content_hash,
    new_version,
    review_for_signoff,
    sign_off,
    signature_matches,
)

__all__ = [
    "SIGNOFF_FIELD",
    "PlanError",
    "PlanLocked",
    "answers_of",
    "signoff_of",
    "create_plan",
    "read_plan",
    "get_answers",
    "list_plans",
    "plans_in_progress",
    "Missing",
    "save_answer",
    "answer_history",
    "history_of",
    "previous_of",
    "owner_of",
    "record_export",
    "complete_plan",
    "AttestationRequired",
    "content_hash",
    "review_for_signoff",
    "MIN_HASH_PREFIX",
    "sign_off",
    "signature_matches",
    "new_version",
]
