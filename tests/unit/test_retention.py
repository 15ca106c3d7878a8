"""`peerscope retention`: old notes, plans and conversation events go; the audit log stays."""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine, func, insert, select

from bot.store import notes as note_repo
from bot.store import retention, session_scope
from bot.store import staff as repo
from bot.store.models import AuditLog, Note, NoteFlag, Review, Staff, WrspAnswer, WrspPlan

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
LONG_AGO = NOW - timedelta(days=365 * 8)
RECENTLY = NOW - timedelta(days=365 * 2)
FLAG = {"category": "transport", "start": 0, "end": 5, "reason": "r", "suggestion": "s", "citations": []}


def _events_table(metadata: MetaData) -> Table:
    """The shape of Rasa's SQLTrackerStore ``events`` table."""
    return Table(
        "events",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("sender_id", String(255), nullable=False),
        Column("type_name", String(255), nullable=False),
        Column("timestamp", Float),
        Column("intent_name", String(255)),
        Column("action_name", String(255)),
        Column("data", Text),
    )


@pytest.fixture
def tracker(db_url, tmp_path, monkeypatch):
    """A tracker store database (SQLite file, or the test's PostgreSQL database) with old and new events."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}" if db_url.startswith("sqlite") else db_url
    monkeypatch.setenv("PEERSCOPE_TRACKER_URL", url)
    engine = create_engine(url, future=True)
    metadata = MetaData()
    events = _events_table(metadata)
    metadata.create_all(engine)
    with engine.begin() as conn:
        for days, n in ((200, 3), (91, 2), (10, 4)):
            for _ in range(n):
                conn.execute(
                    insert(events).values(
                        sender_id="pat",
                        type_name="user",
                        timestamp=(NOW - timedelta(days=days)).timestamp(),
                        data='{"text": "old message"}',
                    )
                )
    yield url, engine, events
    engine.dispose()


@pytest.fixture
def records(db_url):
    with session_scope() as s:
        sam = repo.add(s, "Sam Reyes", role="supervisor")
        pat = repo.add(s, "Pat Lee", role="peer", program="adult", supervisor_id=sam.id)
        author = s.get(Staff, pat.id)
        ids = {}
        for name, when in (("old", LONG_AGO), ("new", RECENTLY)):
            note = note_repo.save_draft(s, author, f"Drove member home ({name}).", [FLAG])
            note.created_at = when
            s.add(Review(note_id=note.id, reviewer_id=sam.id, decision="approved", comment="ok", created_at=when))
            plan = WrspPlan(owner_id=pat.id, client_ref="JD", created_at=when, updated_at=when)
            s.add(plan)
            s.flush()
            s.add(WrspAnswer(plan_id=plan.id, field="triggers", value="noise", answered_at=when))
            ids[name] = (note.id, plan.id)
        s.flush()
        # a newer version of the old plan keeps its place when the old one goes
        newer = WrspPlan(
            owner_id=pat.id,
            client_ref="JD",
            version=2,
            previous_id=ids["old"][1],
            created_at=RECENTLY,
            updated_at=RECENTLY,
        )
        s.add(newer)
        s.flush()
        ids["newer_plan"] = newer.id
    with session_scope() as s:  # adding answers touched the plans' updated_at: set it back
        for name, when in (("old", LONG_AGO), ("new", RECENTLY)):
            s.execute(WrspPlan.__table__.update().where(WrspPlan.id == ids[name][1]).values(updated_at=when))
    return ids


def _count(model, **where) -> int:
    with session_scope() as s:
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return s.scalar(query)


def test_dry_run_counts_and_changes_nothing(records, tracker):
    _, engine, events = tracker
    audit_before = _count(AuditLog)
    with session_scope() as s:
        report = retention.prune(s, retention.Settings(7, 90), dry_run=True, now=NOW)
    assert (report.notes, report.plans, report.tracker_events, report.tracker_checked) == (1, 1, 5, True)
    assert _count(Note) == 2 and _count(WrspPlan) == 3 and _count(AuditLog) == audit_before
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(events)) == 9


def test_prune_deletes_old_records_and_events_and_audits_counts(records, tracker):
    _, engine, events = tracker
    old_note, old_plan = records["old"]
    new_note, new_plan = records["new"]
    audit_before = _count(AuditLog)
    with session_scope() as s:
        report = retention.prune(s, retention.Settings(7, 90), now=NOW)
    assert (report.notes, report.plans, report.tracker_events) == (1, 1, 5)
    with session_scope() as s:
        assert s.get(Note, old_note) is None and s.get(Note, new_note) is not None
        assert s.get(WrspPlan, old_plan) is None and s.get(WrspPlan, new_plan) is not None
        assert s.get(WrspPlan, records["newer_plan"]).previous_id is None
    assert _count(NoteFlag, note_id=old_note) == 0 and _count(NoteFlag, note_id=new_note) == 1
    assert _count(Review, note_id=old_note) == 0 and _count(Review, note_id=new_note) == 1
    assert _count(WrspAnswer, plan_id=old_plan) == 0 and _count(WrspAnswer, plan_id=new_plan) == 1
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(events)) == 4
    # the audit log only grows, and records the prune with counts only
    assert _count(AuditLog) == audit_before + 1
    with session_scope() as s:
        entry = s.scalars(select(AuditLog).where(AuditLog.action == "retention.prune")).one()
    assert entry.detail["notes"] == 1 and entry.detail["plans"] == 1 and entry.detail["tracker_events"] == 5
    assert "Drove" not in json.dumps(entry.detail)
    with session_scope() as s:  # a second run finds nothing more
        again = retention.prune(s, retention.Settings(7, 90), now=NOW)
    assert (again.notes, again.plans, again.tracker_events) == (0, 0, 0)


def test_without_a_tracker_store_only_records_are_pruned(records, tmp_path, monkeypatch):
    monkeypatch.setenv("PEERSCOPE_TRACKER_URL", f"sqlite:///{tmp_path / 'missing' / 'tracker.db'}")
    with session_scope() as s:
        report = retention.prune(s, retention.Settings(7, 90), now=NOW)
    assert (report.notes, report.tracker_checked, report.tracker_events) == (1, False, 0)
    assert not (tmp_path / "missing").exists()


def test_cli_dry_run_and_real_run(records, tracker, capsys, monkeypatch):
    from bot.store.safety_commands import register

    parser = argparse.ArgumentParser(prog="peerscope")
    register(parser.add_subparsers(dest="command"), None)

    def run(argv):
        args = parser.parse_args(argv)
        return args.func(args)

    assert run(["retention", "--dry-run"]) == 0  # real clock: the 8-year-old records are due
    out = capsys.readouterr().out
    assert "would delete 1 note(s) and 1 plan(s)" in out and "would delete" in out.splitlines()[1]
    assert _count(Note) == 2
    assert run(["retention", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["notes"] == 1 and data["plans"] == 1 and data["dry_run"] is False
    monkeypatch.setenv("PEERSCOPE_RETENTION_YEARS", "3")
    assert run(["retention"]) == 2
    assert "fewer than seven years" in capsys.readouterr().err


@pytest.mark.parametrize(
    "env, message",
    [
        ({"PEERSCOPE_RETENTION_YEARS": "6.5"}, "shorter than the policy allows"),
        ({"PEERSCOPE_RETENTION_YEARS": "seven"}, "must be a number"),
        ({"PEERSCOPE_RETENTION_YEARS": "nan"}, "finite"),
        ({"PEERSCOPE_CONVERSATION_DAYS": "0"}, "positive"),
    ],
)
def test_bad_settings_are_refused(env, message):
    with pytest.raises(retention.RetentionError, match=message):
        retention.Settings.from_env(env)


def test_default_settings_and_the_policy_they_rest_on():
    from bot.knowledge.sources import check_citation, load_sources

    assert retention.Settings.from_env({}) == retention.Settings(7, 90)
    assert retention.Settings.from_env(
        {"PEERSCOPE_RETENTION_YEARS": "10", "PEERSCOPE_CONVERSATION_DAYS": "30"}
    ) == retention.Settings(10, 30)
    assert check_citation(load_sources(), retention.RECORDS_CITATION) is None


def test_retention_module_does_not_import_rasa():
    import subprocess
    import sys

    code = (
        "import sys, bot.store.retention, bot.store.alerts, bot.store.safety_commands, bot.notes.risk; "
        "sys.exit(int('rasa' in sys.modules or 'rasa_sdk' in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_unanswered_questions_go_with_the_conversation_logs(records):
    from bot.store.models import UnansweredQuestion

    with session_scope() as s:
        for days in (120, 91, 5):
            s.add(
                UnansweredQuestion(
                    question=f"can I help J.D. with taxes ({days})", created_at=NOW - timedelta(days=days)
                )
            )
    with session_scope() as s:
        report = retention.prune(s, retention.Settings(7, 90), now=NOW, tracker="sqlite:///" + "/nonexistent/t.db")
    assert report.unanswered_questions == 2
    with session_scope() as s:
        left = s.scalars(select(UnansweredQuestion.question)).all()
    assert left == ["can I help J.D. with taxes (5)"]


def test_unanswered_questions_are_shown_to_the_askers_supervisor_and_admins_only(db_url):
    from bot.store import unanswered

    with session_scope() as s:
        sam = repo.add(s, "Sam Reyes", role="supervisor")
        eve = repo.add(s, "Eve Park", role="supervisor")
        ada = repo.add(s, "Ada Admin", role="admin")
        pat = repo.add(s, "Pat Lee", role="peer", program="adult", supervisor_id=sam.id)
        unanswered.record("can I notarise a form for my client?", staff_id=pat.id, session=s)
        seen = {who.name: [q.question for q in unanswered.list_open(s, who)] for who in (sam, eve, ada, pat)}
    assert seen["Sam Reyes"] == ["can I notarise a form for my client?"]
    assert seen["Ada Admin"] == ["can I notarise a form for my client?"]
    assert seen["Eve Park"] == [] and seen["Pat Lee"] == []
