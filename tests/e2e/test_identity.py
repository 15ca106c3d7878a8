"""Who is asking is proven, not claimed: the live REST channel and action server refuse
anyone but PeerScope's own processes, and a failing action leaves no health information
in the logs."""

from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import select

from bot.auth import ACTION_TOKEN_HEADER, SIGNATURE_HEADER, action_token, sign
from bot.channels.servers import ServerSet, free_port

HELLO = json.dumps({"sender": "rest:sam", "message": "show my risk alerts"}).encode()


def refusals() -> list[dict]:
    from bot.store import session_scope
    from bot.store.models import AuditLog

    with session_scope() as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.action == "rest.refused")).all()
        return [dict(row.detail or {}, outcome=row.outcome) for row in rows]


def test_a_signed_message_from_peerscope_gets_an_answer(live):
    response = live.post(HELLO)
    assert response.status_code == 200 and response.json()


@pytest.mark.parametrize(
    "case, headers, status",
    [
        ("unsigned", {}, 401),
        ("signed with another key", {SIGNATURE_HEADER: "t=%d,s=%s" % (time.time(), "0" * 64)}, 401),
        ("an old signature replayed", {SIGNATURE_HEADER: sign(HELLO, now=time.time() - 3600)}, 401),
        ("malformed", {SIGNATURE_HEADER: "yes please"}, 401),
    ],
)
def test_unsigned_or_forged_messages_are_refused_and_audited(live, case, headers, status):
    before = len(refusals())
    response = live.post(HELLO, headers=headers, signed=False)
    assert response.status_code == status, case
    assert "risk" not in response.text.lower()  # nothing was answered
    after = refusals()
    assert len(after) == before + 1 and after[-1]["outcome"] == "denied" and after[-1]["status"] == status


def test_a_web_page_cannot_post_to_the_assistant_even_with_a_valid_signature(live):
    # a page in a browser on this machine sends text/plain bodies with an Origin header
    plain = httpx.post(
        f"{live.servers.rasa_url}/webhooks/rest/webhook",
        content=HELLO,
        timeout=30,
        headers={"Content-Type": "text/plain", "Origin": "http://evil.example"},
    )
    assert plain.status_code == 403
    signed = live.post(HELLO, headers={"Origin": "http://127.0.0.1:8000"})
    assert signed.status_code == 403


def _action_call(sender: str, text: str) -> dict:
    return {
        "next_action": "action_check_note_now",
        "sender_id": sender,
        "tracker": {
            "sender_id": sender,
            "slots": {},
            "latest_message": {"text": text, "intent": {}},
            "events": [{"event": "user", "text": text}],
            "paused": False,
            "latest_action_name": None,
            "active_loop": {},
        },
        "domain": {},
        "version": "3.6.2",
    }


def test_the_action_server_refuses_calls_without_the_token(live):
    url = f"{live.servers.action_url}/webhook"
    call = _action_call("rest:sam", "Met Zebulon Quartz, he takes fluoxetine")
    assert httpx.post(url, json=call, timeout=30).status_code == 401
    wrong = httpx.post(url, json=call, headers={ACTION_TOKEN_HEADER: "0" * 64}, timeout=30)
    assert wrong.status_code == 401 and "Zebulon" not in wrong.text
    from_page = httpx.post(
        url, json=call, headers={ACTION_TOKEN_HEADER: action_token(), "Origin": "http://x"}, timeout=30
    )
    assert from_page.status_code == 403
    assert httpx.get(f"{live.servers.action_url}/actions", timeout=10).status_code == 401
    assert httpx.get(f"{live.servers.action_url}/health", timeout=10).status_code == 200
    # Rasa itself holds the token: the assistant still runs its actions
    assert "Stopped" in live.texts(live.say("rest:pat", "cancel"))


# --- a database outage while the servers run -------------------------------------------------

NOTE = "Met Zebulon Quartz at the library; he takes 40 mg of fluoxetine and wants to stop."
QUESTION = "can I drive Zebulon Quartz to the pharmacy for his fluoxetine?"


