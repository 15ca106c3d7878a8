"""A REST message by its client's id is handled once (bot.store.rest_messages), on SQLite and
PostgreSQL; the live servers' side is in tests/e2e/test_message_once.py."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import timedelta

from sqlalchemy import func, select

from bot.store import rest_messages, session_scope
from bot.store.models import ActionResult, RestMessage, utcnow


def _claim(sender="rest:a", message_id="m1", owner="o1", **kw):
    with session_scope() as s:
        return rest_messages.claim(s, sender, message_id, owner, **kw)


def test_the_first_claim_handles_a_repeat_waits_then_gets_the_reply(db_url):
    owner = rest_messages.owner_id()
    assert _claim(owner=owner).state == "mine"
    assert _claim(owner="other").state == "busy"  # the first is still running (this process is alive)
    assert _claim(sender="rest:b", owner="other").state == "mine"  # the same id from someone else is theirs
    with session_scope() as s:
        assert rest_messages.heartbeat(s, "rest:a", "m1", owner)
        assert not rest_messages.finish(s, "rest:a", "m1", "other", "nope")  # not the other's to finish
        assert rest_messages.finish(s, "rest:a", "m1", owner, "sealed reply")
    again = _claim(owner="other")
    assert (again.state, again.reply) == ("done", "sealed reply")


def test_a_released_message_is_handled_anew(db_url):
    assert _claim(owner="o1").state == "mine"
    with session_scope() as s:
        rest_messages.release(s, "rest:a", "m1", "o1")
    assert _claim(owner="o2").state == "mine"


def test_a_message_whose_handler_died_or_went_silent_is_taken_over_once(db_url):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    gone = rest_messages.owner_id(pid=int(dead.stdout))
    assert _claim(owner=gone).state == "mine"
    assert _claim(owner="o2").state == "mine"  # its process no longer runs
    assert _claim(owner="o3").state == "busy"  # o2 is not on this host: alive until it goes silent
    later = utcnow() + timedelta(seconds=rest_messages.STALE_SECONDS + 1)
    assert _claim(owner="o3", now=later).state == "mine"
    with session_scope() as s:
        assert not rest_messages.heartbeat(s, "rest:a", "m1", "o2")  # o2 lost it
        assert s.scalar(select(RestMessage.owner)) == "o3"


def test_of_many_requests_at_once_one_handles_the_message(db_url):
    barrier, out, lock = threading.Barrier(6), [], threading.Lock()

    def one(n):
        barrier.wait()
        state = _claim(owner=f"o{n}").state
        with lock:
            out.append(state)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(out) == ["busy"] * 5 + ["mine"]


def test_old_records_are_deleted_when_a_message_is_claimed(db_url):
    old = utcnow() - timedelta(seconds=rest_messages.KEEP_SECONDS + 5)
    assert _claim(message_id="old", now=old).state == "mine"
    assert _claim(message_id="new").state == "mine"
    with session_scope() as s:
        assert s.scalar(select(func.count()).select_from(RestMessage)) == 1


def test_an_action_calls_answer_is_kept_once_and_given_back(db_url):
    from addons.action_once import call_key, keep, kept

    def call(action, events, message_id="m1"):
        return {
            "next_action": action,
            "sender_id": "rest:a",
            "tracker": {"latest_message": {"message_id": message_id}, "events": events},
        }

    turn = [{"event": "action", "name": "action_listen"}, {"event": "user", "text": "x"}]
    first = call("validate_wrsp_form", turn + [{"event": "action", "name": "wrsp_form"}])
    # the same call again (a retry; the turn handled again by another instance) has the same key
    assert call_key(first) == call_key(call("validate_wrsp_form", turn + [{"event": "action", "name": "wrsp_form"}]))
    # another action, another place in the turn, another message, or no message id: other keys
    others = {
        call_key(call("action_ask_wrsp_answer", turn + [{"event": "action", "name": "wrsp_form"}])),
        call_key(call("validate_wrsp_form", turn + [{"event": "action"}, {"event": "slot"}])),
        call_key(call("validate_wrsp_form", turn + [{"event": "action"}], message_id="m2")),
    }
    assert call_key(first) not in others and len(others) == 3
    assert call_key(call("validate_wrsp_form", turn, message_id=None)) is None

    assert kept(call_key(first)) is None
    answer = {"events": [{"event": "slot", "name": "wrsp_field", "value": "goal"}], "responses": [{"text": "Saved"}]}
    keep(call_key(first), answer)
    keep(call_key(first), {"events": [], "responses": []})  # the first answer stays
    assert kept(call_key(first)) == answer
    with session_scope() as s:  # stored encrypted: no reply text in the table
        assert "Saved" not in s.scalar(select(func.min(ActionResult.result)))
