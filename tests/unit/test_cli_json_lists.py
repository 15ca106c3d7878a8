"""--json on every list command: staff invite list, knowledge list, knowledge coverage and
onboarding status (staff, review, wrsp, alerts and unanswered are tested with their features).
Each prints a JSON list that says what the text does."""

from __future__ import annotations

import json

from bot.cli import main
from bot.store import invites, session_scope
from bot.store import staff as staff_repo
from tests.acting import act_as
from tests.unit.test_knowledge_import import env  # noqa: F401  (fixture)


def _json(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    assert code in (0, 1), out.err
    return code, json.loads(out.out)


def test_invite_list_json_never_shows_a_code(db_url, capsys):
    with session_scope() as s:
        admin = staff_repo.add(s, "Ada Admin", role="admin")
        boss = staff_repo.add(s, "Dana Boss", role="supervisor")
        ids = (admin.id, boss.id)
    with session_scope() as s:
        code, first = invites.create(
            s, role="peer", program="family", name="Fran Ortiz", supervisor_id=ids[1], actor_id=ids[0]
        )
        first_id = first.id
        _, second = invites.create(s, role="supervisor", name="Sam Reyes", actor_id=ids[0])
        second_id = second.id
    assert invites.sign_in(code, "telegram", "42").ok
    act_as(ids[0])
    _, rows = _json(capsys, "staff", "invite", "list", "--json")
    by_id = {row["id"]: row for row in rows}
    assert set(by_id) == {first_id, second_id}
    assert by_id[first_id]["status"] == "used" and by_id[first_id]["used_by_staff_id"] is not None
    assert (by_id[first_id]["role"], by_id[first_id]["program"], by_id[first_id]["name"]) == (
        "peer",
        "family",
        "Fran Ortiz",
    )
    assert by_id[second_id]["status"] == "open" and by_id[second_id]["used_at"] is None
    assert by_id[second_id]["expires_at"].endswith("+00:00")
    assert code not in json.dumps(rows) and "code_hash" not in json.dumps(rows)

    act_as(ids[1])  # admins only, as the text listing
    assert main(["staff", "invite", "list", "--json"]) == 3
    assert "only an admin" in capsys.readouterr().err


def test_knowledge_list_and_coverage_json(env, capsys):  # noqa: F811
    _, rows = _json(capsys, "knowledge", "list", "--json")
    ids = [row["id"] for row in rows]
    assert ids == sorted(ids) and {"cpss-job-description", "fps-toolkit"} <= set(ids)
    fps = rows[ids.index("fps-toolkit")]
    assert fps["enabled"] is True and fps["kind"] == "curated" and fps["rules"] > 0 and fps["sections"] > 0
    assert main(["knowledge", "disable", "fps-toolkit"]) == 0
    capsys.readouterr()
    _, rows = _json(capsys, "knowledge", "list", "--json")
    assert next(r for r in rows if r["id"] == "fps-toolkit")["enabled"] is False

    code, items = _json(capsys, "knowledge", "coverage", "--json")
    assert (code, items) == (0, [])  # every normative sentence has a rule or a reason today


def test_onboarding_status_json(db_url, capsys):
    with session_scope() as s:
        boss = staff_repo.add(s, "Dana Boss", role="supervisor")
        peer = staff_repo.add(s, "Fran Ortiz", supervisor_id=boss.id, program="family")
        ids = (boss.id, peer.id)
    act_as(ids[0])
    _, rows = _json(capsys, "onboarding", "status", "--json")
    assert [row["staff_id"] for row in rows] == [ids[1]]
