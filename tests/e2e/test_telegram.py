"""The Telegram bridge end to end: the real bridge process (python-telegram-bot and its own
HTTP client) talks to a fake Telegram Bot API on loopback and to the real Rasa and action
servers of the `live` fixture. The test that stops the action server comes last."""

from __future__ import annotations

import time

import httpx
import pytest
from sqlalchemy import func, select

from bot.channels.servers import free_port
from bot.channels.telegram.bridge import CRISIS_LINE, EXPIRED_BUTTON, NOT_SIGNED_IN, SLOW_DOWN, TRY_AGAIN
from bot.channels.telegram.cli import start_bridge_process, stop_bridge_process
from bot.settings import local_today
from bot.store import invites, session_scope
from tests.fakes.telegram_api import FakeTelegramAPI

TESS, UNLINKED, LATECOMER = 7001, 7002, 7003
SAM_TG = 7020  # the supervisor (rest:sam) on Telegram too
PAT_TG = 7021  # a peer (rest:pat) on Telegram too
CRISIS = "my client just told me she's going to kill herself tonight"
LONG_SECTION_QUESTIONS = (
    "can I accept a small gift from a family I work with?",
    "can I lend my client money?",
    "can I date a former client?",
)


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
        api.bridge, api.bridge_env = bridge, env
        yield api
    finally:
        stop_bridge_process(api.bridge if hasattr(api, "bridge") else bridge)
        api.stop()


def converse(
    api: FakeTelegramAPI, user_id: int, text: str | None = None, quiet: float = 1.5, timeout: float = 90
) -> list[dict]:
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
    response = httpx.get(
        f"{live.servers.rasa_url}/conversations/{sender}/tracker", params={"token": live.servers.auth_token}, timeout=30
    )
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
        assert (member.name, member.role.value, member.supervisor_id) == ("Tess Ng", "peer", live.staff_ids["rest:sam"])
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
    tg.press(
        UNLINKED,
        {"message_id": 1, "date": int(time.time()), "chat": {"id": UNLINKED, "type": "private"}, "text": "old menu"},
        "/review_queue",
    )
    assert texts(converse(tg, UNLINKED)) == NOT_SIGNED_IN
    assert user_events(live, f"telegram:{UNLINKED}") == []
    assert user_events(live, f"telegram:{TESS}")  # the signed-in account did reach it


def test_a_flood_is_stopped_after_the_rate_limit(live, tg):
    flooder = 7010
    for _ in range(25):  # a greeting: the flood's words must not be something the risk check asks about
        tg.send_text(flooder, "hello")
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


def test_the_bridge_survives_telegram_errors_and_a_rasa_outage(live, tg, sam_tg):
    tg.fail_next("sendMessage", times=2)  # 502 twice: retried with backoff
    assert "welcome" in texts(converse(tg, TESS, "thanks")).lower()

    live.servers.stop(("rasa",))
    try:
        assert texts(converse(tg, TESS, "can I drive my client to her appointment in my own car?")) == TRY_AGAIN
        # a crisis line while Rasa is down: the 988 line, and the bridge records the risk alert
        # the action could not, which reaches the supervisor as usual
        before = _last_alert_id()
        assert [m["text"] for m in converse(tg, TESS, CRISIS)] == [TRY_AGAIN, CRISIS_LINE]
        notice = tg.wait_for(lambda: _alert_notice(tg, sam_tg, "Tess Ng", before), 30, "the supervisor's alert")
        missed = _alert(int(notice["text"].split("#", 1)[1].split(":", 1)[0]))
        assert (missed.staff_id, missed.source, missed.about) == (tg_staff_id(), "chat", "client")
        assert _last_alert_id() == missed.id  # one alert
        assert tg.bridge.poll() is None
    finally:
        live.servers.start_rasa()
        live.servers.wait_ready(timeout=300)
    assert "Not allowed" in texts(converse(tg, TESS, "can I drive my client to her appointment in my own car?"))
    assert tg.bridge.poll() is None

    log = (live.servers.log_dir / "telegram.log").read_text()
    assert "bridge running (polling)" in log
    for secret in ("drive my client", "lend a client", "library", "kill herself", tg.token):
        assert secret not in log
    with session_scope() as s:  # close the alert the outage left open
        from bot.store import alerts
        from bot.store.models import Staff

        alerts.acknowledge(s, s.get(Staff, live.staff_ids["rest:sam"]), missed.id)


