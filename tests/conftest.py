"""Shared fixtures: every test gets its own database and var/ directory."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")


def pytest_addoption(parser):
    parser.addoption(
        "--e2e-topology",
        choices=("single", "cluster"),
        default="single",
        help="end-to-end tests against one Rasa and one action server on SQLite (single, the default), "
        "or against two of each behind HAProxy on a real PostgreSQL and Redis (cluster)",
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path, monkeypatch):
    """A migrated database of the test's own, used by bot.store by default: every test
    that uses it runs twice, on SQLite and on a real PostgreSQL server."""
    from bot.store import upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'peerscope.db'}"
    else:
        url = request.getfixturevalue("postgres").create_database()
    monkeypatch.setenv("PEERSCOPE_DATABASE_URL", url)
    monkeypatch.setenv("PEERSCOPE_VAR_DIR", str(tmp_path / "var"))
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def postgres():
    from tests.pg import PostgresServer

    server = PostgresServer().start()
    yield server
    server.stop()