@pytest.fixture(scope="module")
def outage(tmp_path_factory):
    """A second server set on a real PostgreSQL that the test then stops, with LOG_LEVEL=DEBUG
    and a Telegram token in the environment (the servers must ignore both)."""
    from bot.store import session_scope, upgrade
    from bot.store import staff as repo
    from tests.pg import PostgresServer

    work = tmp_path_factory.mktemp("outage")
    pg = PostgresServer().start()
    url = pg.create_database()
    env = {
        "PEERSCOPE_DATABASE_URL": url,
        "PEERSCOPE_TRACKER_URL": f"sqlite:///{work / 'tracker.db'}",
        "PEERSCOPE_VAR_DIR": str(work / "var"),
        "LOG_LEVEL": "DEBUG",
        "TELEGRAM_BOT_TOKEN": "987654:OUTAGE-TEST-TOKEN-never-in-logs",
    }
    upgrade(url)
    with session_scope(url) as session:
        member = repo.add(session, "Una Wells", role="peer", program="adult")
        repo.link_identity(session, member.id, "rest", "una")
    servers = ServerSet(rasa_port=free_port(), action_port=free_port(), env=env, log_dir=work / "logs")
    try:
        with _installation(env):  # the endpoints file gets the action token of this set's key
            servers.start()
        servers.wait_ready(timeout=600)  # a shared machine under load took more than 5 minutes
        yield servers, pg, work / "logs", env
    finally:
        servers.stop()
        try:
            pg.stop()
        except Exception:  # the test stopped it already
            pass


@contextmanager
def _installation(env: dict):
    """This process as a member of that installation (its key, its token) for a moment only:
    the other tests in this module go on signing with the live servers' key."""
    keys = ("PEERSCOPE_VAR_DIR", "TELEGRAM_BOT_TOKEN")
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.update({k: env[k] for k in keys})
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _say(servers: ServerSet, sender: str, text: str) -> str:
    from bot.channels.rest import signed_message

    with _installation(servers.env):
        signed = signed_message(sender, text)
    response = httpx.post(f"{servers.rasa_url}/webhooks/rest/webhook", **signed, timeout=60)
    assert response.status_code == 200, response.status_code
    return "\n".join(m.get("text") or "" for m in response.json())


def test_an_action_failing_on_a_database_outage_logs_no_health_information(outage):
    servers, pg, logs, env = outage
    assert "Una" in _say(servers, "rest:una", "hi")  # the database answers
    pg.stop()  # the outage
    answers = [_say(servers, "rest:una", text) for text in (f"check my note: {NOTE}", QUESTION, NOTE)]
    assert any("something went wrong" in a and "reference" in a for a in answers), answers
    crisis = _say(servers, "rest:una", "my client Zebulon told me he is going to kill himself tonight")
    assert "988" in crisis
    time.sleep(1)  # let the servers flush their logs
    written = "\n".join(p.read_text(errors="replace") for p in logs.glob("*.log"))
    assert "failed: OperationalError (reference" in written  # the failure was logged, by type only
    for secret in ("Zebulon", "Quartz", "fluoxetine", "library", env["TELEGRAM_BOT_TOKEN"].split(":")[1]):
        assert secret not in written, f"{secret!r} reached the logs"
    # and no server process was even given the Telegram token
    for process in servers.processes.values():
        environ = open(f"/proc/{process.pid}/environ", "rb").read()
        assert b"OUTAGE-TEST-TOKEN" not in environ


def test_deactivating_someone_ends_their_access_on_their_next_message(live):
    from bot.cli import main
    from bot.store import session_scope
    from bot.store import staff as repo
    from tests.acting import act_as

    with session_scope() as session:
        admin = repo.add(session, "Ada Admin", role="admin")
        dee = repo.add(session, "Dee Quill", role="supervisor")
        repo.link_identity(session, dee.id, "rest", "dee")
        admin_id, dee_id = admin.id, dee.id
    assert "Dee" in live.texts(live.say("rest:dee", "hi"))
    act_as(admin_id)  # the command line acts as the OS login's staff profile: make it the admin's
    assert main(["staff", "deactivate", str(dee_id)]) == 0
    assert live.texts(live.say("rest:dee", "show my risk alerts")) == "Only supervisors can see risk alerts."
    after = live.texts(live.say("rest:dee", "hi"))
    assert "Dee" not in after and "invite" in after.lower()  # treated as an unknown account
    assert main(["staff", "reactivate", str(dee_id)]) == 0
    assert "Dee" in live.texts(live.say("rest:dee", "hi"))