@pytest.fixture(scope="module")
def sam_tg(live, tg):
    from bot.store import staff as staff_repo

    with session_scope() as s:
        staff_repo.link_identity(s, live.staff_ids["rest:sam"], "telegram", str(SAM_TG))
    return SAM_TG


def _last_alert_id() -> int:
    from bot.store.models import RiskAlert

    with session_scope() as s:
        return s.scalar(select(func.max(RiskAlert.id))) or 0


def _alert_notice(api, chat: int, who: str, after_id: int) -> dict | None:
    """The first alert notice to ``chat`` about ``who`` for an alert newer than ``after_id``."""
    for message in api.messages_to(chat):
        text = message["text"]
        if text.startswith("🚨 Risk alert #") and f" {who} (" in text:
            if int(text.split("#", 1)[1].split(":", 1)[0]) > after_id:
                return message
    return None


def _alert(alert_id: int):
    from bot.store.models import RiskAlert

    with session_scope() as s:
        return s.get(RiskAlert, alert_id)


def test_a_peers_risk_message_reaches_the_supervisors_telegram_within_5_s(live, tg, sam_tg):
    before, tess_before = _last_alert_id(), len(tg.messages_to(TESS))
    started = time.monotonic()
    tg.send_text(TESS, CRISIS, first_name="Tess", last_name="Ng")
    notice = tg.wait_for(lambda: _alert_notice(tg, sam_tg, "Tess Ng", before), 60, "the supervisor's alert")
    elapsed = time.monotonic() - started
    print(f"\nrisk alert on the supervisor's Telegram {elapsed:.2f} s after the peer's message")
    assert elapsed < 5, f"the alert took {elapsed:.1f} s"

    alert_id = int(notice["text"].split("#", 1)[1].split(":", 1)[0])
    text = notice["text"]
    assert "a risk of harm came up in a chat with Tess Ng (about someone they support)" in text
    assert f'"acknowledge alert {alert_id}"' in text and f"peerscope alerts ack {alert_id}" in text
    for word in ("kill", "tonight", "herself"):
        assert word not in text
    tg.wait_for_messages(TESS, tess_before + 1, timeout=30)
    time.sleep(1)
    assert "988" in texts(tg.messages_to(TESS)[tess_before:])  # the peer's own crisis reply
    alert = tg.wait_for(
        lambda: (lambda a: a if a.notify_count == 1 else None)(_alert(alert_id)), 10, "the notice to be counted"
    )
    assert (alert.staff_id, alert.source, alert.about) == (tg_staff_id(), "chat", "client")
    assert alert.last_notified_at is not None and alert.acknowledged_at is None

    # the supervisor taps "Acknowledge" in the notice: Rasa's own acknowledgement, as Sam
    [[button]] = notice["reply_markup"]["inline_keyboard"]
    tg.press(sam_tg, notice, button["callback_data"])
    assert f"Risk alert #{alert_id} acknowledged." in texts(converse(tg, sam_tg))
    assert _alert(alert_id).acknowledged_by == live.staff_ids["rest:sam"]
    assert "kill herself" not in (live.servers.log_dir / "telegram.log").read_text()


def test_a_risk_flag_in_a_checked_note_alerts_the_supervisor(live, tg, sam_tg):
    before = _last_alert_id()
    converse(tg, TESS, "check my note")
    checked = converse(
        tg,
        TESS,
        "Member said she wants to kill herself tonight. Writer stayed with her " "and called the crisis line together.",
    )
    assert "Risk of harm" in texts(checked) and "recorded a risk alert for your supervisor" in texts(checked)
    notice = tg.wait_for(lambda: _alert_notice(tg, sam_tg, "Tess Ng", before), 30, "the supervisor's alert")
    assert "came up in a note by Tess Ng (about someone they support)" in notice["text"]
    assert "kill" not in notice["text"]
    alert = _alert(int(notice["text"].split("#", 1)[1].split(":", 1)[0]))
    assert (alert.source, alert.about, alert.staff_id) == ("note", "client", tg_staff_id())
    assert _last_alert_id() == alert.id  # one alert for the note, none from the chat's risk check
    tg.press(TESS, checked[-1], "/note_discard")
    assert "Draft discarded" in texts(converse(tg, TESS))


