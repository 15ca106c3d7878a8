"""Reminders and notices sent by the bridge from state kept in the database, against the fake
Telegram Bot API: a plan due in 7 days is reminded once, and not again after a restart; a
note decided while the bridge was stopped still gets its notice; a supervisor is told once
that a note is waiting in their queue."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.channels.telegram.client import TelegramConfig
from bot.channels.telegram.notifier import watch_outcomes
from bot.notices import service as reminders
from bot.settings import local_today
from bot.store import access, session_scope, staff
from bot.store import notes as note_repo
from bot.store.models import Notification
from bot.wrsp import service as plans
from tests.fakes.telegram_api import FakeTelegramAPI

PAT_TG, SAM_TG = 7101, 7102


@pytest.fixture
def team(db_url):
    with session_scope() as s:
        sam = staff.add(s, "Sam Reyes", role="supervisor")
        pat = staff.add(s, "Pat Lee", role="peer", program="adult", supervisor_id=sam.id)
        staff.link_identity(s, sam.id, "telegram", str(SAM_TG))
        staff.link_identity(s, pat.id, "telegram", str(PAT_TG))
        return {"sam": sam.id, "pat": pat.id}


@pytest.fixture
def api():
    fake = FakeTelegramAPI().start()
    yield fake
    fake.stop()


async def run_bridge(api: FakeTelegramAPI, seconds: float = 1.5) -> None:
    """The bridge's notifier, started and stopped as a bridge process would be: a new Bot
    and no memory of earlier runs."""
    config = TelegramConfig(token=api.token, api_url=api.url, notify_interval=0.2, retries=0, retry_delay=0.01)
    async with config.bot() as bot:
        task = asyncio.create_task(watch_outcomes(bot, config))
        await asyncio.sleep(seconds)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def texts(api: FakeTelegramAPI, chat: int) -> list[str]:
    return [m["text"] for m in api.messages_to(chat)]


def _plan_due_in(team, days: int) -> int:
    with session_scope() as s:
        pat = access.actor(s, team["pat"])
        plan_id = plans.create_plan(s, pat, "J.D.", "adult").id
        # a first plan is due 30 days after admission
        admitted = local_today() - timedelta(days=30 - days)
        plans.save_answer(s, pat, plan_id, "admission_date", admitted.isoformat())
    return plan_id


async def test_a_plan_due_in_7_days_is_reminded_once_even_after_a_restart(team, api):
    plan_id = _plan_due_in(team, 7)
    _plan_due_in(team, 20)  # not within a week: no reminder yet
    await run_bridge(api)
    [reminder] = texts(api, PAT_TG)
    assert reminder.startswith(f"Reminder about your WRSP plan #{plan_id}: The plan is due ")
    assert reminder.endswith("(in 7 days).")
    await run_bridge(api)  # restarted: the reminder is in the database as sent
    with session_scope() as s:
        reminders.run_pass(s)  # and `peerscope reminders run` from cron adds nothing either
    await run_bridge(api)
    assert texts(api, PAT_TG) == [reminder]
    assert texts(api, SAM_TG) == []  # not overdue: the supervisor is not told


async def test_an_overdue_plan_is_told_to_the_peer_and_the_supervisor_once(team, api):
    plan_id = _plan_due_in(team, -3)
    await run_bridge(api)
    await run_bridge(api)
    assert texts(api, PAT_TG) == [
        f"Reminder about your WRSP plan #{plan_id}: The plan was due " f"{texts(api, PAT_TG)[0].split('was due ')[1]}"
    ]
    assert "(3 days ago)" in texts(api, PAT_TG)[0]
    [team_notice] = texts(api, SAM_TG)
    assert team_notice.startswith(f"Pat Lee's WRSP plan #{plan_id} is overdue: The plan was due")


def _submitted_note(team) -> int:
    with session_scope() as s:
        pat = access.actor(s, team["pat"])
        note = note_repo.save_draft(s, pat, "Met with the person I support at the library.", [])
        note_repo.submit(s, pat, note.id)
        return note.id


async def test_a_note_decided_while_the_bridge_was_stopped_still_gets_its_notice(team, api):
    note_id = _submitted_note(team)
    await run_bridge(api)
    assert texts(api, SAM_TG) == [
        f"Note #{note_id} from Pat Lee is waiting in your review queue. " 'Say "review queue" to see it.'
    ]
    # the bridge is down when the supervisor decides
    with session_scope() as s:
        note_repo.decide_note(s, access.actor(s, team["sam"]), note_id, approve=False, comment="Add the goal.")
    await run_bridge(api)
    assert texts(api, PAT_TG) == [
        f"Your note #{note_id} was returned by your supervisor. " "Say hi to see their comment."
    ]
    assert "Add the goal" not in " ".join(texts(api, PAT_TG))  # the comment is read in the chat
    await run_bridge(api)
    assert len(texts(api, PAT_TG)) == 1 and len(texts(api, SAM_TG)) == 1


async def test_a_supervisor_gets_note_waiting_once_per_note(team, api):
    first, second = _submitted_note(team), _submitted_note(team)
    for _ in range(2):
        await run_bridge(api, seconds=1.0)
        with session_scope() as s:
            reminders.run_pass(s)
    waiting = texts(api, SAM_TG)
    assert sorted(waiting) == sorted(
        f"Note #{n} from Pat Lee is waiting in your review queue. " 'Say "review queue" to see it.'
        for n in (first, second)
    )
    with session_scope() as s:
        rows = s.scalars(select(Notification).where(Notification.kind == "note_waiting")).all()
        assert sorted(r.object_id for r in rows) == [first, second] and all(r.sent_at for r in rows)
    # a note decided before its reminder goes out is not announced as waiting
    third = _submitted_note(team)
    with session_scope() as s:
        reminders.run_pass(s)
        note_repo.decide_note(s, access.actor(s, team["sam"]), third, approve=True)
    await run_bridge(api, seconds=1.0)
    assert not any(f"Note #{third} " in t for t in texts(api, SAM_TG))
    assert f"Your note #{third} was approved by your supervisor." in texts(api, PAT_TG)


def test_the_same_reminder_is_queued_once_even_by_two_passes(team):
    _plan_due_in(team, 5)
    with session_scope() as s:
        first = reminders.run_pass(s)
    with session_scope() as s:
        second = reminders.run_pass(s)
    assert (first.due_soon, second.due_soon) == (1, 0)
