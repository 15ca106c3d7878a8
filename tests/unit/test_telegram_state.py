"""The Telegram bridge's state in the database (bot/store/telegram_state.py, the claims in
notifications.py and alerts.py): what a restarted bridge, or a second bridge beside it,
must see. Every test runs on SQLite and on a real PostgreSQL (the db_url fixture)."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.channels.telegram import notifier as telegram_notify
from bot.channels.telegram.client import TelegramConfig
from bot.channels.telegram.state import RateLimiter, SeenUpdates, StoredPayloads
from bot.channels.telegram.text import CallbackPayloads
from bot.store import alerts, notifications, session_scope, telegram_state
from bot.store import staff as repo
from bot.store.models import Notification, RiskAlert, TelegramButton, TelegramUpdate

CONFIG = TelegramConfig(token="1:x", retries=0, retry_delay=0)
SEC = timedelta(seconds=1)


class FakeBot:
    """Records what would have gone to Telegram (the e2e tests use the real client)."""

    def __init__(self):
        self.sent: list[tuple[int, str]] = []

    async def send_message(self, chat_id, text, reply_markup=None):
        self.sent.append((chat_id, text))


@pytest.fixture
def pair(db_url):
    """A peer linked on Telegram (9004) and their supervisor (9001)."""
    with session_scope() as s:
        sam = repo.add(s, "Sam Reyes", role="supervisor")
        pat = repo.add(s, "Pat Lee", role="peer", program="adult", supervisor_id=sam.id)
        repo.link_identity(s, sam.id, "telegram", "9001")
        repo.link_identity(s, pat.id, "telegram", "9004")
        return {"sam": sam.id, "pat": pat.id}


def _run_together(fn, n: int) -> list:
    """``fn`` in ``n`` threads started at the same moment (two bridges, many updates)."""
    barrier, out, lock = threading.Barrier(n), [], threading.Lock()

    def one():
        barrier.wait()
        result = fn()
        with lock:
            out.append(result)

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


# --- flood control ------------------------------------------------------------------------------


def test_the_rate_limit_holds_across_a_restart_and_between_two_bridges(db_url):
    now = [1_800_000_000.0]
    clock = lambda: now[0]  # noqa: E731
    first = RateLimiter(limit=5, window=60, clock=clock)
    assert [first.check(42) for _ in range(3)] == ["ok"] * 3
    restarted = RateLimiter(limit=5, window=60, clock=clock)  # a new process: nothing in memory
    assert [restarted.check(42) for _ in range(4)] == ["ok", "ok", "warn", "drop"]
    now[0] += 30
    assert first.check(42) == "drop"  # warned once per window, whichever bridge
    now[0] += 31  # the first three are out of the window
    assert restarted.check(42) == "ok"
    with session_scope() as s:
        assert len(s.get(telegram_state.TelegramRate, 42).hits) <= 5  # bounded: the window only


def test_two_bridges_counting_at_once_let_exactly_the_limit_through(db_url):
    limiters = [RateLimiter(limit=20, window=60), RateLimiter(limit=20, window=60)]
    counter = iter(range(1000))
    verdicts = _run_together(lambda: [limiters[next(counter) % 2].check(77) for _ in range(3)], 10)
    flat = [v for vs in verdicts for v in vs]
    assert flat.count("ok") == 20 and flat.count("warn") == 1 and flat.count("drop") == 9


# --- updates seen -------------------------------------------------------------------------------------


def test_an_update_is_taken_once_by_any_bridge_even_at_the_same_moment(db_url):
    assert SeenUpdates().first_time((5, 41))
    assert not SeenUpdates().first_time((5, 41))  # a restarted bridge
    assert SeenUpdates().first_time((6, 41))
    results = _run_together(lambda: SeenUpdates().first_time(("button", "abc")), 8)
    assert sorted(results) == [False] * 7 + [True]


def test_old_updates_and_payloads_are_pruned(db_url):
    old = datetime.now(timezone.utc) - timedelta(days=40)
    with session_scope() as s:
        telegram_state.first_time(s, "1:1", now=old)
        telegram_state.first_time(s, "1:2")
        telegram_state.save_payload(s, "~old", "/x", now=old)
        telegram_state.save_payload(s, "~new", "/y")
    with session_scope() as s:
        assert telegram_state.prune(s) == (1, 1)
    with session_scope() as s:
        assert s.scalars(select(TelegramUpdate.key)).all() == ["1:2"]
        assert s.scalars(select(TelegramButton.key)).all() == ["~new"]


# --- long button payloads -------------------------------------------------------------------------------


def test_a_long_button_payload_resolves_after_a_restart(db_url):
    long = '/onboarding_answer{"quiz_question": "stop-medication-before-school", "quiz_option": "b"}'
    key = CallbackPayloads(store=StoredPayloads()).encode(long)
    assert key.startswith("~") and len(key.encode()) <= 64
    restarted = CallbackPayloads(store=StoredPayloads())
    assert restarted.decode(key) == long
    assert restarted.encode(long) == key  # the same key again: one row
    assert restarted.decode("~" + "0" * 20) is None  # unknown: "expired"
    assert restarted.decode("/help") == "/help"
    with session_scope() as s:
        assert s.scalars(select(TelegramButton.payload)).all() == [long]


# --- notices: claimed once, never lost when a bridge dies ---------------------------------------------


def _queue(staff_id: int, object_id: int = 1) -> int:
    with session_scope() as s:
        return notifications.queue(s, staff_id, notifications.PLAN_SIGNED_OFF, object_id).id


def test_a_notification_claimed_by_a_bridge_that_died_is_sent_by_the_next_after_the_lease(pair):
    row_id = _queue(pair["pat"])
    t0 = datetime.now(timezone.utc)
    with session_scope() as s:
        assert notifications.claim(s, row_id, t0, by="bridge-a")  # then bridge A is killed (-9)
    with session_scope() as s:
        assert not notifications.claim(s, row_id, t0 + 30 * SEC, by="bridge-b")  # A may still be sending
        assert row_id not in [r.id for r in notifications.pending(s, now=t0 + 30 * SEC)]
    late = t0 + notifications.CLAIM_LEASE + SEC
    with session_scope() as s:
        assert [r.id for r in notifications.pending(s, now=late)] == [row_id]
        assert notifications.claim(s, row_id, late, by="bridge-b")
    with session_scope() as s:
        assert not notifications.claim(s, row_id, late, by="bridge-c")  # one claim at a time
        assert not notifications.mark_sent(s, row_id, by="bridge-a")  # A's claim is gone
        assert notifications.mark_sent(s, row_id, by="bridge-b")
    with session_scope() as s:
        row = s.get(Notification, row_id)
        assert row.sent_at is not None and row.attempts == 2 and row.claimed_by == "bridge-b"
        assert not notifications.pending(s, now=late + timedelta(hours=1))


def test_a_bridge_stopped_normally_gives_its_claims_back_at_once(pair):
    row_id = _queue(pair["pat"])
    with session_scope() as s:
        assert notifications.claim(s, row_id, by="bridge-a")
    with session_scope() as s:
        assert notifications.release_claims(s, "bridge-b") == 0
        assert notifications.release_claims(s, "bridge-a") == 1
    with session_scope() as s:
        assert notifications.claim(s, row_id, by="bridge-b")  # no wait for the lease
        assert s.get(Notification, row_id).attempts == 1  # the given-back claim is not an attempt


async def test_a_stopping_bridge_sends_nothing_more_and_leaves_the_rest_for_the_next(pair):
    from bot.store import notes as note_repo
    from bot.store.models import Staff

    ids = []
    for n in range(3):
        with session_scope() as s:
            pat = s.get(Staff, pair["pat"])
            note = note_repo.save_draft(s, pat, f"Met at the library ({n}).", [])
            note_repo.submit(s, pat, note.id)
        with session_scope() as s:
            note_repo.decide_note(s, s.get(Staff, pair["sam"]), note.id, approve=True)
            ids.append(note.id)
    with session_scope() as s:  # the supervisor's "waiting" notices are not what this is about
        for row in s.scalars(select(Notification).where(Notification.kind != notifications.NOTE_DECIDED)):
            notifications.close_undeliverable(s, row.id)
    stop = asyncio.Event()
    bot = FakeBot()
    original = bot.send_message

    async def send_then_stop(chat_id, text, reply_markup=None):
        await original(chat_id, text, reply_markup)
        stop.set()  # SIGTERM arrives while the first notice goes out

    bot.send_message = send_then_stop
    assert await telegram_notify.deliver_notifications(bot, CONFIG, by="bridge-a", stop=stop) == 1
    restarted = FakeBot()
    assert await telegram_notify.deliver_notifications(restarted, CONFIG, by="bridge-b") == 2
    told = sorted(int(t.split("#")[1].split()[0]) for _, t in bot.sent + restarted.sent)
    assert told == sorted(ids)  # each once: none lost, none twice
    assert await telegram_notify.deliver_notifications(FakeBot(), CONFIG, by="bridge-c") == 0


def test_an_alert_notice_claimed_by_a_bridge_that_died_is_due_again_after_the_lease(pair):
    with session_scope() as s:
        alert_id = alerts.raise_alert(s, pair["pat"], "self").id
    t0 = datetime.now(timezone.utc)
    with session_scope() as s:
        [due] = alerts.due_for_notice(s, t0)
        assert alerts.claim(s, due, t0, by="bridge-a")  # and A dies before sending
    with session_scope() as s:
        assert alerts.due_for_notice(s, t0 + 30 * SEC) == []  # A may still be sending
        [due] = alerts.due_for_notice(s, t0 + alerts.CLAIM_LEASE + SEC)  # not a whole `repeat` later
        assert alerts.claim(s, due, t0 + alerts.CLAIM_LEASE + SEC, by="bridge-b")
    with session_scope() as s:
        [again] = alerts.due_for_notice(s, t0 + alerts.CLAIM_LEASE * 3) or [None]
        assert again is not None and not alerts.claim(s, again, t0 + alerts.CLAIM_LEASE + 2 * SEC, by="bridge-c")
        alerts.mark_notified(s, alert_id, [pair["sam"]])
    with session_scope() as s:
        alert = s.get(RiskAlert, alert_id)
        assert alert.notify_count == 1 and alert.notice_claimed_at is None
        assert alerts.due_for_notice(s, t0 + 5 * 60 * SEC) == []  # the next one after `repeat`


async def test_an_alert_claimed_by_a_stopped_bridge_goes_out_at_the_next_round(pair):
    with session_scope() as s:
        alerts.raise_alert(s, pair["pat"], "client")
    with session_scope() as s:
        [due] = alerts.due_for_notice(s)
        assert alerts.claim(s, due, datetime.now(timezone.utc), by="bridge-a")
    assert await telegram_notify.deliver_alerts(FakeBot(), CONFIG, by="bridge-b") == 0  # A holds it
    assert telegram_notify.release_claims("bridge-a") == (0, 1)
    bot = FakeBot()
    assert await telegram_notify.deliver_alerts(bot, CONFIG, by="bridge-b") == 1
    assert [c for c, _ in bot.sent] == [9001]
    assert await telegram_notify.deliver_alerts(bot, CONFIG, by="bridge-c") == 0