def tg_staff_id() -> int:
    from bot.store import staff as staff_repo

    with session_scope() as s:
        return staff_repo.by_identity(s, "telegram", str(TESS)).id


def test_a_plan_sign_off_is_told_through_the_bridge(live, tg):
    from bot.store import access
    from bot.store.models import Notification
    from bot.wrsp import service as plans
    from tests.unit.test_wrsp_interview import full_answers

    tess = tg_staff_id()
    with session_scope() as s:
        plan_id = plans.create_plan(s, access.actor(s, tess), "T.R.", "adult").id
    with session_scope() as s:  # admitted today: no "plan overdue" reminder races the notice
        for field, value in {**full_answers(), "admission_date": local_today().isoformat()}.items():
            plans.save_answer(s, access.actor(s, tess), plan_id, field, value)
    with session_scope() as s:
        plans.complete_plan(s, access.actor(s, tess), plan_id)
    before = len(tg.messages_to(TESS))
    [confirm] = live.buttons(live.say("rest:sam", f"sign off plan {plan_id}"))
    assert "signed off and locked" in live.texts(live.say("rest:sam", confirm["payload"]))
    notice = tg.wait_for_messages(TESS, before + 1, timeout=30)[before:]
    assert texts(notice) == f"Your WRSP plan #{plan_id} was signed off by Sam Reyes."

    def marked_sent():  # marked sent just after Telegram took it
        with session_scope() as s:
            [row] = s.scalars(
                select(Notification).where(Notification.object_id == plan_id, Notification.kind == "plan_signed_off")
            ).all()
            return row if row.sent_at else None

    row = tg.wait_for(marked_sent, 10, "the notice marked sent")
    assert (row.staff_id, row.kind, row.attempts) == (tess, "plan_signed_off", 1)
    time.sleep(2)
    assert len(tg.messages_to(TESS)) == before + 1  # once


def test_export_my_plan_sends_the_pdf_to_its_author_and_supervisor_only(live, tg, sam_tg):
    from io import BytesIO

    from pypdf import PdfReader

    from bot.channels.telegram.export import EXPORT_REFUSED
    from bot.store import access
    from bot.store import staff as staff_repo
    from bot.store.models import AuditLog
    from bot.wrsp import service as plans
    from tests.unit.test_wrsp_interview import full_answers

    uma_tg, pat_tg = 7030, 7031
    with session_scope() as s:
        uma = staff_repo.add(s, "Uma Diaz", role="peer", program="adult", supervisor_id=live.staff_ids["rest:sam"])
        staff_repo.link_identity(s, uma.id, "telegram", str(uma_tg))
        staff_repo.link_identity(s, live.staff_ids["rest:pat"], "telegram", str(pat_tg))  # a peer of the same team
        uma_id = uma.id
    with session_scope() as s:
        plan_id = plans.create_plan(s, access.actor(s, uma_id), "U.V.", "adult").id
    with session_scope() as s:
        answers = {
            **full_answers(),
            "client_ref": "U.V.",
            "wellness_plan": "swim on Tuesdays",
            "admission_date": local_today().isoformat(),
        }  # not due: no reminder in the way
        for field, value in answers.items():
            plans.save_answer(s, access.actor(s, uma_id), plan_id, field, value)

    # the author: "export my plan" brings the plan's PDF as a document
    tg.send_text(uma_tg, "export my plan", first_name="Uma", last_name="Diaz")
    [doc] = tg.wait_for(lambda: tg.documents_to(uma_tg), 60, "the plan's PDF")
    assert doc["document"]["file_name"] == f"wrsp-plan-{plan_id}.pdf"
    assert doc["bytes"].startswith(b"%PDF-")
    text = "\n".join(page.extract_text() for page in PdfReader(BytesIO(doc["bytes"])).pages)
    assert "U.V." in text and "swim on Tuesdays" in text and "Uma Diaz" in text and f"#{plan_id}" in text
    assert not tg.messages_to(uma_tg)  # the document is the answer
    assert user_events(live, f"telegram:{uma_tg}") == []  # answered by the bridge, not Rasa

    # another peer, even of the same supervisor, is refused, by number or as a command
    assert texts(converse(tg, pat_tg, f"export plan {plan_id}")) == EXPORT_REFUSED.format(plan_id=plan_id)
    assert texts(converse(tg, pat_tg, f"/export {plan_id}")) == EXPORT_REFUSED.format(plan_id=plan_id)
    assert "You have no WRSP plan to export" in texts(converse(tg, pat_tg, "export my plan"))
    assert tg.documents_to(pat_tg) == []

    # the author's supervisor gets it with /export N
    tg.send_text(sam_tg, f"/export {plan_id}", first_name="Sam", last_name="Reyes")
    [sams] = tg.wait_for(lambda: tg.documents_to(sam_tg), 60, "the supervisor's PDF")
    assert sams["bytes"].startswith(b"%PDF-") and sams["document"]["file_name"] == f"wrsp-plan-{plan_id}.pdf"

    with session_scope() as s:
        rows = s.scalars(
            select(AuditLog).where(
                AuditLog.object_type == "wrsp_plan",
                AuditLog.object_id == plan_id,
                AuditLog.action.in_(("wrsp.export", "wrsp.read")),
            )
        ).all()
    exports = sorted(
        (r.actor_id, r.outcome, r.channel, (r.detail or {}).get("format")) for r in rows if r.action == "wrsp.export"
    )
    assert exports == sorted([(uma_id, "ok", "telegram", "pdf"), (live.staff_ids["rest:sam"], "ok", "telegram", "pdf")])
    refused = [r for r in rows if r.action == "wrsp.read" and r.actor_id == live.staff_ids["rest:pat"]]
    assert [(r.outcome, r.channel) for r in refused] == [("denied", "telegram")] * 2
    log = (live.servers.log_dir / "telegram.log").read_text()
    assert "swim on Tuesdays" not in log and "U.V." not in log


