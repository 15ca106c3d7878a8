"""The chat sign-off in two steps (actions/wrsp_plans.py): "sign off plan N" shows the plan and
the attestation with a confirm button and signs nothing; the button signs what was shown."""

from __future__ import annotations

import json

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.wrsp_plans import SIGNOFF_CONFIRM, ActionWrspSignoff
from bot.auth import confirm_code
from bot.store import access, session_scope, staff
from bot.store.models import PlanStatus, WrspPlan
from bot.wrsp import service as store
from tests.unit.test_wrsp_interview import full_answers


def _tracker(sender: str, entities: dict, text: str | None = None) -> Tracker:
    """A message as Rasa hands it to the action: a button press (the payload is the text)
    unless ``text`` says what was typed."""
    latest = {
        "intent": {"name": "wrsp_signoff"},
        "text": text or "/wrsp_signoff" + json.dumps(entities),
        "entities": [{"entity": k, "value": v} for k, v in entities.items()],
    }
    return Tracker(sender, {}, latest, [], False, None, {}, "action_listen")


def _run(sender: str, typed: str | None = None, **entities) -> list[dict]:
    dispatcher = CollectingDispatcher()
    ActionWrspSignoff().run(dispatcher, _tracker(sender, entities, typed), {})
    return dispatcher.messages


def _status(plan_id: int) -> PlanStatus:
    with session_scope() as s:
        return s.get(WrspPlan, plan_id).status


def test_sign_off_in_chat_needs_the_confirm_button(db_url):
    with session_scope() as s:
        boss = staff.add(s, "Dana Boss", role="supervisor")
        peer = staff.add(s, "Pat Peer", supervisor_id=boss.id, program="adult")
        staff.link_identity(s, boss.id, "rest", "dana")
        ids = (boss.id, peer.id)
    with session_scope() as s:
        actor = access.actor(s, ids[1])
        plan_id = store.create_plan(s, actor, "J.D.", "adult").id
        for field, value in full_answers().items():
            store.save_answer(s, actor, plan_id, field, value)
        store.complete_plan(s, actor, plan_id)

    [review] = _run("rest:dana", plan_id=str(plan_id))
    assert "I have reviewed this plan as the clinical consultant." in review["text"]
    assert f"Plan #{plan_id} (version 1) for J.D., by Pat Peer" in review["text"]
    assert "anniversaries" in review["text"]  # the consultant sees what they sign
    [button] = review["buttons"]
    with session_scope() as s:
        assert s.get(WrspPlan, plan_id).status == PlanStatus.complete  # nothing signed yet
    payload = json.loads(button["payload"].removeprefix("/wrsp_signoff"))
    shown_id, digest, code = payload["plan_id"].split(":")
    assert shown_id == str(plan_id) and len(digest) == len(code) == 12
    assert len(button["payload"].encode()) <= 64  # fits Telegram's button data

    # a confirm made for other content (the plan changed after the review) signs nothing
    wrong = f"{plan_id}:{'0' * 12}:{confirm_code(SIGNOFF_CONFIRM, ids[0], plan_id, '0' * 12, length=12)}"
    [refused] = _run("rest:dana", plan_id=wrong)
    assert "changed since it was reviewed" in refused["text"]
    [signed] = _run("rest:dana", **payload)
    assert "signed off and locked" in signed["text"]
    with session_scope() as s:
        plan = s.get(WrspPlan, plan_id)
        assert plan.status == PlanStatus.signed and store.signature_matches(plan)
        assert store.signoff_of(plan)["content_sha256"].startswith(digest)


def test_a_typed_sign_off_with_the_hash_does_not_sign_without_the_attestation(db_url):
    """Typing "sign off plan N:HASH" (the hash is printed by `peerscope wrsp signoff`), or a
    payload without the button's code or with another consultant's, shows the review and the
    attestation again; only the button offered to this consultant signs."""
    with session_scope() as s:
        boss = staff.add(s, "Dana Boss", role="supervisor")
        admin = staff.add(s, "Ari Admin", role="admin")
        peer = staff.add(s, "Pat Peer", supervisor_id=boss.id, program="adult")
        staff.link_identity(s, boss.id, "rest", "dana")
        staff.link_identity(s, admin.id, "rest", "ari")
        ids = (boss.id, peer.id, admin.id)
    with session_scope() as s:
        actor = access.actor(s, ids[1])
        plan_id = store.create_plan(s, actor, "K.L.", "adult").id
        for field, value in full_answers().items():
            store.save_answer(s, actor, plan_id, field, value)
        store.complete_plan(s, actor, plan_id)
    with session_scope() as s:
        digest = store.content_hash(s.get(WrspPlan, plan_id))

    for typed in (f"sign off plan {plan_id}:{digest[:12]}", f"sign off plan {plan_id}:{digest}"):
        [reply] = _run("rest:dana", typed=typed, plan_id=typed.rsplit(" ", 1)[1])
        assert "I have reviewed this plan as the clinical consultant." in reply["text"]
        assert "Nothing is signed until you press the button." in reply["text"]
        assert "signed off and locked" not in reply["text"]
        assert _status(plan_id) == PlanStatus.complete
    # the payload form without the code, or with a code made for someone else
    for entity in (
        f"{plan_id}:{digest[:12]}",
        f"{plan_id}:{digest[:12]}:{confirm_code(SIGNOFF_CONFIRM, ids[2], plan_id, digest[:12], length=12)}",
    ):
        [reply] = _run("rest:dana", plan_id=entity)
        assert "Nothing is signed until you press the button." in reply["text"]
        assert _status(plan_id) == PlanStatus.complete
    # the button itself typed out by hand is still not a press
    [review] = _run("rest:dana", plan_id=str(plan_id))
    [button] = review["buttons"]
    entity = json.loads(button["payload"].removeprefix("/wrsp_signoff"))["plan_id"]
    [reply] = _run("rest:dana", typed=f"sign off plan {entity}", plan_id=entity)
    assert "Nothing is signed until you press the button." in reply["text"]
    assert _status(plan_id) == PlanStatus.complete
    # the press signs
    [signed] = _run("rest:dana", plan_id=entity)
    assert "signed off and locked" in signed["text"]
    assert _status(plan_id) == PlanStatus.signed
