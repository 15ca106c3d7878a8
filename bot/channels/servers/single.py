"""One Rasa server and one action server, started and stopped together (``ServerSet``), and
the endpoints file each Rasa instance is given."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from bot.channels.servers.model import model_path
from bot.channels.servers.process import raise_if_exited, rasa_env, spawn, stop_group, wait_until_up
from bot.paths import PROJECT_ROOT


def _rasa_token() -> str | None:
    from bot.settings import load

    return load().rasa_token


@dataclass
class ServerSet:
    """The action server and the Rasa server, started together and stopped together."""

    rasa_port: int = 5005
    action_port: int = 5055
    auth_token: str = field(default_factory=lambda: _rasa_token() or os.urandom(16).hex())
    endpoints: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    log_dir: Path | None = None
    root: Path = PROJECT_ROOT
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    # where Rasa calls actions (default: this set's action server); a Cluster points it at HAProxy
    action_endpoint_url: str | None = None
    # appended to the process names ("rasa-1", "actions-1") and log files
    suffix: str = ""

    @property
    def rasa_name(self) -> str:
        return f"rasa{self.suffix}"

    @property
    def actions_name(self) -> str:
        return f"actions{self.suffix}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}"

    def _spawn(self, name: str, command: list[str], extra_env: dict[str, str] | None = None) -> None:
        self.processes[name] = spawn(
            command,
            cwd=self.root,
            env=rasa_env({**self.env, **(extra_env or {})}),
            log=self.log_dir / f"{name}.log" if self.log_dir else None,
        )

    def start_actions(self) -> None:
        self._spawn(self.actions_name, [sys.executable, "-m", "addons.action_server", "--port", str(self.action_port)])

    def start_rasa(self) -> None:
        endpoints = self._write_endpoints()
        # the API token goes by environment: a command line is visible to every local user
        self._spawn(
            self.rasa_name,
            [
                sys.executable,
                "-m",
                "addons.rasa_server",
                "run",
                "--model",
                str(model_path(self.root)),
                "--endpoints",
                str(endpoints),
                "--credentials",
                "credentials.yml",
                "--interface",
                "127.0.0.1",
                "--port",
                str(self.rasa_port),
            ],
            {"PEERSCOPE_RASA_TOKEN": self.auth_token},
        )

    def _write_endpoints(self) -> Path:
        """endpoints.yml with the action server URL for this set's port and the action
        server's token (so the file is owner-only, and rewritten on every start)."""
        directory = self.log_dir or (self.root / "var")
        return write_endpoints(
            directory / f"endpoints-{self.rasa_port}.yml",
            self.action_endpoint_url or f"{self.action_url}/webhook",
            source=self.endpoints or (self.root / "endpoints.yml"),
            env=self.env,
        )

    def start(self) -> None:
        self.start_actions()
        self.start_rasa()

    def wait_ready(self, timeout: float = 240, progress: Callable[[str], None] | None = None) -> None:
        def exited(name: str) -> None:
            log = self.log_dir / f"{name}.log" if self.log_dir else None
            raise_if_exited(self.processes.get(name), f"the {name} server", log)

        wait_until_up(
            {self.actions_name: f"{self.action_url}/health", self.rasa_name: f"{self.rasa_url}/"},
            time.monotonic() + timeout,
            lambda pending: f"servers not ready after {timeout:.0f} s: {pending}",
            check=exited,
            on_up=(lambda name: progress(f"{name} server is up")) if progress else None,
        )

    def stop(self, names: tuple[str, ...] | None = None, sig: int = signal.SIGTERM) -> None:
        for name in names or (self.rasa_name, self.actions_name):
            stop_group(self.processes.pop(name, None), sig)


def write_endpoints(path: Path, action_url: str, source: Path | None = None, env: dict[str, str] | None = None) -> Path:
    """Rasa's endpoints file for one instance: the project's endpoints.yml with the action
    endpoint at ``action_url`` (an action server, or HAProxy's action front), the action
    server's token, and the Redis lock store when PEERSCOPE_REDIS_URL is set. Owner-only
    (it holds the token), written anew each time."""
    import yaml

    from bot.auth import ACTION_TOKEN_HEADER, action_token

    config = yaml.safe_load((source or (PROJECT_ROOT / "endpoints.yml")).read_text())
    config["action_endpoint"]["url"] = action_url
    config["action_endpoint"]["headers"] = {ACTION_TOKEN_HEADER: action_token()}
    lock_store = lock_store_config({**os.environ, **(env or {})})
    if lock_store:  # Rasa's own RedisLockStore: one conversation is handled by one instance at a time
        config["lock_store"] = lock_store
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
        yaml.safe_dump(config, handle)
    return path


def lock_store_config(env: dict[str, str] | None = None) -> dict | None:
    """Rasa's ``lock_store`` endpoint (its built-in RedisLockStore) when ``PEERSCOPE_REDIS_URL``
    is set; None keeps Rasa's in-memory lock store (one Rasa instance)."""
    from bot.settings import load, redis_lock_store

    url = load(env).redis_url
    return redis_lock_store(url) if url else None
