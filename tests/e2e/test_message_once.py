"""A message sent again with its id (a client's retry, HAProxy's redispatch) is handled once: the
repeat gets the first answer and changes nothing, whether it comes after the first answer or
while the first is still being handled. On the live servers, single instance and cluster."""

from __future__ import annotations

import threading

import httpx
from sqlalchemy import select

from bot.channels.rest import new_message_id, signed_message
from bot.store import session_scope
from bot.store.models import AuditLog
from tests.e2e.test_wrsp_chat import _answers, _next_field, _reply_for

REPLAYED = "X-PeerScope-Replayed"


def _post(live, sender: str, text: str, message_id: str) -> httpx.Response:
    return httpx.post(
        f"{live.servers.rasa_url}/webhooks/rest/webhook", **signed_message(sender, text, message_id), timeout=180
    )


def _saves(plan_id: int, field: str) -> int:
    """How many times the answer to ``field`` was saved (every save is audited)."""
    with session_scope() as session:
        details = session.scalars(
            select(AuditLog.detail).where(AuditLog.action == "wrsp.answer", AuditLog.object_id == plan_id)
        ).all()
    return sum(1 for d in details if d.get("field") == field)


def _start_plan(live, sender: str, ref: str) -> int:
    live.say(sender, "start a WRSP")
    started = live.texts(live.say(sender, ref))
    assert "Started plan #" in started, started
    return int(started.split("Started plan #")[1].split()[0])


def _plain_step(live, sender: str, plan_id: int):
    """The next question that takes one message (a list question is answered and closed first)."""
    while (step := _next_field(plan_id)).type == "list":
        live.say(sender, _reply_for(step))
        live.say(sender, "done")
    return step


def test_a_message_sent_again_after_its_answer_is_answered_the_same_and_applied_once(live):
    sender = "rest:ida"
    plan_id = _start_plan(live, sender, "I.V.")
    step = _plain_step(live, sender, plan_id)
    message_id = new_message_id()
    first = _post(live, sender, _reply_for(step), message_id)
    assert first.status_code == 200 and "Saved" in live.texts(first.json())
    before = _answers(plan_id)
    following = _next_field(plan_id)
    assert following is not None and following.field not in before

    again = _post(live, sender, _reply_for(step), message_id)
    assert again.status_code == 200 and again.json() == first.json()
    assert again.headers.get(REPLAYED) == "1" and first.headers.get(REPLAYED) is None
    assert _answers(plan_id) == before  # the next question did not get this answer
    assert _saves(plan_id, step.field) == 1

    # the same id from someone else is their own message, never the stored reply
    other = _post(live, "rest:jon", "hi", message_id)
    assert other.status_code == 200 and other.headers.get(REPLAYED) is None
    assert all(r.get("recipient_id") == "rest:jon" for r in other.json())
    assert "Saved" not in live.texts(other.json())

    # the conversation goes on: the next answer lands on the next question
    nxt = _post(live, sender, _reply_for(following), new_message_id())
    assert "Saved" in live.texts(nxt.json())
    assert following.field in _answers(plan_id) and _saves(plan_id, following.field) == 1


def test_a_message_sent_several_times_at_once_is_handled_once(live):
    sender = "rest:jon"
    plan_id = _start_plan(live, sender, "J.B.")
    step = _plain_step(live, sender, plan_id)
    before = _answers(plan_id)
    message_id, copies = new_message_id(), 3
    barrier, responses, lock = threading.Barrier(copies), [], threading.Lock()

    def send():
        barrier.wait()
        response = _post(live, sender, _reply_for(step), message_id)
        with lock:
            responses.append(response)

    threads = [threading.Thread(target=send) for _ in range(copies)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert len(responses) == copies and all(r.status_code == 200 for r in responses)
    bodies = [r.json() for r in responses]
    assert all(body == bodies[0] for body in bodies) and "Saved" in live.texts(bodies[0])
    assert sorted(r.headers.get(REPLAYED) or "" for r in responses) == [""] + ["1"] * (copies - 1)
    after = _answers(plan_id)
    assert set(after) - set(before) == {step.field}  # one answer, under its own question
    assert _saves(plan_id, step.field) == 1
