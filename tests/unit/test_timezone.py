"""PEERSCOPE_TIMEZONE: times are stored in UTC; "today" and every date and time shown are
local. At 23:30 in Denver on the 1st it is already the 2nd in UTC."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from bot import settings
from bot.store import access, session_scope, staff
from bot.store.wrsp import plans as plan_rows
from bot.store.wrsp import signoff as signoff_rows
from bot.wrsp import flow
from bot.wrsp import service as store
from bot.wrsp.export import export_plan
from tests.unit.test_wrsp_interview import full_answers

LATE_ON_THE_1ST = datetime(2026, 3, 2, 6, 30, tzinfo=timezone.utc)  # 23:30 MST on 1 March


@pytest.fixture
def denver(monkeypatch):
    monkeypatch.setenv("PEERSCOPE_TIMEZONE", "America/Denver")
    monkeypatch.setattr(settings, "now", lambda: LATE_ON_THE_1ST)
    for rows in (plan_rows, signoff_rows):  # what the store records as "now"
        monkeypatch.setattr(rows, "utcnow", lambda: LATE_ON_THE_1ST)


def test_local_dates_and_times(denver):
    assert settings.local_today() == date(2026, 3, 1)
    assert settings.local_date(LATE_ON_THE_1ST) == date(2026, 3, 1)
    assert settings.show_time(LATE_ON_THE_1ST) == "2026-03-01 23:30 MST"
    assert settings.show_time(LATE_ON_THE_1ST.replace(tzinfo=None)) == "2026-03-01 23:30 MST"  # SQLite: naive UTC
    assert settings.local_today({}) == date(2026, 3, 2)  # default UTC


def test_an_answer_given_at_2330_local_time_on_the_1st_is_dated_the_1st(db_url, denver):
    with session_scope() as s:
        boss = staff.add(s, "Dana Boss", role="supervisor")
        peer = staff.add(s, "Pat Peer", supervisor_id=boss.id, program="adult")
        ids = (boss.id, peer.id)
    with session_scope() as s:
        plan_id = store.create_plan(s, access.actor(s, ids[1]), "J.D.", "adult").id
    with session_scope() as s:  # "today" in the chat means the local day
        done = flow.answer(s, access.actor(s, ids[1]), plan_id, "admission_date", "today")
        assert done.result.ok, done.result
    with session_scope() as s:
        peer = access.actor(s, ids[1])
        assert store.get_answers(s, peer, plan_id)["admission_date"] == "2026-03-01"
        for field, value in full_answers().items():
            if field != "admission_date":
                store.save_answer(s, peer, plan_id, field, value)
        store.save_answer(s, peer, plan_id, "admission_date", "2026-02-27")  # a change, dated locally
        store.complete_plan(s, peer, plan_id)
    with session_scope() as s:
        store.read_plan(s, access.actor(s, ids[0]), plan_id)
        # completed at 23:30 on the 1st: the 90-day review is counted from the 1st
        [(_, due)] = [
            (p, d)
            for p, d in store.plans_due(s, access.actor(s, ids[0]), settings.local_today(), include_ok=True)
            if p.id == plan_id
        ]
        assert due.due_date == date(2026, 5, 30)
        md = export_plan(s, access.actor(s, ids[0]), plan_id, "md").decode()
    assert "2026-03-01 23:30 MST: admission date changed from" in md.replace("\\", "")