def test_a_crisis_line_from_an_unlinked_account_gets_the_988_line(live, tg):
    stranger = 7004
    assert [m["text"] for m in converse(tg, stranger, "I want to kill myself")] == [NOT_SIGNED_IN, CRISIS_LINE]
    assert user_events(live, f"telegram:{stranger}") == []


def test_a_crisis_line_over_the_rate_limit_gets_the_988_line(live, tg):
    flooder = 7011
    for n in range(21):
        tg.send_text(flooder, f"message {n}")
    flood = [m["text"] for m in converse(tg, flooder, quiet=2)]
    assert flood.count(NOT_SIGNED_IN) == 20 and flood.count(SLOW_DOWN) == 1
    assert [m["text"] for m in converse(tg, flooder, "I want to kill myself")] == [CRISIS_LINE]


def test_a_repeated_update_is_not_taken_as_the_next_answer(live, tg):
    before, count = len(user_events(live, f"telegram:{TESS}")), len(tg.messages_to(TESS))
    update = tg.send_text(TESS, "thanks", first_name="Tess", last_name="Ng")
    tg.wait_for_messages(TESS, count + 1, timeout=90)
    time.sleep(1.5)
    answered = len(tg.messages_to(TESS))
    again = tg.resend(update)  # Telegram delivers it again
    tg.wait_for(
        lambda: any(int(c.params.get("offset") or 0) > again["update_id"] for c in tg.calls_of("getUpdates")),
        10,
        "the bridge to take the repeated update",
    )
    time.sleep(2)
    assert len(tg.messages_to(TESS)) == answered
    assert len(user_events(live, f"telegram:{TESS}")) == before + 1


def _restart_bridge(live, tg, hard: bool) -> None:
    """Stop the bridge (kill -9 when ``hard``, else SIGTERM) and start a new process, on the
    same fake Telegram and database; returns once the new one polls."""
    import signal

    old = tg.bridge
    if hard:
        old.send_signal(signal.SIGKILL)
        old.wait(timeout=30)
    else:
        stop_bridge_process(old)
    polls = len(tg.calls_of("getUpdates"))
    tg.bridge = start_bridge_process(live.servers.rasa_url, log_dir=live.servers.log_dir, env=tg.bridge_env)
    tg.wait_for(
        lambda: len(tg.calls_of("getUpdates")) > polls or tg.bridge.poll() is not None, 90, "the new bridge to poll"
    )
    assert tg.bridge.poll() is None, (live.servers.log_dir / "telegram.log").read_text()[-3000:]


