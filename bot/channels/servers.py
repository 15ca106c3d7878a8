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
        sys.executable, "-m", "rasa", "train",
        "--config", "config.yml", "--domain", "domain", "--data", "nlu_data",
        "--out", "models", "--fixed-model-name", MODEL_NAME, "--force",
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
                command, cwd=self.root, env=rasa_env({**self.env, **(extra_env or {})}),
                stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so stop() reaches its children
                umask=0o077,  # databases, logs and exports are owner-only
            )
        finally:
            if out != subprocess.DEVNULL:
                os.close(out)

    def start_actions(self) -> None:
        self._spawn("actions", [sys.executable, "-m", "addons.action_server", "--port", str(self.action_port)])

    def start_rasa(self) -> None:
        endpoints = self._write_endpoints()
        # the API token goes by environment: a command line is visible to every local user
        self._spawn("rasa", [
            sys.executable, "-m", "addons.rasa_server", "run",
            "--model", str(model_path(self.root)),
            "--endpoints", str(endpoints), "--credentials", "credentials.yml",
            "--interface", "127.0.0.1", "--port", str(self.rasa_port),
        ], {"PEERSCOPE_RASA_TOKEN": self.auth_token})

    def _write_endpoints(self) -> Path:
        """endpoints.yml with the action server URL for this set's port and the action
        server's token (so the file is owner-only, and rewritten on every start)."""
        import yaml

        from bot.auth import ACTION_TOKEN_HEADER, action_token

        source = self.endpoints or (self.root / "endpoints.yml")
        config = yaml.safe_load(source.read_text())
        config["action_endpoint"]["url"] = f"{self.action_url}/webhook"
        config["action_endpoint"]["headers"] = {ACTION_TOKEN_HEADER: action_token()}
        directory = self.log_dir or (self.root / "var")
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = directory / f"endpoints-{self.rasa_port}.yml"
        path.unlink(missing_ok=True)
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
            yaml.safe_dump(config, handle)
        return path

    def start(self) -> None:
        self.start_actions()
        self.start_rasa()

    def wait_ready(self, timeout: float = 240, progress: Callable[[str], None] | None = None) -> None:
        deadline = time.monotonic() + timeout
        checks = {"actions": f"{self.action_url}/health", "rasa": f"{self.rasa_url}/"}
        pending = dict(checks)
        while pending:
            for name, url in list(pending.items()):
                process = self.processes.get(name)
                if process is not None and process.poll() is not None:
                    raise RuntimeError(f"the {name} server exited with code {process.returncode}"
                                       + (f"; see {self.log_dir / (name + '.log')}" if self.log_dir else ""))
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

    def stop(self, names: tuple[str, ...] = ("rasa", "actions"), sig: int = signal.SIGTERM) -> None:
        for name in names:
            process = self.processes.pop(name, None)
            if process is None or process.poll() is not None:
                continue
            try:
                os.killpg(process.pid, sig)
                process.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait(timeout=10)
