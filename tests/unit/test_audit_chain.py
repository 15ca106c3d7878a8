"""The audit log records the channel and OS uid of each entry, forms a hash chain that
`peerscope audit verify` checks, and cannot be truncated; plan changes lock the plan row."""

from __future__ import annotations

import os
import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from bot.cli import main
from bot.store import access, audit, get_engine, session_scope
from bot.store import staff as repo
from bot.store.models import AuditLog
from bot.wrsp import service as plans


def _entries() -> list[AuditLog]:
    with session_scope() as s:
        return list(s.scalars(select(AuditLog).order_by(AuditLog.id)))


def _verify():
    with session_scope() as s:
        return audit.verify(s)


def _write(n: int, prefix: str = "test") -> None:
    """``n`` entries, several per flush and several flushes per session."""
    with session_scope() as s:
        for i in range(n):
            audit.record(
                s,
                f"{prefix}.{i}",
                actor_id=None,
                object_type="thing",
                object_id=i,
                detail={"b": [1, 2], "a": {"z": None, "y": "ü"}, "n": i},
            )
            if i % 3 == 2:
                s.flush()


def _raw(url: str, *statements: str) -> None:
    """Statements as an attacker with database access would run them, past the ORM."""
    with get_engine(url).begin() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))


def _without_append_only_triggers(url: str, statement: str) -> None:
    if url.startswith("sqlite"):
        _raw(url, "DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete", statement)
    else:
        _raw(url, "ALTER TABLE audit_log DISABLE TRIGGER USER", statement, "ALTER TABLE audit_log ENABLE TRIGGER USER")


@pytest.fixture
def fresh_channel():
    token = audit._channel.set("unknown")
    yield
    audit._channel.reset(token)


def test_entries_record_the_channel_and_the_os_uid(db_url, fresh_channel):
    with session_scope() as s:
        audit.record(s, "a", actor_id=None)
        audit.set_channel("telegram")
        audit.record(s, "b", actor_id=None)
        audit.record(s, "c", actor_id=None, channel="rest")
    rows = _entries()
    assert [(r.action, r.channel, r.os_uid) for r in rows] == [
        ("a", "unknown", os.getuid()),
        ("b", "telegram", os.getuid()),
        ("c", "rest", os.getuid()),
    ]
    assert audit.current_channel() == "telegram"


def test_the_command_line_writes_as_cli(db_url, fresh_channel):
    assert main(["staff", "add", "Ada Admin", "--role", "admin"]) == 0
    assert {r.channel for r in _entries()} == {"cli"}


def test_a_fresh_log_verifies_and_each_entry_chains_to_the_one_before(db_url, capsys):
    assert _verify().ok and _verify().entries == 0
    _write(7)
    _write(2, "again")
    rows = _entries()
    assert rows[0].prev_hash is None
    assert all(b.prev_hash == a.entry_hash for a, b in zip(rows, rows[1:]))
    assert all(r.entry_hash == audit.entry_hash(r.prev_hash, r) for r in rows)
    assert len({r.entry_hash for r in rows}) == 9
    assert main(["audit", "verify"]) == 0
    assert capsys.readouterr().out == f"audit log intact: 9 entries; latest hash {rows[-1].entry_hash}\n"


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE audit_log SET outcome = 'denied' WHERE id = {id}",
        "UPDATE audit_log SET detail = '{{\"n\": 99}}' WHERE id = {id}",
        "UPDATE audit_log SET os_uid = 12345 WHERE id = {id}",
        "DELETE FROM audit_log WHERE id = {id}",
    ],
)
def test_verify_finds_a_changed_or_removed_entry(db_url, capsys, tamper):
    _write(6)
    target = _entries()[3].id
    _without_append_only_triggers(db_url, tamper.format(id=target))
    result = _verify()
    broken_at = target if tamper.startswith("UPDATE") else target + 1  # a removal breaks its successor
    assert not result.ok and result.broken_id == broken_at
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"audit log BROKEN at entry {broken_at}: ") and out.count("\n") == 1


