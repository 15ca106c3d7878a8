"""WRSP plans in the store: saving as we go, resuming, completing, sign-off, reviews,
deadlines, and who may read or change what (every attempt audited)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.store import access, session_scope, staff
from bot.store.models import AuditLog, PlanStatus, WrspAnswer, WrspPlan
from bot.wrsp import flow
from bot.wrsp import service as store
from tests.unit.test_wrsp_interview import full_answers

TODAY = date(2026, 3, 4)


@pytest.fixture
def team(db_url):
    with session_scope() as s:
        boss = staff.add(s, "Dana Boss", role="supervisor")
        other_boss = staff.add(s, "Eli Other", role="supervisor")
        peer = staff.add(s, "Pat Peer", supervisor_id=boss.id, program="adult")
        peer2 = staff.add(s, "Quinn Peer", supervisor_id=other_boss.id)
        admin = staff.add(s, "Ada Admin", role="admin")
        return {"boss": boss.id, "other_boss": other_boss.id, "peer": peer.id, "peer2": peer2.id, "admin": admin.id}


def _new_plan(team, ref="J.D.", who="peer") -> int:
    with session_scope() as s:
        return store.create_plan(s, access.actor(s, team[who]), ref, "adult").id


def _fill(team, plan_id, answers=None, who="peer") -> None:
    with session_scope() as s:
        actor = access.actor(s, team[who])
        for field, value in (answers or full_answers()).items():
            store.save_answer(s, actor, plan_id, field, value)


def _audit(action: str) -> list[tuple[int, str, dict | None]]:
    with session_scope() as s:
        return [
            (a.actor_id, a.outcome, a.detail)
            for a in s.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))
        ]


def test_create_refuses_a_full_name_and_stores_the_first_answers(team):
    with pytest.raises(store.PlanError, match="looks like a name"), session_scope() as s:
        store.create_plan(s, access.actor(s, team["peer"]), "John Doe")
    plan_id = _new_plan(team)
    with session_scope() as s:
        plan = store.read_plan(s, access.actor(s, team["peer"]), plan_id)
        assert (plan.client_ref, plan.program.value, plan.version, plan.status) == (
            "J.D.",
            "adult",
            1,
            PlanStatus.in_progress,
        )
        assert store.answers_of(plan) == {"client_ref": "J.D.", "program": "adult"}


def test_each_answer_is_committed_before_the_next_question(team):
    plan_id = _new_plan(team)
    with session_scope() as s:
        peer = access.actor(s, team["peer"])
        done = flow.answer(s, peer, plan_id, "admission_date", "2/20/2026", today=TODAY)
        assert done.saved and done.result.confirmation == "Friday, February 20, 2026"
        assert done.next.field == "assessment_on_file"
        # another connection sees the answer while this session is still open
        with session_scope() as other:
            stored = other.scalar(
                select(WrspAnswer.value).where(WrspAnswer.plan_id == plan_id, WrspAnswer.field == "admission_date")
            )
            assert stored == "2026-02-20"
            assert other.get(WrspPlan, plan_id).admission_date == date(2026, 2, 20)
        refused = flow.answer(s, peer, plan_id, "assessment_on_file", "maybe", today=TODAY)
        assert not refused.saved and refused.next.field == "assessment_on_file"
    assert [d for _, _, d in _audit("wrsp.answer")] == [{"field": "admission_date"}]


def test_interview_with_two_goals_resumes_after_reload(team):
    plan_id = _new_plan(team)
    messages = [
        "2/20/2026",
        "no",
        "asked the clinic twice",
        "housing, family",
        "Own apartment",
        "visit two apartments; save $200",
        "weekly peer support",
        "lease signed",
        "June 30 2026",
        "review the log",
        "yes",
        "Reconnect with my sister",
        "call weekly",
        "coaching",
    ]
    with session_scope() as s:
        peer = access.actor(s, team["peer"])
        iv = flow.interview(s, peer, plan_id)
        for text in messages:
            done = flow.answer(s, peer, plan_id, iv.next_step().field, text, today=TODAY)
            assert done.saved, (text, done.result.error)
            iv = done.interview
        assert iv.next_step().field == "goal.2.criteria"
    # a new conversation (e.g. after a restart): resume from the database alone
    with session_scope() as s:
        peer = access.actor(s, team["peer"])
        [plan] = flow.resume(s, peer, "jd")
        iv = flow.interview(s, peer, plan.id)
        assert iv.next_step().field == "goal.2.criteria"
        assert iv.step("goal.1.target_date").value == "2026-06-30"
        assert iv.progress().summary() == "16 of 27 answered; next: goal 2 criteria for achievement"


def test_list_answers_one_item_per_message(team):
    plan_id = _new_plan(team)
    with session_scope() as s:
        peer = access.actor(s, team["peer"])
        flow.answer(s, peer, plan_id, "triggers", "anniversaries", today=TODAY)
        done = flow.add_items(s, peer, plan_id, "triggers", "conflict at home")
        assert done.result.value == ["anniversaries", "conflict at home"]
    with session_scope() as s:
        assert store.get_answers(s, access.actor(s, team["peer"]), plan_id)["triggers"] == [
            "anniversaries",
            "conflict at home",
        ]


def test_save_answer_checks_field_and_value(team):
    plan_id = _new_plan(team)
    with session_scope() as s:
        peer = access.actor(s, team["peer"])
        for field, value in [
            ("nonsense", "x"),
            ("goal.1.target_date", "next friday"),
            ("areas", "not a list"),
            ("program", "teen"),
            ("client_ref", "John Doe"),
            ("assessment_on_file", "yes"),
            ("_signoff", {"name": "me"}),
        ]:
            with pytest.raises(store.PlanError):
                store.save_answer(s, peer, plan_id, field, value)


def test_complete_needs_every_required_answer(team):
    plan_id = _new_plan(team)
    answers = full_answers()
    answers.pop("triggers")
    _fill(team, plan_id, answers)
    with pytest.raises(store.PlanError, match="still needs: triggers"), session_scope() as s:
        store.complete_plan(s, access.actor(s, team["peer"]), plan_id)
    _fill(team, plan_id, {"triggers": ["anniversaries"]})
    with session_scope() as s:
        plan = store.complete_plan(s, access.actor(s, team["peer"]), plan_id)
        assert plan.status == PlanStatus.complete and plan.completed_at is not None
    # a change that makes a new required question apply re-opens the plan
    _fill(team, plan_id, {"assessment_on_file": True, "individual_signed": True})
    _fill(team, plan_id, {"individual_signed": False})
    with session_scope() as s:
        assert store.read_plan(s, access.actor(s, team["peer"]), plan_id).status == PlanStatus.complete
    with session_scope() as s:
        s.execute(
            WrspAnswer.__table__.delete().where(WrspAnswer.plan_id == plan_id, WrspAnswer.field == "refusal_reason")
        )
    _fill(team, plan_id, {"individual_signed": True})
    _fill(team, plan_id, {"individual_signed": False})
    with session_scope() as s:
        assert store.read_plan(s, access.actor(s, team["peer"]), plan_id).status == PlanStatus.in_progress


def _complete(team, ref="J.D.", who="peer") -> int:
    plan_id = _new_plan(team, ref, who)
    _fill(team, plan_id, who=who)
    with session_scope() as s:
        store.complete_plan(s, access.actor(s, team[who]), plan_id)
    return plan_id


def test_signoff_records_who_and_locks_the_plan(team):
    plan_id = _new_plan(team)
    with pytest.raises(store.PlanError, match="not complete"), session_scope() as s:
        store.sign_off(s, access.actor(s, team["boss"]), plan_id, attested=True)
    _fill(team, plan_id)
    with session_scope() as s:
        store.complete_plan(s, access.actor(s, team["peer"]), plan_id)
    for who in ("peer", "peer2", "other_boss"):
        with pytest.raises(access.AccessDenied), session_scope() as s:
            store.sign_off(s, access.actor(s, team[who]), plan_id, attested=True)
    with session_scope() as s:
        plan = store.sign_off(s, access.actor(s, team["boss"]), plan_id, attested=True)
        assert plan.status == PlanStatus.signed and plan.signed_by_id == team["boss"]
        signed = store.signoff_of(plan)
        assert (signed["name"], signed["role"], signed["staff_id"]) == ("Dana Boss", "supervisor", team["boss"])
        assert signed["at"][:4].isdigit()
    with pytest.raises(store.PlanLocked), session_scope() as s:
        store.save_answer(s, access.actor(s, team["peer"]), plan_id, "triggers", ["noise"])
    with pytest.raises(store.PlanError, match="already signed"), session_scope() as s:
        store.sign_off(s, access.actor(s, team["admin"]), plan_id, attested=True)
    denied = sorted(actor for actor, outcome, _ in _audit("wrsp.signoff") if outcome == "denied")
    assert denied == sorted([team["peer"], team["peer2"], team["other_boss"]])


def test_review_version_copies_answers_and_keeps_the_old_one(team):
    plan_id = _complete(team)
    with session_scope() as s:
        store.sign_off(s, access.actor(s, team["boss"]), plan_id, attested=True)
    with session_scope() as s:
        review = store.new_version(s, access.actor(s, team["peer"]), plan_id)
        review_id = review.id
        assert (review.version, review.previous_id, review.status) == (2, plan_id, PlanStatus.in_progress)
        assert review.admission_date == date(2026, 2, 20) and review.client_ref == "J.D."
    expected = {k: v for k, v in full_answers().items() if k not in ("individual_signed", "refusal_reason")}
    with session_scope() as s:
        peer = access.actor(s, team["peer"])
        assert store.get_answers(s, peer, review_id) == {**expected, "client_ref": "J.D."}
        assert flow.interview(s, peer, review_id).next_step().field == "individual_signed"  # signs again
        old = store.read_plan(s, peer, plan_id)
        assert old.status == PlanStatus.signed and store.answers_of(old) == full_answers()
    _fill(team, review_id, {"triggers": ["noise"]})
    with session_scope() as s:
        peer = access.actor(s, team["peer"])
        assert store.get_answers(s, peer, plan_id)["triggers"] == ["anniversaries"]
        assert [p.id for p in store.list_plans(s, peer)] == [review_id]  # the old one is replaced
        assert [p.id for p in flow.resume(s, peer, "J. D.")] == [review_id]
        with pytest.raises(store.PlanError, match="already has a review"):
            store.new_version(s, peer, plan_id)
        with pytest.raises(store.PlanError, match="still in progress"):
            store.new_version(s, peer, review_id)


def test_another_peer_can_neither_read_nor_change_a_plan(team):
    plan_id = _new_plan(team)
    for action in (store.read_plan, store.get_answers):
        with pytest.raises(access.AccessDenied), session_scope() as s:
            action(s, access.actor(s, team["peer2"]), plan_id)
    with pytest.raises(access.AccessDenied), session_scope() as s:
        store.save_answer(s, access.actor(s, team["peer2"]), plan_id, "triggers", ["x"])
    with pytest.raises(access.AccessDenied), session_scope() as s:  # supervisors read, they don't write
        store.save_answer(s, access.actor(s, team["boss"]), plan_id, "triggers", ["x"])
    with pytest.raises(access.AccessDenied), session_scope() as s:
        store.read_plan(s, access.actor(s, team["other_boss"]), plan_id)
    for who in ("peer", "boss", "admin"):
        with session_scope() as s:
            assert store.read_plan(s, access.actor(s, team[who]), plan_id).id == plan_id
    reads = _audit("wrsp.read")
    assert sorted(a for a, outcome, _ in reads if outcome == "denied") == sorted(
        [team["peer2"], team["peer2"], team["other_boss"]]
    )
    assert sorted(a for a, outcome, _ in _audit("wrsp.answer") if outcome == "denied") == sorted(
        [team["peer2"], team["boss"]]
    )
    with session_scope() as s:
        assert [p.id for p in store.list_plans(s, access.actor(s, team["peer2"]))] == []
        assert flow.resume(s, access.actor(s, team["peer2"]), "J.D.") == []


def test_audit_never_holds_plan_text(team):
    plan_id = _complete(team)
    with session_scope() as s:
        store.sign_off(s, access.actor(s, team["boss"]), plan_id, attested=True)
    with session_scope() as s:
        details = " ".join(str(a.detail) for a in s.scalars(select(AuditLog)))
    for value in ("J.D.", "anniversaries", "asked the clinic", "Move into my own apartment", "Dana Boss"):
        assert value not in details


def test_in_progress_find_and_due_lists(team):
    late = _new_plan(team, "A.B.")
    _fill(team, late, {"admission_date": "2026-01-10"})
    soon = _new_plan(team, "C.D.")
    _fill(team, soon, {"admission_date": (TODAY - timedelta(days=5)).isoformat()})
    done = _complete(team, "E.F.")
    other = _new_plan(team, "G.H.", who="peer2")
    with session_scope() as s:
        peer = access.actor(s, team["peer"])
        assert [p.id for p in store.plans_in_progress(s, peer)] == [late, soon]
        assert [p.id for p in store.find_by_client_ref(s, peer, "ab")] == [late]
        rows = store.plans_due(s, peer, TODAY)
        assert [(p.id, d.status) for p, d in rows] == [(late, "overdue"), (soon, "due")]
        assert rows[0][1].due_date == date(2026, 2, 9)
        everything = store.plans_due(s, peer, TODAY, include_ok=True)
        assert {p.id for p, _ in everything} == {late, soon, done}
        boss_rows = store.plans_due(s, access.actor(s, team["boss"]), TODAY)
        assert {p.id for p, _ in boss_rows} == {late, soon}  # supervisees' plans
        assert {p.id for p, _ in store.plans_due(s, access.actor(s, team["other_boss"]), TODAY)} == {other}
        assert len(store.plans_due(s, access.actor(s, team["admin"]), TODAY)) == 3
        # the completed plan is due for review 90 days after completion
        [(_, review_due)] = [(p, d) for p, d in everything if p.id == done]
        assert review_due.kind == "review" and review_due.due_date == date.today() + timedelta(days=90)


# --- sign-off in two steps, with an attestation and the hash of what was signed ------------------


def test_without_the_attestation_the_plan_stays_unsigned(team):
    plan_id = _complete(team)
    with session_scope() as s:
        plan, digest = store.review_for_signoff(s, access.actor(s, team["boss"]), plan_id)
        assert plan.status == PlanStatus.complete and len(digest) == 64
    with pytest.raises(store.AttestationRequired, match="I have reviewed this plan"), session_scope() as s:
        store.sign_off(s, access.actor(s, team["boss"]), plan_id, reviewed_hash=digest)
    with session_scope() as s:
        plan = s.get(WrspPlan, plan_id)
        assert (plan.status, plan.signed_by_id, plan.signed_at, store.signoff_of(plan)) == (
            PlanStatus.complete,
            None,
            None,
            None,
        )
    with pytest.raises(access.AccessDenied), session_scope() as s:  # step one is for the consultant only
        store.review_for_signoff(s, access.actor(s, team["other_boss"]), plan_id)


def test_the_stored_hash_matches_the_signed_content(team):
    plan_id = _complete(team)
    with session_scope() as s:
        _, digest = store.review_for_signoff(s, access.actor(s, team["boss"]), plan_id)
    with session_scope() as s:
        plan = store.sign_off(s, access.actor(s, team["boss"]), plan_id, attested=True, reviewed_hash=digest[:12])
    with session_scope() as s:
        plan = s.get(WrspPlan, plan_id)
        signed = store.signoff_of(plan)
        assert signed["content_sha256"] == digest == store.content_hash(plan)
        assert signed["attestation"] == "I have reviewed this plan as the clinical consultant."
        assert (signed["name"], signed["role"]) == ("Dana Boss", "supervisor") and store.signature_matches(plan)
        # the hash is of the content: recomputed independently from the stored answers
        import hashlib
        import json

        content = {
            "plan_id": plan.id,
            "version": 1,
            "previous_id": None,
            "owner_id": team["peer"],
            "client_ref": "J.D.",
            "answers": store.answers_of(plan),
        }
        canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        assert hashlib.sha256(canonical.encode()).hexdigest() == digest
        # any edit of the stored content no longer matches the signature
        answer = next(a for a in plan.answers if a.field == "triggers")
        answer.value = ["tampered"]
        assert not store.signature_matches(plan)
        s.rollback()


def test_a_plan_that_changed_after_review_is_not_signed(team):
    plan_id = _complete(team)
    with session_scope() as s:
        _, digest = store.review_for_signoff(s, access.actor(s, team["boss"]), plan_id)
    _fill(team, plan_id, {"triggers": ["noise"]})  # the peer edits it while the consultant reads
    with pytest.raises(store.PlanError, match="changed since it was reviewed"), session_scope() as s:
        store.sign_off(s, access.actor(s, team["boss"]), plan_id, attested=True, reviewed_hash=digest)
    with session_scope() as s:
        assert s.get(WrspPlan, plan_id).status == PlanStatus.complete


def test_a_change_after_sign_off_creates_a_new_version(team):
    plan_id = _complete(team)
    with session_scope() as s:
        _, digest = store.review_for_signoff(s, access.actor(s, team["boss"]), plan_id)
        store.sign_off(s, access.actor(s, team["boss"]), plan_id, attested=True, reviewed_hash=digest)
    with pytest.raises(store.PlanLocked, match="start a review"), session_scope() as s:
        store.save_answer(s, access.actor(s, team["peer"]), plan_id, "triggers", ["noise"])
    with session_scope() as s:
        review_id = store.new_version(s, access.actor(s, team["peer"]), plan_id).id
    _fill(team, review_id, {"triggers": ["noise"]})
    with session_scope() as s:
        signed, review = s.get(WrspPlan, plan_id), s.get(WrspPlan, review_id)
        assert (review.version, review.previous_id, review.status) == (2, plan_id, PlanStatus.in_progress)
        assert store.signoff_of(review) is None
        # the signed version is untouched: its signature still matches its content
        assert signed.status == PlanStatus.signed and store.signature_matches(signed)
        assert store.signoff_of(signed)["content_sha256"] == digest != store.content_hash(review)
