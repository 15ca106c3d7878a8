"""The Telegram bridge end to end: the real bridge process (python-telegram-bot and its own
HTTP client) talks to a fake Telegram Bot API on loopback and to the real Rasa and action
servers of the `live` fixture."""

from __future__ import annotations

import time

import httpx
import pytest

from bot.channels.telegram import (NOT_SIGNED_IN, SLOW_DOWN, TRY_AGAIN, start_bridge_process,
                                   stop_bridge_process)
from bot.store import invites, session_scope
from tests.fakes.telegram_api import FakeTelegramAPI
from bot.channels.servers import free_port

TESS, UNLINKED, LATECOMER = 7001, 7002, 7003
LONG_SECTION_QUESTIONS = ("can I accept a small gift from a family I work with?", "can I lend my client money?",
                          "can I date a former client?")


@pytest.fixture(scope="module")
def tg(live):
    api = FakeTelegramAPI().start()
    env = {
        "TELEGRAM_BOT_TOKEN": api.token,
        "PEERSCOPE_TELEGRAM_API_URL": api.url,
        "PEERSCOPE_TELEGRAM_RETRY_DELAY": "0.1",
        "PEERSCOPE_TELEGRAM_NOTIFY_INTERVAL": "1",
        "PEERSCOPE_TELEGRAM_RATE_LIMIT": "20",
    }
    bridge = start_bridge_process(live.servers.rasa_url, log_dir=live.servers.log_dir, env=env)
    try:
        api.wait_for(lambda: api.calls_of("getUpdates") or bridge.poll() is not None, 60, "the bridge to poll")
        assert bridge.poll() is None, (live.servers.log_dir / "telegram.log").read_text()[-3000:]
        api.bridge = bridge
        yield api
    finally:
        stop_bridge_process(bridge)
        api.stop()


def converse(api: FakeTelegramAPI, user_id: int, text: str | None = None, quiet: float = 1.5,
             timeout: float = 90) -> list[dict]:
    """Send ``text`` (if given) as the user; return the bot's messages once it has answered
    and gone quiet."""
    before = len(api.messages_to(user_id))
    if text is not None:
        api.send_text(user_id, text, first_name="Tess", last_name="Ng")
    deadline = time.monotonic() + timeout
    while len(api.messages_to(user_id)) == before:
        assert time.monotonic() < deadline, f"no reply within {timeout} s"
        time.sleep(0.1)
    count = len(api.messages_to(user_id))
    while True:
        time.sleep(quiet)
        now = len(api.messages_to(user_id))
        if now == count:
            return api.messages_to(user_id)[before:]
        count = now


def texts(messages: list[dict]) -> str:
    return "\n".join(m["text"] for m in messages)


