"""The chat sign-off in two steps (actions/wrsp_plans.py): "sign off plan N" shows the plan and
the attestation with a confirm button and signs nothing; the button signs what was shown."""

from __future__ import annotations

import json

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.wrsp_plans import ActionWrspSignoff
from bot.store import access, session_scope, staff
from bot.store import wrsp as store
from bot.store.models import PlanStatus, WrspPlan
from tests.unit.test_wrsp_interview import full_answers


def _tracker(sender: str, entities: dict) -> Tracker:
    latest = {"intent": {"name": "wrsp_signoff"}, "text": "/wrsp_signoff" + json.dumps(entities),
              "entities": [{"entity": k, "value": v} for k, v in entities.items()]}
    return Tracker(sender, {}, latest, [], False, None, {}, "action_listen")


def _run(sender: str, **entities) -> list[dict]:
    dispatcher = CollectingDispatcher()
    ActionWrspSignoff().run(dispatcher, _tracker(sender, entities), {})
    return dispatcher.messages


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
    shown_id, digest = payload["plan_id"].split(":")
    assert shown_id == str(plan_id) and len(digest) == 16

    [wrong] = _run("rest:dana", plan_id=f"{plan_id}:{'0' * 16}")
    assert "changed since it was reviewed" in wrong["text"]
    [signed] = _run("rest:dana", **payload)
    assert "signed off and locked" in signed["text"]
    with session_scope() as s:
        plan = s.get(WrspPlan, plan_id)
        assert plan.status == PlanStatus.signed and store.signature_matches(plan)
        assert store.signoff_of(plan)["content_sha256"].startswith(digest)
