"""The database layer: migrations on SQLite and a real PostgreSQL, staff, audit log."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import inspect, select

from bot.store import get_engine, session_scope, unanswered, upgrade
from bot.store import staff as repo
from bot.store.db import current_revision
from bot.store.models import AuditLog, Base

EXPECTED_TABLES = {
    "staff",
    "chat_identity",
    "note",
    "note_flag",
    "review",
    "wrsp_plan",
    "wrsp_answer",
    "onboarding_progress",
    "quiz_attempt",
    "unanswered_question",
    "audit_log",
    "wrsp_answer_history",
    "notification",
    "pending_question",
}


def _head() -> str:
    from alembic.script import ScriptDirectory

    from bot.store.db import alembic_config

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _exercise(url: str) -> None:
    """Add staff, link an account, log a question and check the audit log refuses edits."""
    with session_scope(url) as s:
        boss = repo.add(s, "Dana Lead", role="supervisor")
        peer = repo.add(s, "Lee Peer", role="peer", program="family", supervisor_id=boss.id)
        repo.link_identity(s, peer.id, "telegram", "4242")
        unanswered.record("can I bring my dog to sessions?", staff_id=peer.id, program="family", session=s)
    with session_scope(url) as s:
        found = repo.by_identity(s, "telegram", "4242")
        assert found is not None and found.name == "Lee Peer" and found.supervisor.name == "Dana Lead"
        assert [q.question for q in unanswered.list_open(s, found.supervisor)] == ["can I bring my dog to sessions?"]
        actions = [a.action for a in s.scalars(select(AuditLog).order_by(AuditLog.id))]
        assert actions == ["staff.add", "staff.add", "staff.link"]
    # the database itself refuses to change or remove audit entries, even bypassing the ORM
    for statement in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            with get_engine(url).begin() as conn:
                conn.execute(sa.text(statement))


def test_migrations_build_every_table(db_url):
    assert set(inspect(get_engine(db_url)).get_table_names()) >= EXPECTED_TABLES
    assert current_revision(db_url) == _head()
    _exercise(db_url)


def test_migrations_run_on_real_postgresql(postgres):
    assert "15" in postgres.version()
    upgrade(postgres.url)
    upgrade(postgres.url)  # running again is a no-op
    assert set(inspect(get_engine(postgres.url)).get_table_names()) >= EXPECTED_TABLES
    _exercise(postgres.url)


def test_migrations_match_the_models(db_url):
    """No model change without a migration: autogenerate finds nothing to do."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with get_engine(db_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_staff_validation_gives_clear_errors(db_url):
    with session_scope() as s:
        peer = repo.add(s, "Kim", role="peer")
        with pytest.raises(repo.StaffError, match="role must be one of"):
            repo.add(s, "Bo", role="boss")
        with pytest.raises(repo.StaffError, match="not a supervisor"):
            repo.add(s, "Bo", supervisor_id=peer.id)
        with pytest.raises(repo.StaffError, match="needs a name"):
            repo.add(s, "   ")
        other = repo.add(s, "Ash")
        repo.link_identity(s, peer.id, "local", "kim")
        with pytest.raises(repo.StaffError, match="already linked"):
            repo.link_identity(s, other.id, "local", "kim")


def test_sender_ids_map_to_staff(db_url):
    with session_scope() as s:
        peer = repo.add(s, "Kim")
        repo.link_identity(s, peer.id, "local", "kim")
    with session_scope() as s:
        assert repo.from_sender(s, "local:kim").id == peer.id
        assert repo.from_sender(s, "local:nobody") is None
        assert repo.from_sender(s, "no-channel") is None
        assert repo.from_sender(s, "") is None
