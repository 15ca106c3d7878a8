"""Start, watch and stop the Rasa server and the action server as child processes.

Used by `peerscope run`, the Makefile (through `peerscope train`) and the end-to-end
tests, so all of them start the servers the same way. Rasa is run as a program;
nothing here imports it.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import httpx

from bot.paths import PROJECT_ROOT

MODEL_NAME = "peerscope"
TRAINING_INPUTS = ("config.yml", "domain", "nlu_data")


def free_port() -> int:
    """A free TCP port on loopback (for tests and measurements that run beside a live install)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Only the Telegram bridge may hold the bot token; the servers never see it.
NOT_FOR_SERVERS = ("TELEGRAM_BOT_TOKEN",)


def port_busy(port: int) -> bool:
    """True when something already listens on 127.0.0.1:``port`` (its health check would
    answer for servers we did not start)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def port_holder(port: int) -> str | None:
    """'process PID (command line)' listening on ``port``, from /proc; None if not found."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{fields[9]}]")
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if any(os.readlink(fd) in inodes for fd in (proc / "fd").iterdir()):
                command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
                return f"process {proc.name} ({command[:100]})"
        except OSError:
            continue
    return None


def stop_child(process: subprocess.Popen | None, timeout: float = 10) -> None:
    """SIGTERM a child process started by PeerScope and wait; SIGKILL if it does not stop in time."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def rasa_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for the Rasa and action servers (and `rasa train`)."""
    env = {**os.environ, **(extra or {})}
    for key in NOT_FOR_SERVERS:
        env.pop(key, None)
    env.update(
        {
            "RASA_TELEMETRY_ENABLED": "false",
            # INFO whatever the caller's LOG_LEVEL: Rasa logs every message at DEBUG
            "LOG_LEVEL": "INFO",
            "LOG_LEVEL_LIBRARIES": "WARNING",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "SANIC_HOST": "127.0.0.1",  # the action server listens on loopback only
            "PYTHONPATH": str(PROJECT_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        }
    )
    return env


def training_fingerprint(root: Path = PROJECT_ROOT) -> str:
    digest = hashlib.sha256()
    for name in TRAINING_INPUTS:
        path = root / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(root)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def model_path(root: Path = PROJECT_ROOT) -> Path:
    return root / "models" / f"{MODEL_NAME}.tar.gz"


def train_if_needed(root: Path = PROJECT_ROOT, force: bool = False, echo: Callable[[str], None] = print) -> bool:
    """Train the model when the training data changed since the last training. Returns True if it trained."""
    stamp = root / "models" / f"{MODEL_NAME}.fingerprint"
    fingerprint = training_fingerprint(root)
    if not force and model_path(root).exists() and stamp.exists() and stamp.read_text() == fingerprint:
        echo("model is up to date with the training data; not retraining")
        return False
    echo("training the Rasa model (about 2 minutes on 2 cores)...")
    started = time.monotonic()
    command = [
        sys.executable,
        "-m",
        "rasa",
        "train",
        "--config",
        "config.yml",
        "--domain",
        "domain",
        "--data",
        "nlu_data",
        "--out",
        "models",
        "--fixed-model-name",
        MODEL_NAME,
        "--force",
    ]
    subprocess.run(command, cwd=root, env=rasa_env(), check=True)
    stamp.write_text(fingerprint)
    echo(f"trained in {time.monotonic() - started:.0f} s")
    return True


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
        if self.log_dir:
            self.log_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            out = os.open(self.log_dir / f"{name}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        else:
            out = subprocess.DEVNULL
        try:
            self.processes[name] = subprocess.Popen(
                command,
                cwd=self.root,
                env=rasa_env({**self.env, **(extra_env or {})}),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so stop() reaches its children
                umask=0o077,  # databases, logs and exports are owner-only
            )
        finally:
            if out != subprocess.DEVNULL:
                os.close(out)

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
        deadline = time.monotonic() + timeout
        checks = {self.actions_name: f"{self.action_url}/health", self.rasa_name: f"{self.rasa_url}/"}
        pending = dict(checks)
        while pending:
            for name, url in list(pending.items()):
                process = self.processes.get(name)
                if process is not None and process.poll() is not None:
                    raise RuntimeError(
                        f"the {name} server exited with code {process.returncode}"
                        + (f"; see {self.log_dir / (name + '.log')}" if self.log_dir else "")
                    )
                try:
                    if httpx.get(url, timeout=2).status_code == 200:
                        del pending[name]
                        if progress:
                            progress(f"{name} server is up")
                except httpx.HTTPError:
                    pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"servers not ready after {timeout:.0f} s: {', '.join(pending)}")
            if pending:
                time.sleep(1)

    def stop(self, names: tuple[str, ...] | None = None, sig: int = signal.SIGTERM) -> None:
        for name in names or (self.rasa_name, self.actions_name):
            stop_group(self.processes.pop(name, None), sig)


def stop_group(process: subprocess.Popen | None, sig: int = signal.SIGTERM) -> None:
    """Signal a child's process group (started with start_new_session) and wait; SIGKILL
    the group if it has not stopped after 20 s. A child that already exited is left alone
    (its process group id may belong to someone else by now)."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
        process.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=10)


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


# --- several instances behind HAProxy (`peerscope run --instances N`, the cluster e2e tests) ---

HAPROXY_CONFIG = Path("deploy") / "haproxy.cfg"
MAX_INSTANCES = 8  # the servers deploy/haproxy.cfg declares
# Rasa's conversation lock (Redis) outlives an instance killed while it held it by this long
# (Rasa's TICKET_LOCK_LIFETIME, default 60 s): the next message of that conversation waits at most this
CLUSTER_LOCK_LIFETIME = "30"


def _binary(name: str, package: str) -> str:
    import shutil

    path = shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if Path(p).exists()), None)
    if not path:
        raise RuntimeError(f"{name} is not installed (Debian: apt-get install {package})")
    return path


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
            _binary("redis-server", "redis-server"),
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
        out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600) if log else subprocess.DEVNULL
        try:
            self.process = subprocess.Popen(
                self.command(),
                cwd=self.directory,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                umask=0o077,
            )
        finally:
            if out != subprocess.DEVNULL:
                os.close(out)
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with code {self.process.returncode}")
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
        log = self._log("haproxy")
        out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600) if log else subprocess.DEVNULL
        env = {k: v for k, v in os.environ.items() if not k.startswith("LB_")}
        try:
            self._own["haproxy"] = subprocess.Popen(
                [_binary("haproxy", "haproxy"), "-db", "-f", str(self.root / HAPROXY_CONFIG)],
                cwd=self.root,
                env={**env, **self.haproxy_env()},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                umask=0o077,
            )
        finally:
            if out != subprocess.DEVNULL:
                os.close(out)

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
            process = self._own.get(name)
            if process is not None and process.poll() is not None:
                raise RuntimeError(
                    f"{name} exited with code {process.returncode}"
                    + (f"; see {self._log(name)}" if self.log_dir else "")
                )
        pending = {"rasa": f"{self.url}/", "actions": f"{self.action_url}/health"}
        while pending:
            for name, url in list(pending.items()):
                try:
                    if httpx.get(url, timeout=2).status_code == 200:
                        del pending[name]
                except httpx.HTTPError:
                    pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"HAProxy's {', '.join(pending)} front not ready after {timeout:.0f} s")
            if pending:
                time.sleep(0.5)
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
