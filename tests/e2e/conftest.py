"""Start the real action server and Rasa server once per test session, on free loopback
ports, with a database and tracker store of their own; tests talk to them over HTTP.

``--e2e-topology cluster`` starts production's topology instead: a real PostgreSQL (both
databases) and redis-server in temp directories, and two Rasa instances and two action
servers behind HAProxy (bot.channels.servers.Cluster); the tests talk to HAProxy."""

from __future__ import annotations

import os
from dataclasses import dataclass

import httpx
import pytest

from bot.channels.servers import Cluster, RedisServer, ServerSet, free_port, model_path

pytestmark = pytest.mark.e2e

TELEGRAM_TOKEN = "123456:LIVE-TEST-TOKEN-must-not-reach-the-servers"

STAFF = {
    # sender id -> (name, role, program, supervisor sender)
    "rest:sam": ("Sam Reyes", "supervisor", None, None),
    "rest:pat": ("Pat Lee", "peer", "adult", "rest:sam"),
    "rest:fran": ("Fran Ortiz", "peer", "family", "rest:sam"),
    "rest:ola": ("Ola Chen", "peer", "adult", None),
    "rest:eve": ("Eve Park", "supervisor", None, None),
    "rest:fay": ("Fay Moss", "peer", "family", "rest:sam"),
    "rest:gus": ("Gus Hale", "peer", "family", "rest:sam"),
    "rest:ned": ("Ned Ames", "peer", "adult", "rest:sam"),
    # the cluster crash test's two users (tests/e2e/test_cluster_faults.py)
    "rest:kim": ("Kim Rowe", "peer", "adult", None),
    "rest:lou": ("Lou Diaz", "peer", "adult", None),
    # a message sent again by its id (tests/e2e/test_message_once.py)
    "rest:ida": ("Ida Voss", "peer", "adult", None),
    "rest:jon": ("Jon Bell", "peer", "adult", None),
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
    if config.getoption("--e2e-topology") != "cluster":  # crash tests of the cluster need the cluster
        cluster = [item for item in items if item.get_closest_marker("cluster")]
        if cluster:
            config.hook.pytest_deselected(items=cluster)
            items[:] = [item for item in items if not item.get_closest_marker("cluster")]


@dataclass
class Live:
    servers: ServerSet | Cluster
    staff_ids: dict[str, int]
    topology: str = "single"

    def say(self, sender: str, text: str, timeout: float = 60) -> list[dict]:
        """Send a message as the Telegram bridge or the terminal chat would: signed."""
        from bot.channels.rest import signed_message

        response = httpx.post(
            f"{self.servers.rasa_url}/webhooks/rest/webhook", **signed_message(sender, text), timeout=timeout
        )
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, body: bytes, headers: dict | None = None, signed: bool = True) -> httpx.Response:
        """POST raw bytes to the REST webhook, signed with the installation's key unless told not to."""
        from bot.auth import SIGNATURE_HEADER, sign

        headers = {"Content-Type": "application/json", **(headers or {})}
        if signed:
            headers[SIGNATURE_HEADER] = sign(body)
        return httpx.post(f"{self.servers.rasa_url}/webhooks/rest/webhook", content=body, headers=headers, timeout=30)

    @staticmethod
    def tracker_rows(sql: str) -> list[tuple]:
        """Rows of a query on Rasa's tracker store (SQLite or PostgreSQL, whichever this run uses)."""
        import sqlalchemy as sa

        engine = sa.create_engine(os.environ["PEERSCOPE_TRACKER_URL"])
        try:
            with engine.connect() as conn:
                return [tuple(row) for row in conn.execute(sa.text(sql))]
        finally:
            engine.dispose()

    @staticmethod
    def texts(replies: list[dict]) -> str:
        return "\n".join(r.get("text", "") for r in replies if r.get("text"))

    @staticmethod
    def customs(replies: list[dict]) -> list[dict]:
        return [r["custom"] for r in replies if r.get("custom")]

    @staticmethod
    def buttons(replies: list[dict]) -> list[dict]:
        return [b for r in replies for b in r.get("buttons", [])]


@pytest.fixture(scope="session")
def topology(request) -> str:
    return request.config.getoption("--e2e-topology")


@pytest.fixture(scope="session")
def live(tmp_path_factory, topology):
    if not model_path().exists():
        pytest.fail("no trained model at models/peerscope.tar.gz: run `make train` (make test does it)")
    from bot.store import session_scope, upgrade
    from bot.store import staff as repo

    work = tmp_path_factory.mktemp("live")
    postgres = redis = None
    if topology == "cluster":
        from tests.pg import PostgresServer

        postgres = PostgresServer().start()
        redis = RedisServer(work / "redis").start(log=work / "redis.log")
        env = {
            "PEERSCOPE_DATABASE_URL": postgres.create_database(),
            "PEERSCOPE_TRACKER_URL": postgres.create_database(),
            "PEERSCOPE_REDIS_URL": redis.url,
            "PEERSCOPE_VAR_DIR": str(work / "var"),
        }
    else:
        env = {
            "PEERSCOPE_DATABASE_URL": f"sqlite:///{work / 'peerscope.db'}",
            "PEERSCOPE_TRACKER_URL": f"sqlite:///{work / 'tracker.db'}",
            "PEERSCOPE_VAR_DIR": str(work / "var"),
        }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the test process reads the same database as the servers
    upgrade()
    ids: dict[str, int] = {}
    with session_scope() as session:
        for sender, (name, role, program, supervisor) in STAFF.items():
            member = repo.add(
                session, name, role=role, program=program, supervisor_id=ids.get(supervisor) if supervisor else None
            )
            channel, _, external = sender.partition(":")
            repo.link_identity(session, member.id, channel, external)
            ids[sender] = member.id
    # a bot token in the caller's environment, as under `make run` with Telegram: the servers must not get it
    server_env = {**env, "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN}
    if topology == "cluster":
        servers = Cluster(instances=2, env=server_env, log_dir=work / "logs")
    else:
        servers = ServerSet(rasa_port=free_port(), action_port=free_port(), env=server_env, log_dir=work / "logs")
    try:
        servers.start()
        servers.wait_ready(timeout=900 if topology == "cluster" else 600)
        yield Live(servers=servers, staff_ids=ids, topology=topology)
    finally:
        servers.stop()
        if redis is not None:
            redis.stop()
        if postgres is not None:
            postgres.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
