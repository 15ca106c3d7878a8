"""Production's topology under crashes (cluster only: `--e2e-topology cluster`): one Rasa
instance and one action server are killed with SIGKILL while a WRSP answer is in flight. The
interview goes on through the survivors, every answer is in the plan exactly once, and no reply
reaches another user."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from sqlalchemy import func, select

from bot.store import session_scope
from bot.store.models import AuditLog, WrspAnswer, WrspAnswerHistory, WrspPlan
from tests.e2e.test_wrsp_chat import _answers, _next_field, _reply_for

PEER, OTHER = "rest:kim", "rest:lou"
FAILED = ("Sorry, I couldn't answer", "Sorry, something went wrong", "Sorry, that took too long")


pytestmark = pytest.mark.cluster  # collected only with --e2e-topology cluster (tests/e2e/conftest.py)


def _post(live, sender: str, text: str, message_id: str) -> tuple[int, list[dict]]:
    from bot.channels.rest import signed_message

    try:
        response = httpx.post(
            f"{live.servers.url}/webhooks/rest/webhook", **signed_message(sender, text, message_id), timeout=120
        )
    except httpx.HTTPError as exc:  # the connection itself broke
        return 599, [{"text": type(exc).__name__}]
    return response.status_code, (
        response.json() if response.headers.get("content-type", "").startswith("application/json") else []
    )


def say(live, sender: str, text: str, sent: list) -> list[dict]:
    """Send as a client would, retrying the same message (a few times, with its id) when the
    answer says it failed; every reply must be addressed to ``sender``."""
    from bot.channels.rest import new_message_id

    message_id = new_message_id()
    for _attempt in range(6):
        status, replies = _post(live, sender, text, message_id)
        sent.append((sender, status, replies))
        texts = "\n".join(r.get("text") or "" for r in replies)
        if status == 200 and replies and not texts.startswith(FAILED):
            return replies
        time.sleep(2)
    raise AssertionError(f"no answer to a message of {sender} after retries: {status} {texts[:200]}")


def _answer_next(live, plan_id: int, sent: list) -> str:
    """Answer the plan's next question; the reply to the answer itself (a list's first items)."""
    step = _next_field(plan_id)
    text = " ".join(r.get("text") or "" for r in say(live, PEER, _reply_for(step), sent))
    if step.type == "list":
        say(live, PEER, "done", sent)
    return text


def test_killing_a_rasa_instance_and_an_action_server_mid_interview_loses_and_duplicates_nothing(live):
    cluster = live.servers
    sent: list = []
    say(live, PEER, "start a WRSP", sent)
    started = " ".join(r.get("text") or "" for r in say(live, PEER, "N.K.", sent))
    assert "Started plan #" in started
    plan_id = int(started.split("Started plan #")[1].split()[0])
    expected = {}
    for _ in range(3):
        step = _next_field(plan_id)
        assert "Saved" in _answer_next(live, plan_id, sent)
        expected[step.field] = _answers(plan_id)[step.field]

    # someone else talks to the assistant the whole time
    stop = threading.Event()
    other: list = []

    def chatter():
        while not stop.is_set():
            say(live, OTHER, "hi", other)
            say(live, OTHER, "can I drive my client to her appointment in my own car?", other)

    talker = threading.Thread(target=chatter, daemon=True)
    talker.start()
    try:
        # the next answer is in flight when rasa-1 and actions-1 die
        step = _next_field(plan_id)
        reply = []
        flight = threading.Thread(target=lambda: reply.append(say(live, PEER, _reply_for(step), sent)))
        flight.start()
        time.sleep(0.3)
        cluster.kill("rasa-1")
        cluster.kill("actions-1")
        flight.join(timeout=300)
        assert reply, "the in-flight answer got no reply"
        if step.type == "list":
            say(live, PEER, "done", sent)
        # the interview goes on through the survivors
        for _ in range(3):
            assert "Saved" in _answer_next(live, plan_id, sent)
        # the killed ones come back and take their share again
        cluster.restart("rasa-1")
        cluster.restart("actions-1")
        cluster.wait_ready(timeout=900)
        for _ in range(3):
            assert "Saved" in _answer_next(live, plan_id, sent)
    finally:
        stop.set()
        talker.join(timeout=300)

    answers = _answers(plan_id)
    assert all(answers[field] == value for field, value in expected.items())
    assert len(answers) >= len(expected) + 7  # 3 + the one in flight + 3 + 3 (or more: list follow-ups)
    with session_scope() as session:
        # one plan, one row per answered field, no answer ever replaced by another message's text
        plans = session.scalars(select(WrspPlan).where(WrspPlan.client_ref == "N.K.")).all()
        assert [p.id for p in plans] == [plan_id]
        rows = session.execute(
            select(WrspAnswer.field, func.count()).where(WrspAnswer.plan_id == plan_id).group_by(WrspAnswer.field)
        ).all()
        assert all(count == 1 for _, count in rows) and len(rows) == len(answers)
        assert (
            session.scalar(
                select(func.count()).select_from(WrspAnswerHistory).where(WrspAnswerHistory.plan_id == plan_id)
            )
            == 0
        )
        saved = session.scalars(
            select(AuditLog.detail).where(AuditLog.action == "wrsp.answer", AuditLog.object_id == plan_id)
        ).all()
        assert {d["field"] for d in saved} == set(answers) - {"client_ref"}  # that one is the plan's creation
    # no reply went to the wrong user, and the other user's talk was never answered with the interview
    for sender, log in ((PEER, sent), (OTHER, other)):
        assert all(r.get("recipient_id") == sender for _, status, replies in log if status == 200 for r in replies)
    assert not any(
        marker in (r.get("text") or "")
        for _, status, replies in other
        if status == 200
        for r in replies
        for marker in ("N.K.", "Saved", "text for")
    )
    assert any("Not allowed" in (r.get("text") or "") for _, _, replies in other for r in replies)