def buttons(message: dict) -> list[dict]:
    return [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


def user_events(live, sender: str) -> list[dict]:
    response = httpx.get(f"{live.servers.rasa_url}/conversations/{sender}/tracker",
                         params={"token": live.servers.auth_token}, timeout=30)
    assert response.status_code == 200, response.text
    return [e for e in response.json().get("events", []) if e.get("event") == "user"]


@pytest.fixture(scope="module")
def tess_code(live):
    with session_scope() as s:
        code, _ = invites.create(s, role="peer", program="adult", supervisor_id=live.staff_ids["rest:sam"])
    return code


def test_a_new_staff_member_signs_in_with_an_invite_code(live, tg, tess_code):
    replies = converse(tg, TESS, f"/start {tess_code}")
    assert replies[0]["text"].startswith("Welcome to PeerScope, Tess")
    assert "Hi Tess." in texts(replies)
    assert any(b["callback_data"] == "/ask_policy_start" for b in buttons(replies[-1]))
    with session_scope() as s:
        from bot.store import staff as staff_repo

        member = staff_repo.by_identity(s, "telegram", str(TESS))
        assert (member.name, member.role.value, member.supervisor_id) == ("Tess Ng", "peer",
                                                                          live.staff_ids["rest:sam"])
    assert [c.params["commands"][0]["command"] for c in tg.calls_of("setMyCommands")] == ["start"]


def test_a_used_or_wrong_code_is_refused(live, tg, tess_code):
    assert "already been used" in texts(converse(tg, LATECOMER, f"/start {tess_code}"))
    assert "isn't valid" in texts(converse(tg, LATECOMER, "/start NOPE-NOPE-NOPE"))
    assert "send /start followed by the invite code" in texts(converse(tg, LATECOMER, "/help"))


def test_a_scope_question_gets_a_verdict_and_a_long_section_is_split_in_order(live, tg):
    answer = converse(tg, TESS, "can I drive my client to her appointment in my own car?")
    assert len(answer) == 1, "the policy_answer payload repeats the text, so it is not sent"
    assert answer[0]["text"].startswith("⛔ Not allowed") and "“" in answer[0]["text"]
    assert any(c.params["action"] == "typing" and c.params["chat_id"] == TESS for c in tg.calls_of("sendChatAction"))


    # a question whose cited section is longer than one Telegram message (checked over REST)
    for question in LONG_SECTION_QUESTIONS:
        live.say("rest:ola", question)
        expected = live.texts(live.say("rest:ola", "show me the full section"))
        if len(expected) > 4096:
            break
    else:
        pytest.fail("no candidate question cites a section longer than 4,096 characters")
    converse(tg, TESS, question)
    section = converse(tg, TESS, "show me the full section")
    assert len(section) >= 2 and all(len(m["text"]) <= 4096 for m in section)
    assert "".join(texts(section).split()) == "".join(expected.split())  # all of it, in order


def test_a_menu_button_press_reaches_rasa_and_removes_the_keyboard(live, tg):
    menu = converse(tg, TESS, "hi")[-1]
    assert [b["text"] for b in buttons(menu)][:2] == ["Ask a scope question", "Check a note"]
    tg.press(TESS, menu, "/ask_policy_start")
    reply = converse(tg, TESS)
    assert reply and "?" in texts(reply)
    assert tg.calls_of("answerCallbackQuery")
    edit = tg.calls_of("editMessageReplyMarkup")[-1].params
    assert edit["message_id"] == menu["message_id"] and not edit.get("reply_markup")


def test_an_unlinked_account_is_refused_and_never_reaches_rasa(live, tg):
    assert texts(converse(tg, UNLINKED, "can I lend a client money?")) == NOT_SIGNED_IN
    tg.press(UNLINKED, {"message_id": 1, "date": int(time.time()), "chat": {"id": UNLINKED, "type": "private"},
                        "text": "old menu"}, "/review_queue")
    assert texts(converse(tg, UNLINKED)) == NOT_SIGNED_IN
    assert user_events(live, f"telegram:{UNLINKED}") == []
    assert user_events(live, f"telegram:{TESS}")  # the signed-in account did reach it


def test_a_flood_is_stopped_after_the_rate_limit(live, tg):
    flooder = 7010
    for n in range(25):
        tg.send_text(flooder, f"message {n}")
    replies = converse(tg, flooder, quiet=2)
    assert [m["text"] for m in replies].count(NOT_SIGNED_IN) == 20
    assert [m["text"] for m in replies].count(SLOW_DOWN) == 1 and len(replies) == 21


def test_the_author_is_told_when_a_supervisor_decides_their_note(live, tg):
    from bot.store import notes as note_repo
    from bot.store import staff as staff_repo
    from bot.store.models import Staff

    with session_scope() as s:
        tess = staff_repo.by_identity(s, "telegram", str(TESS))
        note = note_repo.save_draft(s, tess, "Met with the person I support at the library.", [])
        note_repo.submit(s, tess, note.id)
        note_id = note.id
    with session_scope() as s:
        note_repo.decide_note(s, s.get(Staff, live.staff_ids["rest:sam"]), note_id, approve=True)
    notice = converse(tg, TESS, timeout=30)
    assert texts(notice) == f"Your note #{note_id} was approved by your supervisor."
    assert f"note #{note_id} from" in texts(converse(tg, TESS, "hi"))  # the greeting still has it


def test_the_bridge_survives_telegram_errors_and_a_rasa_outage(live, tg):
    tg.fail_next("sendMessage", times=2)  # 502 twice: retried with backoff
    assert "welcome" in texts(converse(tg, TESS, "thanks")).lower()

    live.servers.stop(("rasa",))
    try:
        assert texts(converse(tg, TESS, "can I drive my client to her appointment in my own car?")) == TRY_AGAIN
        assert tg.bridge.poll() is None
    finally:
        live.servers.start_rasa()
        live.servers.wait_ready(timeout=300)
    assert "Not allowed" in texts(converse(tg, TESS, "can I drive my client to her appointment in my own car?"))
    assert tg.bridge.poll() is None

    log = (live.servers.log_dir / "telegram.log").read_text()
    assert "bridge running (polling)" in log
    for secret in ("drive my client", "lend a client", "library", tg.token):
        assert secret not in log


def test_webhook_mode_accepts_only_telegram_posts(live, tmp_path):
    api = FakeTelegramAPI().start()
    port = free_port()
    bridge = start_bridge_process(live.servers.rasa_url, log_dir=tmp_path, env={
        "TELEGRAM_BOT_TOKEN": api.token, "PEERSCOPE_TELEGRAM_API_URL": api.url,
        "PEERSCOPE_TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram-hook",
        "PEERSCOPE_TELEGRAM_WEBHOOK_PORT": str(port), "PEERSCOPE_TELEGRAM_WEBHOOK_SECRET": "s3cret",
    })
    try:
        api.wait_for(lambda: api.calls_of("setWebhook") or bridge.poll() is not None, 60, "setWebhook")
        assert bridge.poll() is None, (tmp_path / "telegram.log").read_text()[-3000:]
        hook = api.calls_of("setWebhook")[0].params
        assert hook["url"].endswith("/telegram-hook") and hook["secret_token"] == "s3cret"
        update = {"update_id": 1, "message": {
            "message_id": 1, "date": int(time.time()), "chat": {"id": UNLINKED, "type": "private"},
            "from": {"id": UNLINKED, "is_bot": False, "first_name": "X"}, "text": "hello"}}
        url = f"http://127.0.0.1:{port}/telegram-hook"
        assert httpx.post(url, json=update, timeout=10).status_code == 403
        response = httpx.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"}, timeout=10)
        assert response.status_code == 200
        assert texts(converse(api, UNLINKED)) == NOT_SIGNED_IN
        assert not api.calls_of("getUpdates")
    finally:
        stop_bridge_process(bridge)
        api.stop()
