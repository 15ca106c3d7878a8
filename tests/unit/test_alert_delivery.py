"""Risk alerts from notes, and getting every alert to someone: the supervisor at once,
again until acknowledged, admins after a while or when the supervisor can't be reached;
one notice per round however many bridges run. And the notification outbox that lets
only the bridge hold the Telegram token."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.channels.telegram import notifier as telegram_notify
from bot.channels.telegram.bridge import CRISIS_LINE, TRY_AGAIN, TelegramBridge
from bot.channels.telegram.client import TelegramConfig
from bot.channels.telegram.state import SeenUpdates
from bot.notices import service as notices
from bot.store import access, alerts, notifications, session_scope
from bot.store import notes as note_repo
from bot.store import staff as repo
from bot.store.alerts import Recipient
from bot.store.models import AuditLog, Notification, RiskAlert, Staff
from bot.wrsp import service as plans
from tests.unit.test_wrsp_interview import full_answers

T0 = datetime(2026, 3, 4, 14, 5, tzinfo=timezone.utc)
SEC, MIN = timedelta(seconds=1), timedelta(minutes=1)
NOTE = "Member said she is going to kill herself tonight. Gave her a ride to the clinic afterwards."


@pytest.fixture
def team(db_url):
    with session_scope() as s:
        sam = repo.add(s, "Sam Reyes", role="supervisor")
        eve = repo.add(s, "Eve Park", role="supervisor")  # no Telegram
        ada = repo.add(s, "Ada Min", role="admin")
        abe = repo.add(s, "Abe Gone", role="admin")  # linked, but no longer active
        amy = repo.add(s, "Amy Cho", role="admin")  # no Telegram
        pat = repo.add(s, "Pat Lee", role="peer", program="adult", supervisor_id=sam.id)
        kim = repo.add(s, "Kim Wu", role="peer", program="adult", supervisor_id=eve.id)
        ola = repo.add(s, "Ola Chen", role="peer", program="adult")  # no supervisor
        for member, account in ((sam, "9001"), (ada, "9002"), (abe, "9003"), (pat, "9004")):
            repo.link_identity(s, member.id, "telegram", account)
        abe.active = False
        ids = {m.name.split()[0].lower(): m.id for m in (sam, eve, ada, abe, amy, pat, kim, ola)}
    return ids


def _alert(staff_id: int, at: datetime = T0, about: str = "client", source: str = "chat") -> int:
    with session_scope() as s:
        alert = alerts.raise_alert(s, staff_id, about, source=source)
        alert.created_at = at
        return alert.id


def _due(now: datetime, repeat: float = 900, escalate_after: float = 1800) -> dict[int, alerts.Due]:
    with session_scope() as s:
        return {d.alert.id: d for d in alerts.due_for_notice(s, now, repeat=repeat, escalate_after=escalate_after)}


def _claim(due: alerts.Due, now: datetime, repeat: float = 900) -> bool:
    with session_scope() as s:
        return alerts.claim(s, due, now, repeat=repeat)


def _notified(due: alerts.Due, now: datetime, repeat: float = 900) -> None:
    assert _claim(due, now, repeat)
    with session_scope() as s:
        alerts.mark_notified(s, due.alert.id, [r.staff_id for r in due.recipients])


def _audit(action: str) -> list[AuditLog]:
    with session_scope() as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def _flag(category: str, start: int) -> dict:
    return {
        "category": category,
        "start": start,
        "end": start + 10,
        "reason": "why",
        "suggestion": "how",
        "citations": [],
    }


# --- a note raises the alert a chat message raises ---------------------------------------------


def test_a_note_with_risk_flags_raises_one_alert_from_the_note(team):
    with session_scope() as s:
        pat = access.actor(s, team["pat"])
        note = note_repo.save_draft(
            s, pat, NOTE, [_flag("risk", 0), _flag("transport", 50), _flag("risk", 20)], risk_about="client"
        )
        note_id = note.id
    with session_scope() as s:
        [alert] = s.scalars(select(RiskAlert)).all()
        assert (alert.staff_id, alert.source, alert.about, alert.acknowledged_at) == (
            team["pat"],
            "note",
            "client",
            None,
        )
    [raised] = _audit("risk_alert.raise")
    assert raised.detail == {"about": "client", "source": "note", "note": note_id}
    assert raised.actor_id == team["pat"] and raised.object_id == alert.id

    with session_scope() as s:  # checking the same draft again (more text) is the same note: no new alert
        pat = access.actor(s, team["pat"])
        note_repo.save_draft(s, pat, NOTE + " More.", [_flag("risk", 0)], note_id=note_id, risk_about="client")
        # "may describe a risk" asks the author to check; it raises no alert on its own
        note_repo.save_draft(s, pat, "Member said she may be done with all of it.", [_flag("risk_possible", 0)])
        note_repo.save_draft(s, pat, "Met at the library.", [])
    with session_scope() as s:
        assert s.query(RiskAlert).count() == 1
    with session_scope() as s:  # a new note with a risk flag is a new alert; whom it is about unknown
        note_repo.save_draft(s, access.actor(s, team["pat"]), NOTE, [_flag("risk", 0)])
    with session_scope() as s:
        assert sorted((a.source, a.about) for a in s.scalars(select(RiskAlert))) == [
            ("note", "client"),
            ("note", "unknown"),
        ]
        sam = s.get(Staff, team["sam"])
        assert all(", in a note" in alerts.describe(a) for a in alerts.visible(s, sam))
    for entry in _audit("risk_alert.raise"):
        assert "kill" not in str(entry.detail)


def test_the_checkers_risk_flag_on_a_real_note_raises_the_alert(team):
    from actions.notes import risk_about
    from bot.notes import get_checker

    flags = [f.to_dict() for f in get_checker().check(NOTE)]
    assert note_repo.has_risk(flags), [f["category"] for f in flags]
    assert risk_about(NOTE) == "client"
    with session_scope() as s:
        note_repo.save_draft(s, access.actor(s, team["pat"]), NOTE, flags, risk_about=risk_about(NOTE))
    with session_scope() as s:
        [alert] = s.scalars(select(RiskAlert)).all()
        assert (alert.source, alert.about) == ("note", "client")


# --- who is told, when -----------------------------------------------------------------------------


def test_a_new_alert_goes_to_the_supervisor_and_repeats_until_acknowledged(team):
    alert_id = _alert(team["pat"])
    due = _due(T0 + SEC)[alert_id]
    assert due.recipients == (Recipient(team["sam"], "supervisor", ("9001",)),)
    assert due.escalate is None and not due.reminder and due.staff_name == "Pat Lee"
    _notified(due, T0 + SEC)

    assert alert_id not in _due(T0 + MIN)  # told a minute ago
    assert alert_id not in _due(T0 + 15 * MIN)  # not yet `repeat` since the last notice
    again = _due(T0 + 16 * MIN)[alert_id]
    assert again.reminder and again.escalate is None and [r.staff_id for r in again.recipients] == [team["sam"]]
    _notified(again, T0 + 16 * MIN)

    with session_scope() as s:
        alerts.acknowledge(s, s.get(Staff, team["sam"]), alert_id)
    for later in (T0 + 40 * MIN, T0 + timedelta(days=3)):
        assert alert_id not in _due(later)
    with session_scope() as s:
        alert = s.get(RiskAlert, alert_id)
        assert alert.notify_count == 2 and alert.escalated_at is None
        assert alerts._aware(alert.last_notified_at) == T0 + 16 * MIN
    assert [e.detail for e in _audit("risk_alert.notify")] == [{"to": [team["sam"]]}] * 2


def test_an_alert_open_too_long_goes_to_every_active_linked_admin_too(team):
    alert_id = _alert(team["pat"])
    _notified(_due(T0 + SEC)[alert_id], T0 + SEC)
    _notified(_due(T0 + 16 * MIN)[alert_id], T0 + 16 * MIN)
    # escalation does not wait for the next repeat
    assert alert_id in _due(T0 + 21 * MIN, escalate_after=1200)
    due = _due(T0 + 31 * MIN)[alert_id]
    assert due.escalate == alerts.OPEN_TOO_LONG
    assert due.recipients == (
        Recipient(team["sam"], "supervisor", ("9001",)),
        Recipient(team["ada"], "admin", ("9002",)),
    )  # not Abe (inactive), not Amy (no link)
    _notified(due, T0 + 31 * MIN)
    with session_scope() as s:
        assert alerts._aware(s.get(RiskAlert, alert_id).escalated_at) == T0 + 31 * MIN
    with session_scope() as s:
        assert alerts.describe(s.get(RiskAlert, alert_id), {team["pat"]: "Pat Lee"}).endswith(
            "Pat Lee, about someone they support  (open, notified 3x, escalated to admins 14:36 UTC)"
        )
    [escalation] = _audit("risk_alert.escalate")
    assert escalation.object_id == alert_id and escalation.detail == {
        "reason": "open_too_long",
        "admins": [team["ada"]],
    }
    # reminders keep going to both; the escalation is audited once
    assert alert_id not in _due(T0 + 40 * MIN)
    later = _due(T0 + 47 * MIN)[alert_id]
    assert [r.role for r in later.recipients] == ["supervisor", "admin"]
    _notified(later, T0 + 47 * MIN)
    assert len(_audit("risk_alert.escalate")) == 1


def test_no_supervisor_or_an_unlinked_supervisor_goes_to_admins_at_once(team):
    lonely, unlinked = _alert(team["ola"]), _alert(team["kim"])
    due = _due(T0 + SEC)
    assert due[lonely].escalate == alerts.NO_SUPERVISOR
    assert due[unlinked].escalate == alerts.SUPERVISOR_NOT_LINKED
    for alert_id in (lonely, unlinked):
        assert due[alert_id].recipients == (Recipient(team["ada"], "admin", ("9002",)),)
        _notified(due[alert_id], T0 + SEC)
    assert [e.detail["reason"] for e in _audit("risk_alert.escalate")] == ["no_supervisor", "supervisor_not_linked"]

    with session_scope() as s:  # an admin's own alert goes to the other admins, never to themselves
        repo.link_identity(s, team["amy"], "telegram", "9005")
    own = _alert(team["ada"], about="self")
    assert [r.staff_id for r in _due(T0 + SEC)[own].recipients] == [team["amy"]]

    with session_scope() as s:  # nobody reachable: still due (and logged by the bridge), nobody listed
        for name in ("ada", "amy"):
            s.get(Staff, team[name]).active = False
    nobody = _alert(team["ola"])
    assert _due(T0 + SEC)[nobody].recipients == ()


def test_acknowledged_alerts_never_come_back(team):
    first, second, third = _alert(team["pat"]), _alert(team["ola"]), _alert(team["kim"])
    stale = _due(T0 + SEC)[first]
    with session_scope() as s:
        alerts.acknowledge(s, s.get(Staff, team["sam"]), first)
        alerts.acknowledge(s, s.get(Staff, team["ada"]), second)
    for now in (T0 + SEC, T0 + 20 * MIN, T0 + 2 * timedelta(hours=1)):
        assert set(_due(now)) == {third}
    assert not _claim(stale, T0 + 2 * SEC)  # acknowledged after it was read: the claim fails


def test_a_second_claim_within_the_interval_gets_nothing(team):
    alert_id = _alert(team["pat"])
    # two bridges read the same state at the same moment; only one may send
    mine, theirs = _due(T0 + SEC)[alert_id], _due(T0 + SEC)[alert_id]
    assert _claim(mine, T0 + SEC)
    assert not _claim(theirs, T0 + SEC)
    with session_scope() as s:
        alerts.mark_notified(s, alert_id, [team["sam"]])
    assert not _claim(theirs, T0 + 10 * MIN)  # and not before `repeat` has passed
    # the escalation too: two bridges both see it due, one escalates
    mine, theirs = _due(T0 + 31 * MIN)[alert_id], _due(T0 + 31 * MIN)[alert_id]
    assert mine.escalate == theirs.escalate == alerts.OPEN_TOO_LONG
    assert _claim(mine, T0 + 31 * MIN)
    assert not _claim(theirs, T0 + 31 * MIN + SEC)
    assert len(_audit("risk_alert.escalate")) == 1


def test_a_notice_that_reached_nobody_is_retried_next_round(team):
    alert_id = _alert(team["pat"])
    due = _due(T0 + SEC)[alert_id]
    assert _claim(due, T0 + SEC)
    assert alert_id not in _due(T0 + 3 * SEC)
    with session_scope() as s:
        alerts.release(s, due, T0 + SEC)
    assert alert_id in _due(T0 + 3 * SEC)
    with session_scope() as s:
        assert s.get(RiskAlert, alert_id).notify_count == 0


# --- the bridge's side, with a stand-in for python-telegram-bot's Bot ----------------------------


class FakeBot:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[tuple[int, str, object]] = []
        self.fail = fail

    async def send_message(self, chat_id, text, reply_markup=None, **_):
        from telegram.error import NetworkError

        if self.fail:
            raise NetworkError("down")
        self.sent.append((chat_id, text, reply_markup))

    async def send_chat_action(self, **_):
        return True


CONFIG = TelegramConfig(token="1:x", retries=0, retry_delay=0.01)


async def test_the_bridge_sends_who_and_when_with_an_acknowledge_button(team):
    alert_id = _alert(team["pat"])
    bot = FakeBot()
    assert await telegram_notify.deliver_alerts(bot, CONFIG, now=T0 + SEC) == 1
    [(chat, text, markup)] = bot.sent
    assert chat == 9001
    assert text.startswith(
        f"🚨 Risk alert #{alert_id}: a risk of harm came up in a chat with Pat Lee "
        "(about someone they support) at 14:05 UTC on 04 Mar 2026."
    )
    assert f'type "acknowledge alert {alert_id}" here' in text and f"peerscope alerts ack {alert_id}" in text
    [[button]] = markup.inline_keyboard
    assert (
        button.callback_data == telegram_notify.ack_payload(alert_id) == f'/risk_alert_ack{{"alert_id": "{alert_id}"}}'
    )
    assert await telegram_notify.deliver_alerts(bot, CONFIG, now=T0 + 3 * SEC) == 0  # not again so soon

    assert await telegram_notify.deliver_alerts(bot, CONFIG, now=T0 + 31 * MIN) == 1
    reminders = {chat: text for chat, text, _ in bot.sent[1:]}
    assert set(reminders) == {9001, 9002}
    assert reminders[9001].startswith(f"🚨 Reminder: risk alert #{alert_id} is still open")
    assert "Admins have been told too." in reminders[9001]
    assert "You're getting this as an admin: It has not been acknowledged for 31 minutes." in reminders[9002]
    with session_scope() as s:
        assert s.get(RiskAlert, alert_id).notify_count == 2


async def test_a_failed_notice_is_tried_again_at_the_next_round(team):
    alert_id = _alert(team["pat"], source="note")
    assert await telegram_notify.deliver_alerts(FakeBot(fail=True), CONFIG, now=T0 + SEC) == 0
    bot = FakeBot()
    assert await telegram_notify.deliver_alerts(bot, CONFIG, now=T0 + 3 * SEC) == 1
    assert "came up in a note by Pat Lee" in bot.sent[0][1]
    with session_scope() as s:
        assert s.get(RiskAlert, alert_id).notify_count == 1


# --- the notification outbox -------------------------------------------------------------------------


def _signed_plan(owner: int, ref: str = "J.D.") -> int:
    with session_scope() as s:
        plan_id = plans.create_plan(s, access.actor(s, owner), ref, "adult").id
    with session_scope() as s:
        actor = access.actor(s, owner)
        for field, value in full_answers().items():
            plans.save_answer(s, actor, plan_id, field, value)
    with session_scope() as s:
        plans.complete_plan(s, access.actor(s, owner), plan_id)
    return plan_id


async def test_a_sign_off_is_told_through_the_outbox_once(team):
    plan_id = _signed_plan(team["pat"])
    unlinked_plan = _signed_plan(team["kim"], "K.W.")
    with session_scope() as s:
        plans.sign_off(s, access.actor(s, team["sam"]), plan_id, attested=True)
        plans.sign_off(s, access.actor(s, team["eve"]), unlinked_plan, attested=True)
    with session_scope() as s:
        rows = {n.object_id: (n.staff_id, n.kind, n.sent_at) for n in s.scalars(select(Notification))}
    assert rows == {
        plan_id: (team["pat"], "plan_signed_off", None),
        unlinked_plan: (team["kim"], "plan_signed_off", None),
    }

    failing = FakeBot(fail=True)
    assert await telegram_notify.deliver_notifications(failing, CONFIG) == 0  # retried next round
    bot = FakeBot()
    assert await telegram_notify.deliver_notifications(bot, CONFIG) == 1
    assert [(c, t) for c, t, _ in bot.sent] == [(9004, f"Your WRSP plan #{plan_id} was signed off by Sam Reyes.")]
    assert await telegram_notify.deliver_notifications(bot, CONFIG) == 0 and len(bot.sent) == 1
    with session_scope() as s:
        sent = {n.object_id: (n.sent_at is not None, n.attempts) for n in s.scalars(select(Notification))}
    # Kim has no Telegram: closed unsent (attempts 0), not scanned again
    assert sent == {plan_id: (True, 2), unlinked_plan: (True, 0)}


def test_a_notification_is_claimed_once_and_given_up_after_its_attempts(team):
    with session_scope() as s:
        row_id = notifications.queue(s, team["pat"], notifications.PLAN_SIGNED_OFF, 12345).id
    with session_scope() as s:
        assert notifications.claim(s, row_id)
    with session_scope() as s:
        assert not notifications.claim(s, row_id)  # the other bridge
        assert notices.text_of(s, s.get(Notification, row_id)) is None  # no such plan: nothing to say
    for _ in range(notifications.MAX_ATTEMPTS - 1):
        with session_scope() as s:
            assert notifications.release(s, row_id)
        with session_scope() as s:
            assert notifications.claim(s, row_id)
    with session_scope() as s:
        assert not notifications.release(s, row_id)
        row = s.get(Notification, row_id)
        assert row.sent_at is not None and row.attempts == notifications.MAX_ATTEMPTS
    with pytest.raises(ValueError), session_scope() as s:
        notifications.queue(s, team["pat"], "anything", 1)


def test_the_action_server_never_needs_the_token():
    from bot.paths import PROJECT_ROOT

    for path in (PROJECT_ROOT / "actions").glob("*.py"):
        source = path.read_text()
        assert "TELEGRAM_BOT_TOKEN" not in source and "telegram.notifier" not in source, path.name


# --- the bridge answers a crisis line whatever goes wrong ---------------------------------------


class FakeRasa:
    def __init__(self, replies):
        self.replies = replies

    async def send(self, sender, message):
        if isinstance(self.replies, Exception):
            raise self.replies
        return self.replies


def _bridge(replies) -> tuple[TelegramBridge, FakeBot]:
    bridge = TelegramBridge(TelegramConfig(token="1:x", retries=0))
    bot = FakeBot()
    bridge.app = type("App", (), {"bot": bot})()
    bridge.rasa = FakeRasa(replies)
    return bridge, bot


def _finding(text):
    from bot.notes.risk import RiskFinding

    if "kill myself" in (text or ""):
        return RiskFinding(about="self", rules=("r",), citations=(), reason="why")
    if "done with it all" in (text or ""):
        return RiskFinding(about="self", rules=("r",), citations=(), reason="why", tier="risk_possible")
    return None


@pytest.mark.parametrize("replies", [[], "down"])
async def test_an_empty_or_failed_answer_still_gets_the_crisis_line(replies, monkeypatch):
    from bot.channels.rest import RasaUnavailable
    from bot.channels.telegram import bridge as telegram

    raised = []
    monkeypatch.setattr(telegram, "risk_finding", _finding)
    monkeypatch.setattr(telegram, "raise_missed_alert", lambda user_id, about: raised.append((user_id, about)))
    bridge, bot = _bridge(RasaUnavailable("ConnectError") if replies == "down" else replies)
    await bridge.relay(5, 7, "I want to kill myself")
    assert [t for _, t, _ in bot.sent] == [TRY_AGAIN, CRISIS_LINE]
    assert raised == [(7, "self")]  # the alert the action could not record
    bot.sent.clear()
    await bridge.relay(5, 7, "I'm done with it all")  # a possible risk: the line, but no alert
    await bridge.relay(5, 7, "can I drive my client?")
    assert [t for _, t, _ in bot.sent] == [TRY_AGAIN, CRISIS_LINE, TRY_AGAIN]
    assert raised == [(7, "self")]


def test_the_bridge_records_a_missed_alert_once(team):
    from bot.channels.telegram.state import raise_missed_alert

    first = raise_missed_alert(9004, "self")  # Pat's Telegram account
    assert first is not None and raise_missed_alert(9004, "self") is None  # one open and recent already
    assert raise_missed_alert(123, "self") is None  # not a linked account
    with session_scope() as s:
        [alert] = s.scalars(select(RiskAlert)).all()
        assert (alert.id, alert.staff_id, alert.source, alert.about) == (first, team["pat"], "chat", "self")
        alerts.acknowledge(s, s.get(Staff, team["sam"]), first)
    assert raise_missed_alert(9004, "self") not in (None, first)  # the open one was acknowledged


async def test_a_refusal_over_the_rate_limit_still_gets_the_crisis_line(db_url, monkeypatch):
    from types import SimpleNamespace

    from bot.channels.telegram import bridge as telegram

    monkeypatch.setattr(telegram, "risk_finding", _finding)
    monkeypatch.setattr(telegram, "linked_staff_id", lambda user_id: 1)
    bridge, bot = _bridge([])
    bridge.limiter = telegram.RateLimiter(limit=0)
    update = SimpleNamespace(
        effective_chat=SimpleNamespace(id=5),
        effective_user=SimpleNamespace(id=5),
        effective_message=SimpleNamespace(text="I want to kill myself", caption=None),
    )
    await bridge.on_text(update, None)
    await bridge.on_text(update, None)
    assert [t for _, t, _ in bot.sent] == [telegram.SLOW_DOWN, CRISIS_LINE, CRISIS_LINE]
    bot.sent.clear()
    update.effective_message = SimpleNamespace(text=None, caption="I want to kill myself")  # a photo
    await bridge.on_not_text(update, None)
    assert [t for _, t, _ in bot.sent] == [CRISIS_LINE]


async def test_a_repeated_update_is_dropped(db_url):
    from types import SimpleNamespace

    from telegram.ext import ApplicationHandlerStop

    bridge, _ = _bridge([])
    update = SimpleNamespace(
        effective_message=SimpleNamespace(message_id=41), callback_query=None, effective_chat=SimpleNamespace(id=5)
    )
    await bridge.drop_duplicates(update, None)
    with pytest.raises(ApplicationHandlerStop):
        await bridge.drop_duplicates(update, None)
    update.effective_chat = SimpleNamespace(id=6)  # the same message id in another chat is another message
    await bridge.drop_duplicates(update, None)

    # another bridge, or this one restarted, drops it too: the record is in the database
    restarted, _ = _bridge([])
    with pytest.raises(ApplicationHandlerStop):
        await restarted.drop_duplicates(update, None)
    seen = SeenUpdates()
    assert seen.first_time(("button", "77")) and not seen.first_time(("button", "77"))


def test_alert_timing_comes_from_the_environment():
    config = TelegramConfig.from_env(
        {
            "TELEGRAM_BOT_TOKEN": "1:x",
            "PEERSCOPE_ALERT_POLL_SECONDS": "0.5",
            "PEERSCOPE_ALERT_REPEAT_SECONDS": "60",
            "PEERSCOPE_ALERT_ESCALATE_SECONDS": "120",
        }
    )
    assert (config.alert_interval, config.alert_repeat, config.alert_escalate_after) == (0.5, 60, 120)
    default = TelegramConfig.from_env({"TELEGRAM_BOT_TOKEN": "1:x", "PEERSCOPE_ALERT_POLL_SECONDS": "0"})
    assert (default.alert_interval, default.alert_repeat, default.alert_escalate_after) == (2, 900, 1800)
