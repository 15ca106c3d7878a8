"""Answer history: a changed WRSP answer keeps its old value, with who changed it, when and
through which channel; shown by `peerscope wrsp history` and in the export's audit appendix."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.store import access, audit, session_scope, staff
from bot.store.models import AuditLog, WrspAnswerHistory
from bot.wrsp import service as store
from bot.wrsp.export import export_plan
from tests.unit.test_wrsp_export import _cli


@pytest.fixture
def plan(db_url):
    with session_scope() as s:
        boss = staff.add(s, "Dana Boss", role="supervisor")
        peer = staff.add(s, "Pat Peer", supervisor_id=boss.id, program="adult")
        other = staff.add(s, "Quinn Other")
        ids = {"boss": boss.id, "peer": peer.id, "other": other.id}
    with session_scope() as s:
        ids["plan"] = store.create_plan(s, access.actor(s, ids["peer"]), "J.D.", "adult").id
    return ids


def _save(ids, field, value, channel="chat:telegram"):
    audit.set_channel(channel)
    try:
        with session_scope() as s:
            store.save_answer(s, access.actor(s, ids["peer"]), ids["plan"], field, value)
    finally:
        audit.set_channel("unknown")


def test_changing_an_answer_twice_keeps_both_earlier_values_with_actor_and_time(plan):
    _save(plan, "triggers", ["noise"], channel="terminal")
    _save(plan, "triggers", ["noise"])  # the same answer again is no change
    _save(plan, "triggers", ["crowds"], channel="chat:telegram")
    _save(plan, "triggers", ["crowds", "anniversaries"], channel="chat:rest")
    with session_scope() as s:
        rows = store.answer_history(s, access.actor(s, plan["boss"]), plan["plan"])
        assert [(r.field, r.old_value, r.new_value, r.actor_id, r.channel) for r in rows] == [
            ("triggers", ["noise"], ["crowds"], plan["peer"], "chat:telegram"),
            ("triggers", ["crowds"], ["crowds", "anniversaries"], plan["peer"], "chat:rest"),
        ]
        assert all(r.changed_at is not None and r.old_answered_at is not None for r in rows)
        assert rows[0].changed_at <= rows[1].changed_at
        assert store.get_answers(s, access.actor(s, plan["peer"]), plan["plan"])["triggers"] == [
            "crowds",
            "anniversaries",
        ]
    with pytest.raises(access.AccessDenied), session_scope() as s:  # history is plan text: same access
        store.answer_history(s, access.actor(s, plan["other"]), plan["plan"])
    with session_scope() as s:  # the audit log says a history was read, never what it holds
        details = [a.detail for a in s.scalars(select(AuditLog).where(AuditLog.action == "wrsp.history"))]
        assert {"count": 2} in details and "crowds" not in str(details)


def test_history_is_shown_by_the_cli_and_in_the_exports_audit_appendix(plan, capsys):
    _save(plan, "triggers", ["noise"])
    _save(plan, "triggers", ["crowds"])
    _save(plan, "triggers", ["bright lights"])
    assert _cli("wrsp", "history", str(plan["plan"]), "--as", str(plan["boss"])) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert 'triggers changed from "noise" to "crowds" by Pat Peer (chat:telegram)' in lines[0]
    assert 'from "crowds" to "bright lights" by Pat Peer' in lines[1]
    assert _cli("wrsp", "history", str(plan["plan"]), "--json", "--as", str(plan["peer"])) == 0
    items = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(i["old_value"], i["by"]) for i in items] == [(["noise"], "Pat Peer"), (["crowds"], "Pat Peer")]
    assert _cli("wrsp", "history", str(plan["plan"]), "--as", str(plan["other"])) == 3

    with session_scope() as s:
        boss = access.actor(s, plan["boss"])
        md = export_plan(s, boss, plan["plan"], "md").decode()
        doc = json.loads(export_plan(s, boss, plan["plan"], "json"))
    appendix = md.split("## Audit appendix: answer changes", 1)[1]
    assert 'from "noise" to "crowds" by Pat Peer' in appendix.replace("\\", "")
    assert [(h["old_value"], h["new_value"]) for h in doc["history"]] == [
        (["noise"], ["crowds"]),
        (["crowds"], ["bright lights"]),
    ]
    assert _cli("wrsp", "show", str(plan["plan"]), "--as", str(plan["boss"])) == 0
    assert "Audit appendix" in capsys.readouterr().out


def test_the_history_goes_with_its_plan(plan):
    _save(plan, "triggers", ["noise"])
    _save(plan, "triggers", ["crowds"])
    with session_scope() as s:
        s.delete(s.get(store.WrspPlan, plan["plan"]))
    with session_scope() as s:
        assert s.scalars(select(WrspAnswerHistory)).all() == []
