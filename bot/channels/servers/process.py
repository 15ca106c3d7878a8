"""Child processes of PeerScope: free ports, the servers' environment, starting a child in its
own process group with an owner-only log, and stopping it (with its children)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Callable

import httpx

from bot.paths import PROJECT_ROOT


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


def spawn(
    command: list[str], *, cwd: Path, env: dict[str, str] | None = None, log: Path | None = None
) -> subprocess.Popen:
    """Start ``command`` in its own session (so stop_group reaches its children) with the umask
    077 (its databases, logs and exports are owner-only), stdout and stderr appended to ``log``
    (created owner-only, its directory 0700) or dropped."""
    if log is not None:
        log.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    else:
        out = subprocess.DEVNULL
    try:
        return subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            umask=0o077,
        )
    finally:
        if out != subprocess.DEVNULL:
            os.close(out)


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


def binary(name: str, package: str) -> str:
    """The path of a system program, or RuntimeError naming the Debian package to install."""
    path = shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if Path(p).exists()), None)
    if not path:
        raise RuntimeError(f"{name} is not installed (Debian: apt-get install {package})")
    return path


def raise_if_exited(process: subprocess.Popen | None, what: str, log: Path | None = None) -> None:
    """RuntimeError("<what> exited with code N; see <log>") when ``process`` has stopped."""
    if process is not None and process.poll() is not None:
        raise RuntimeError(f"{what} exited with code {process.returncode}" + (f"; see {log}" if log else ""))


def wait_until_up(
    urls: dict[str, str],
    deadline: float,
    not_ready: Callable[[str], str],
    interval: float = 1.0,
    check: Callable[[str], None] | None = None,
    on_up: Callable[[str], None] | None = None,
) -> None:
    """Poll each named URL until it answers 200; TimeoutError(not_ready(the names still
    waiting)) past ``deadline`` (time.monotonic). ``check(name)`` runs before each poll (it
    may raise, e.g. when the server has exited); ``on_up(name)`` once a server answers."""
    pending = dict(urls)
    while pending:
        for name, url in list(pending.items()):
            if check:
                check(name)
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    del pending[name]
                    if on_up:
                        on_up(name)
            except httpx.HTTPError:
                pass
        if time.monotonic() > deadline:
            raise TimeoutError(not_ready(", ".join(pending)))
        if pending:
            time.sleep(interval)