def test_verify_finds_removed_first_entries_and_unhashed_insertions(db_url):
    _write(3)
    first = _entries()[0].id
    _without_append_only_triggers(db_url, f"DELETE FROM audit_log WHERE id = {first}")
    result = _verify()
    assert not result.ok and result.broken_id == first + 1 and "does not start here" in result.reason


def test_entries_from_before_the_chain_are_counted_but_an_unhashed_one_later_is_not(db_url):
    _raw(db_url, "INSERT INTO audit_log (at, action, outcome) VALUES ('2026-01-01 00:00:00', 'old', 'ok')")
    _write(2)
    result = _verify()
    assert (
        result.ok
        and result.unchained == 1
        and result.message().startswith(
            "audit log intact: 3 entries (1 older entries from before the hash chain); latest hash "
        )
    )
    _raw(db_url, "INSERT INTO audit_log (at, action, outcome) VALUES ('2026-01-02 00:00:00', 'forged', 'ok')")
    result = _verify()
    assert not result.ok and result.broken_id == _entries()[-1].id and "no hash" in result.reason


def test_the_database_refuses_to_empty_the_audit_log(db_url):
    _write(2)
    # PostgreSQL: TRUNCATE is refused by its own trigger; SQLite has no TRUNCATE, and an
    # unqualified DELETE (its truncate optimisation) still fires the row trigger
    statement = "TRUNCATE audit_log" if db_url.startswith("postgresql") else "DELETE FROM audit_log"
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        _raw(db_url, statement)
    assert len(_entries()) == 2 and _verify().ok


def test_concurrent_writers_keep_one_chain(db_url):
    writers, rounds = 4, 6
    start = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            start.wait()
            for i in range(rounds):
                with session_scope() as s:
                    audit.record(s, f"w{n}.{i}", actor_id=None)
                    s.flush()
                    time.sleep(0.005)  # widen the window between reading the last hash and committing
                    audit.record(s, f"w{n}.{i}.b", actor_id=None)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    result = _verify()
    assert result.ok and result.entries == writers * rounds * 2, result.message()


# --- plan row locks ------------------------------------------------------------------------------


@pytest.fixture
def plan(db_url):
    with session_scope() as s:
        boss = repo.add(s, "Sam Boss", role="supervisor")
        peer = repo.add(s, "Pat Peer", program="adult", supervisor_id=boss.id)
        plan_id = plans.create_plan(s, peer, "J.D.", "adult").id
    return {"peer": peer.id, "boss": boss.id, "plan": plan_id}


def _save(plan) -> str:
    with session_scope() as s:
        plans.save_answer(s, access.actor(s, plan["peer"]), plan["plan"], "triggers", ["noise"])
    return "saved"


def _sign(plan) -> str:
    with session_scope() as s:
        return plans.sign_off(s, access.actor(s, plan["boss"]), plan["plan"], attested=True).status.value


@pytest.mark.parametrize(
    "change, other_status, expected",
    [
        (_save, "signed", plans.PlanLocked),  # not an answer written into a plan just signed off
        (_sign, "complete", "signed"),  # not "not complete yet" from the status before
    ],
)
def test_a_change_waits_for_one_in_progress_and_sees_its_outcome(plan, db_url, change, other_status, expected):
    """Another transaction changes the plan's status and has not committed yet: a save or a
    sign-off waits for it (the plan row is read FOR UPDATE) and then acts on the new status."""
    result: list = []

    def run() -> None:
        try:
            result.append(change(plan))
        except BaseException as exc:  # noqa: BLE001 - checked below
            result.append(exc)

    with get_engine(db_url).connect() as conn:
        transaction = conn.begin()
        conn.execute(
            sa.text("UPDATE wrsp_plan SET status = :status WHERE id = :id"),
            {"status": other_status, "id": plan["plan"]},
        )
        thread = threading.Thread(target=run)
        thread.start()
        time.sleep(0.5)
        assert result == [], "the change did not wait for the plan"
        transaction.commit()
    thread.join(timeout=30)
    assert len(result) == 1
    if isinstance(expected, str):
        assert result[0] == expected
    else:
        assert isinstance(result[0], expected), result
    assert _verify().ok