def test_a_bridge_killed_mid_flow_loses_nothing_and_repeats_nothing(live, tg, sam_tg):
    """kill -9 of the bridge in the middle of a quiz, a flood and a supervisor's decision:
    the quiz's long buttons (over Telegram's 64 bytes) still work from the new process, the
    flood limit still holds, a note decided while no bridge ran is told once, and an update
    Telegram delivers again (the dead bridge never confirmed it) is not answered twice."""
    from bot.onboarding.content import load_onboarding
    from bot.store import notes as note_repo
    from bot.store import staff as staff_repo
    from bot.store.models import QuizAttempt, Staff

    fay_tg, gil_tg, flooder = 7040, 7041, 7012
    with session_scope() as s:
        fay = staff_repo.add(s, "Fay Ortiz", role="peer", program="family", supervisor_id=live.staff_ids["rest:sam"])
        staff_repo.link_identity(s, fay.id, "telegram", str(fay_tg))
        fay_id = fay.id
    old_menu = {"message_id": 1, "date": int(time.time()), "chat": {"id": fay_tg, "type": "private"}, "text": "menu"}
    tg.press(fay_tg, old_menu, "/onboarding_quiz")
    question = converse(tg, fay_tg)[-1]
    first = load_onboarding().quiz.questions[0]
    long_buttons = [b for b in buttons(question) if b["callback_data"].startswith("~")]
    assert long_buttons and all(len(b["callback_data"].encode()) <= 64 for b in long_buttons)
    wanted = next(b for b in long_buttons if b["text"].startswith(f"{first.options[0].id})"))

    for n in range(20):  # up to the limit, before the kill
        tg.send_text(flooder, f"message {n}")
    assert [m["text"] for m in converse(tg, flooder, quiet=2)].count(NOT_SIGNED_IN) == 20
    with session_scope() as s:  # a note waiting for the supervisor
        note = note_repo.save_draft(s, s.get(Staff, fay_id), "Met the family at the library.", [])
        note_repo.submit(s, s.get(Staff, fay_id), note.id)
        note_id = note.id
    with session_scope() as s:  # someone to say "thanks" (answered by Rasa) before the kill
        gil = staff_repo.add(s, "Gil Park", role="peer", program="adult", supervisor_id=live.staff_ids["rest:sam"])
        staff_repo.link_identity(s, gil.id, "telegram", str(gil_tg))
    said = tg.send_text(gil_tg, "thanks", first_name="Gil")
    assert texts(converse(tg, gil_tg)) not in ("", NOT_SIGNED_IN, TRY_AGAIN)
    gil_count = len(tg.messages_to(gil_tg))

    _restart_bridge(live, tg, hard=True)  # kill -9: nothing is given back, nothing confirmed
    with session_scope() as s:  # decided while no bridge runs
        note_repo.decide_note(s, s.get(Staff, live.staff_ids["rest:sam"]), note_id, approve=True)
    notice = f"Your note #{note_id} was approved by your supervisor."
    before = len(tg.messages_to(fay_tg))
    tg.resend(said)  # Telegram delivers Gil's last message again

    tg.press(fay_tg, question, wanted["callback_data"])  # a button from before the restart
    tg.wait_for(
        lambda: [m for m in tg.messages_to(fay_tg)[before:] if m["text"] != notice] or None,
        90,
        "the next quiz question",
    )
    time.sleep(2)
    after = [m for m in tg.messages_to(fay_tg)[before:] if m["text"] != notice]
    assert EXPIRED_BUTTON not in texts(after)
    assert load_onboarding().quiz.questions[1].question.split()[0] in texts(after)
    with session_scope() as s:
        attempt = s.scalars(select(QuizAttempt).where(QuizAttempt.staff_id == fay_id)).one()
        assert attempt.answers == {first.id: first.options[0].id}

    assert texts(converse(tg, flooder, "one more")) == SLOW_DOWN  # the limit survived the restart
    tg.wait_for(lambda: notice in [m["text"] for m in tg.messages_to(fay_tg)], 30, "the decided note's notice")
    time.sleep(3)  # a few more rounds of the notifier
    assert [m["text"] for m in tg.messages_to(fay_tg)[before:]].count(notice) == 1
    assert len(tg.messages_to(gil_tg)) == gil_count, "the repeated update was answered again"
    assert len(user_events(live, f"telegram:{gil_tg}")) == 1
    assert len(user_events(live, f"telegram:{fay_tg}")) == 2  # /onboarding_quiz and the answer

    _restart_bridge(live, tg, hard=False)  # and a normal restart leaves a working bridge
    assert "Hi Gil" in texts(converse(tg, gil_tg, "hi"))


