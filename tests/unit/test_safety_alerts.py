"""Risk alerts: no text stored, only supervisors see them, only a supervisor closes them."""

from __future__ import annotations

import argparse
import json

import pytest
from sqlalchemy import Text, select

from bot.store import access, alerts, session_scope
from bot.store import staff as repo
from bot.store.models import AuditLog, RiskAlert, Staff
from tests.acting import as_argv


@pytest.fixture
def team(db_url):
    with session_scope() as s:
        sam = repo.add(s, "Sam Reyes", role="supervisor")
        eve = repo.add(s, "Eve Park", role="supervisor")
        ada = repo.add(s, "Ada Min", role="admin")
        pat = repo.add(s, "Pat Lee", role="peer", program="adult", supervisor_id=sam.id)
        ola = repo.add(s, "Ola Chen", role="peer", program="adult", supervisor_id=eve.id)
        return {"sam": sam.id, "eve": eve.id, "ada": ada.id, "pat": pat.id, "ola": ola.id}


def _cli(argv: list[str]) -> int:
    from bot.store.safety_commands import register

    parser = argparse.ArgumentParser(prog="peerscope")
    sub = parser.add_subparsers(dest="command")
    register(sub, None)
    args = parser.parse_args(as_argv(argv))  # the command acts as the OS login: point it at --as
    return int(args.func(args) or 0)


def test_the_table_has_no_place_for_text():
    columns = RiskAlert.__table__.columns
    assert {c.name for c in columns} == {
        "id",
        "staff_id",
        "created_at",
        "about",
        "acknowledged_at",
        "acknowledged_by",
        "source",
        "notify_count",
        "last_notified_at",
        "escalated_at",
        "notice_claimed_at",  # which Telegram bridge is sending the notice, and since when
        "notice_claimed_by",
    }
    assert not any(isinstance(c.type, Text) for c in columns)


def test_supervisor_sees_own_supervisees_alerts_and_acknowledges(team):
    with session_scope() as s:
        first = alerts.raise_alert(s, team["pat"], "client").id
        alerts.raise_alert(s, team["ola"], "self")
        alerts.raise_alert(s, team["pat"], "nonsense")  # becomes unknown
    with session_scope() as s:
        sam = s.get(Staff, team["sam"])
        mine = alerts.visible(s, sam)
        assert {a.staff_id for a in mine} == {team["pat"]}
        assert sorted(a.about for a in mine) == ["client", "unknown"]
        assert len(alerts.visible(s, s.get(Staff, team["ada"]))) == 3
        assert "Pat Lee, about someone they support  (open)" in alerts.describe(
            next(a for a in mine if a.id == first), {team["pat"]: "Pat Lee"}
        )
    with session_scope() as s:
        alerts.acknowledge(s, s.get(Staff, team["sam"]), first)
    with session_scope() as s:
        alert = s.get(RiskAlert, first)
        assert alert.acknowledged_by == team["sam"] and alert.acknowledged_at is not None
        assert [a.about for a in alerts.visible(s, s.get(Staff, team["sam"]))] == ["unknown"]
        assert len(alerts.visible(s, s.get(Staff, team["sam"]), include_acknowledged=True)) == 2
        actions = [a.action for a in s.scalars(select(AuditLog).order_by(AuditLog.id))]
        assert actions.count("risk_alert.raise") == 3 and "risk_alert.ack" in actions


def test_nobody_else_can_see_or_close_an_alert(team):
    with session_scope() as s:
        alert_id = alerts.raise_alert(s, team["pat"], "client").id
    with session_scope() as s:
        with pytest.raises(access.AccessDenied):
            alerts.visible(s, s.get(Staff, team["pat"]))
    with session_scope() as s:
        with pytest.raises(access.AccessDenied):
            alerts.acknowledge(s, s.get(Staff, team["pat"]), alert_id)  # not by the person themselves
    with session_scope() as s:
        with pytest.raises(access.AccessDenied):
            alerts.acknowledge(s, s.get(Staff, team["eve"]), alert_id)  # not another team's supervisor
    with session_scope() as s:
        with pytest.raises(access.NotFound):
            alerts.acknowledge(s, s.get(Staff, team["sam"]), 99999)
        assert alerts.open_about(s, team["pat"]) == ["client"]
        denied = list(s.scalars(select(AuditLog).where(AuditLog.outcome == "denied")))
        assert len(denied) == 3


def test_alerts_cli_lists_and_acknowledges(team, capsys):
    with session_scope() as s:
        alert_id = alerts.raise_alert(s, team["pat"], "client").id
    assert _cli(["alerts", "list", "--as", str(team["pat"])]) == 3
    assert "only supervisors" in capsys.readouterr().err
    assert _cli(["alerts", "list", "--as", str(team["sam"])]) == 0
    out = capsys.readouterr().out
    assert f"#{alert_id}" in out and "Pat Lee" in out and "open" in out
    assert _cli(["alerts", "list", "--json", "--as", str(team["sam"])]) == 0
    assert [(a["id"], a["about"]) for a in json.loads(capsys.readouterr().out)] == [(alert_id, "client")]
    assert _cli(["alerts", "ack", str(alert_id), "--as", str(team["eve"])]) == 3
    capsys.readouterr()
    assert _cli(["alerts", "ack", str(alert_id), "--as", str(team["sam"])]) == 0
    assert f"risk alert #{alert_id} acknowledged" in capsys.readouterr().out
    assert _cli(["alerts", "list", "--as", str(team["sam"])]) == 0
    assert "no open risk alerts" in capsys.readouterr().out
