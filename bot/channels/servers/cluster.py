"""Several Rasa instances and action servers behind HAProxy (`peerscope run --instances N`, the
cluster end-to-end tests, bench-load), with a private redis-server when none is configured."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from bot.channels.servers.process import binary, free_port, raise_if_exited, spawn, stop_group, wait_until_up
from bot.channels.servers.single import ServerSet, _rasa_token
from bot.paths import PROJECT_ROOT

HAPROXY_CONFIG = Path("deploy") / "haproxy.cfg"
MAX_INSTANCES = 8  # the servers deploy/haproxy.cfg declares
# Rasa's conversation lock (Redis) outlives an instance killed while it held it by this long
# (Rasa's TICKET_LOCK_LIFETIME, default 60 s): the next message of that conversation waits at most this
CLUSTER_LOCK_LIFETIME = "30"


@dataclass
class RedisServer:
    """A private redis-server: data in ``directory`` (nothing saved to disk), loopback only."""

    directory: Path
    port: int = 0
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/1"

    def command(self) -> list[str]:
        return [
            binary("redis-server", "redis-server"),
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--dir",
            str(self.directory),
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "yes",
            "--daemonize",
            "no",
            "--unixsocket",
            "",
            "--logfile",
            "",
        ]

    def start(self, log: Path | None = None) -> "RedisServer":
        self.port = self.port or free_port()
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.process = spawn(self.command(), cwd=self.directory, log=log)
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while True:
            raise_if_exited(self.process, "redis-server")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"redis-server not ready on port {self.port} after {timeout:.0f} s")
            time.sleep(0.2)

    def stop(self) -> None:
        stop_group(self.process)


@dataclass
class Cluster:
    """N Rasa instances and N action servers on this host behind one HAProxy
    (deploy/haproxy.cfg, used as it is), sharing one tracker store and a Redis lock store.

    ``url`` is HAProxy's front for Rasa (what channels talk to); every Rasa instance calls
    actions through HAProxy's action front, so a killed action server is routed around too.
    The tracker store is whatever ``PEERSCOPE_TRACKER_URL`` in ``env`` (or the environment)
    says: PostgreSQL in production and in the cluster tests. With no ``PEERSCOPE_REDIS_URL``
    a private redis-server is started (process "redis"). ``processes`` names each child:
    "rasa-1".., "actions-1"..., "haproxy", "redis"; ``restart(name)`` starts a stopped or
    killed one again.
    """

    instances: int = 2
    env: dict[str, str] = field(default_factory=dict)
    log_dir: Path | None = None
    port: int = 0  # HAProxy's Rasa front (0: a free port)
    action_port: int = 0  # HAProxy's action front (0: a free port)
    root: Path = PROJECT_ROOT
    auth_token: str = field(default_factory=lambda: _rasa_token() or os.urandom(16).hex())
    members: list[ServerSet] = field(default_factory=list)
    redis: RedisServer | None = None
    _own: dict[str, subprocess.Popen] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 1 <= self.instances <= MAX_INSTANCES:
            raise ValueError(f"instances must be 1-{MAX_INSTANCES} (the servers {HAPROXY_CONFIG} declares)")
        self.port = self.port or free_port()
        self.action_port = self.action_port or free_port()
        self._own_env: dict[str, str] = {
            "TICKET_LOCK_LIFETIME": os.environ.get("TICKET_LOCK_LIFETIME") or CLUSTER_LOCK_LIFETIME
        }

    # -- what callers (and tests written for one ServerSet) use --------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    rasa_url = url

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}"

    @property
    def processes(self) -> dict[str, subprocess.Popen]:
        found = dict(self._own)
        for member in self.members:
            found.update(member.processes)
        return found

    def _member_env(self) -> dict[str, str]:
        env = {**self.env, **self._own_env}
        if self.redis is not None:
            env["PEERSCOPE_REDIS_URL"] = self.redis.url
        return env

    def start(self) -> None:
        from bot.settings import load

        if not load({**os.environ, **self.env}).redis_url and self.redis is None:
            directory = (self.log_dir or (self.root / "var")) / "redis"
            self.redis = RedisServer(directory)
            self.redis.start(log=self._log("redis"))
            self._own["redis"] = self.redis.process
        env = self._member_env()
        self.members = [
            ServerSet(
                rasa_port=free_port(),
                action_port=free_port(),
                auth_token=self.auth_token,
                env=env,
                log_dir=self.log_dir,
                root=self.root,
                suffix=f"-{i}",
                action_endpoint_url=f"{self.action_url}/webhook",
            )
            for i in range(1, self.instances + 1)
        ]
        self.start_haproxy()
        for member in self.members:
            member.start_actions()
        for member in self.members:
            member.start_rasa()

    def _log(self, name: str) -> Path | None:
        if not self.log_dir:
            return None
        self.log_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        return self.log_dir / f"{name}.log"

    def haproxy_env(self) -> dict[str, str]:
        env = {"LB_RASA_FRONT": f"127.0.0.1:{self.port}", "LB_ACTIONS_FRONT": f"127.0.0.1:{self.action_port}"}
        for i, member in enumerate(self.members, 1):
            env[f"LB_RASA_{i}"] = f"127.0.0.1:{member.rasa_port}"
            env[f"LB_ACTIONS_{i}"] = f"127.0.0.1:{member.action_port}"
        return env

    def start_haproxy(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LB_")}
        self._own["haproxy"] = spawn(
            [binary("haproxy", "haproxy"), "-db", "-f", str(self.root / HAPROXY_CONFIG)],
            cwd=self.root,
            env={**env, **self.haproxy_env()},
            log=self._log("haproxy"),
        )

    def _member(self, name: str) -> ServerSet:
        for member in self.members:
            if name in (member.rasa_name, member.actions_name):
                return member
        raise KeyError(f"no process named {name!r} (known: {', '.join(sorted(self.processes))})")

    def restart(self, name: str) -> None:
        """Start the process ``name`` again (after it was killed or stopped); stops it first
        if it still runs."""
        if name == "haproxy":
            stop_group(self._own.pop("haproxy", None))
            self.start_haproxy()
        elif name == "redis":
            if self.redis is None:
                raise KeyError("this cluster did not start a redis-server")
            self.redis.stop()
            self.redis.start(log=self._log("redis"))
            self._own["redis"] = self.redis.process
        else:
            member = self._member(name)
            stop_group(member.processes.pop(name, None))
            member.start_rasa() if name == member.rasa_name else member.start_actions()

    def revive(self) -> list[str]:
        """Start again every process that has exited (what `peerscope run --instances N`
        does every few seconds); returns their names."""
        dead = [name for name, process in self.processes.items() if process.poll() is not None]
        for name in dead:
            self.restart(name)
        return dead

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` (default SIGKILL) to one process's group, as a crash would."""
        process = self.processes[name]
        if process.poll() is None:
            os.killpg(process.pid, sig)
            process.wait(timeout=20)

    # "rasa" / "actions" mean every instance of that kind (the e2e tests written for one ServerSet)
    def _names(self, names: tuple[str, ...] | None) -> list[str]:
        wanted = []
        for name in names or ("rasa", "actions"):
            if name in ("rasa", "actions"):
                wanted += [m.rasa_name if name == "rasa" else m.actions_name for m in self.members]
            else:
                wanted.append(name)
        return wanted

    def start_rasa(self) -> None:
        for member in self.members:
            if member.rasa_name not in member.processes or member.processes[member.rasa_name].poll() is not None:
                member.start_rasa()

    def start_actions(self) -> None:
        for member in self.members:
            process = member.processes.get(member.actions_name)
            if process is None or process.poll() is not None:
                member.start_actions()

    def wait_ready(self, timeout: float = 600, progress: Callable[[str], None] | None = None) -> None:
        """Every instance answers its own health check, and HAProxy answers on both fronts."""
        deadline = time.monotonic() + timeout
        for member in self.members:
            member.wait_ready(timeout=max(1.0, deadline - time.monotonic()), progress=progress)
        for name in ("haproxy", "redis"):
            raise_if_exited(self._own.get(name), name, self._log(name))
        wait_until_up(
            {"rasa": f"{self.url}/", "actions": f"{self.action_url}/health"},
            deadline,
            lambda pending: f"HAProxy's {pending} front not ready after {timeout:.0f} s",
            interval=0.5,
        )
        # HAProxy marks a server up after two good checks: wait until every instance is in rotation
        time.sleep(2.5)
        if progress:
            progress(f"HAProxy on {self.url} (Rasa) and {self.action_url} (actions)")

    def stop(self, names: tuple[str, ...] | None = None, sig: int = signal.SIGTERM) -> None:
        if names is None:  # everything, front first
            stop_group(self._own.pop("haproxy", None), sig)
            for member in self.members:
                member.stop(sig=sig)
            if self.redis is not None:
                self.redis.stop()
                self._own.pop("redis", None)
            return
        for name in self._names(names):
            if name in self._own:
                stop_group(self._own.pop(name), sig)
            else:
                member = self._member(name)
                stop_group(member.processes.pop(name, None), sig)