def test_webhook_mode_accepts_only_telegram_posts(live, tmp_path):
    api = FakeTelegramAPI().start()
    port = free_port()
    bridge = start_bridge_process(
        live.servers.rasa_url,
        log_dir=tmp_path,
        env={
            "TELEGRAM_BOT_TOKEN": api.token,
            "PEERSCOPE_TELEGRAM_API_URL": api.url,
            "PEERSCOPE_TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram-hook",
            "PEERSCOPE_TELEGRAM_WEBHOOK_PORT": str(port),
            "PEERSCOPE_TELEGRAM_WEBHOOK_SECRET": "s3cret",
        },
    )
    try:
        api.wait_for(lambda: api.calls_of("setWebhook") or bridge.poll() is not None, 60, "setWebhook")
        assert bridge.poll() is None, (tmp_path / "telegram.log").read_text()[-3000:]
        hook = api.calls_of("setWebhook")[0].params
        assert hook["url"].endswith("/telegram-hook") and hook["secret_token"] == "s3cret"
        update = {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": UNLINKED, "type": "private"},
                "from": {"id": UNLINKED, "is_bot": False, "first_name": "X"},
                "text": "hello",
            },
        }
        url = f"http://127.0.0.1:{port}/telegram-hook"
        assert httpx.post(url, json=update, timeout=10).status_code == 403
        response = httpx.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"}, timeout=10)
        assert response.status_code == 200
        assert texts(converse(api, UNLINKED)) == NOT_SIGNED_IN
        assert not api.calls_of("getUpdates")
    finally:
        stop_bridge_process(bridge)
        api.stop()


def test_with_the_action_server_down_a_crisis_line_gets_the_988_line(live, tg):
    """Rasa answers nothing of its own when its action server is down; the peer is still
    told to try again, and a crisis line still gets the 988 line (from the REST channel or,
    if Rasa's answer is empty, from the bridge)."""
    live.servers.stop(("actions",))
    try:
        reply = texts(converse(tg, TESS, CRISIS))
        assert CRISIS_LINE in reply and "try again" in reply.lower()
        plain = texts(converse(tg, TESS, "can I drive my client to her appointment in my own car?"))
        assert "try again" in plain.lower() and "988" not in plain
        assert tg.bridge.poll() is None
    finally:
        live.servers.start_actions()
        live.servers.wait_ready(timeout=300)
    assert "Not allowed" in texts(converse(tg, TESS, "can I drive my client to her appointment in my own car?"))


def test_webcode_sends_a_console_code_to_a_supervisors_linked_account_only(live, tg, sam_tg):
    import re

    from bot.store import staff as staff_repo
    from bot.store import web_auth

    reply = texts(converse(tg, sam_tg, "/webcode"))
    code = re.search(r"console: ([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})", reply).group(1)
    assert "works once" in reply
    with session_scope() as s:
        signed_in = web_auth.sign_in(s, code)
    assert signed_in.ok and signed_in.staff_id == live.staff_ids["rest:sam"]
    with session_scope() as s:
        staff_repo.link_identity(s, live.staff_ids["rest:pat"], "telegram", str(PAT_TG))
    assert "for supervisors and admins" in texts(converse(tg, PAT_TG, "/webcode"))
    assert NOT_SIGNED_IN.split(".")[0] in texts(converse(tg, UNLINKED, "/webcode"))
    assert code not in (live.servers.log_dir / "telegram.log").read_text()
