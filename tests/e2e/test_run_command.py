"""`peerscope run` (what `make run` starts): servers come up and the terminal chat answers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from bot.channels.servers import free_port

RUN_OWN = ("PEERSCOPE_DATABASE_URL", "PEERSCOPE_TRACKER_URL", "PEERSCOPE_REDIS_URL")


def _run_env(tmp_path) -> dict:
    """The caller's environment without the servers' stores (the cluster e2e run sets a
    shared PostgreSQL and Redis): `peerscope run` makes its own under var/."""
    env = {k: v for k, v in os.environ.items() if k not in RUN_OWN}
    env["PEERSCOPE_VAR_DIR"] = str(tmp_path / "var")
    return env


def test_peerscope_run_reaches_a_chat_that_answers(tmp_path):
    env = _run_env(tmp_path)
    var = tmp_path / "var"  # the databases go to their default places under var/
    command = [
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        "--port",
        str(free_port()),
        "--action-port",
        str(free_port()),
        "--web-port",
        str(free_port()),
    ]
    done = subprocess.run(
        command, input="hi\nhelp\nwhat can you do\n/quit\n", env=env, text=True, capture_output=True, timeout=600
    )
    out = done.stdout
    assert done.returncode == 0, done.stderr[-2000:]
    assert "created a local peer profile" in out
    assert out.count("[1] Ask a scope question") == 2  # hi and help both show the menu
    assert 'Answer "can I do this?" questions' in out and "Onboard new family peer supporters" in out
    assert "supervisor console on http://127.0.0.1:" in out
    assert "stopping the servers" in out
    # everything PeerScope wrote is owner-only, even though this test runs with the usual umask
    written = [
        var,
        var / "peerscope.db",
        var / "tracker.db",
        var / "secret.key",
        var / "logs",
        *sorted((var / "logs").glob("*")),
    ]
    assert all(path.exists() for path in written[:5])
    loose = {
        str(path.relative_to(tmp_path)): oct(path.stat().st_mode & 0o777)
        for path in written
        if path.stat().st_mode & 0o077
    }
    assert loose == {}


def test_a_busy_port_is_refused_naming_the_process_that_holds_it(tmp_path):
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "bot.cli",
                "run",
                "--port",
                str(busy),
                "--action-port",
                str(free_port()),
                "--web-port",
                str(free_port()),
            ],
            env=_run_env(tmp_path),
            text=True,
            capture_output=True,
            timeout=120,
        )
    assert done.returncode == 2
    assert f"port {busy} is already in use by process {os.getpid()}" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_service_managers_signal_stops_both_servers(tmp_path, sig):
    """... and the supervisor console started beside them."""
    from bot.channels.servers import port_busy

    ports = [free_port(), free_port(), free_port()]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            "--no-chat",
            "--port",
            str(ports[0]),
            "--action-port",
            str(ports[1]),
            "--web-port",
            str(ports[2]),
        ],
        env=_run_env(tmp_path),
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        for line in process.stdout:  # wait until both servers answer
            if "running; Ctrl-C stops" in line:
                break
        deadline = time.monotonic() + 60  # the console starts in a few seconds
        while not port_busy(ports[2]) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert all(port_busy(p) for p in ports)
        process.send_signal(sig)
        assert process.wait(timeout=90) == 0
        deadline = time.monotonic() + 30
        while any(port_busy(p) for p in ports) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not any(port_busy(p) for p in ports), "a server outlived peerscope run"
    finally:
        if process.poll() is None:
            process.kill()


def test_run_with_two_instances_serves_through_haproxy_and_starts_a_crashed_instance_again(tmp_path):
    """`peerscope run --instances 2`: HAProxy on --port in front of two Rasa instances (and two
    action servers on --action-port), a private redis-server; a SIGKILLed Rasa instance is
    routed around and started again; SIGTERM stops everything."""
    import re

    from bot.channels.rest import RestClient
    from bot.channels.servers import port_busy, port_holder

    ports = [free_port(), free_port()]
    env = _run_env(tmp_path)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            "--no-chat",
            "--no-web",
            "--instances",
            "2",
            "--port",
            str(ports[0]),
            "--action-port",
            str(ports[1]),
        ],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    logs = tmp_path / "var" / "logs"
    seen = []
    try:
        for line in process.stdout:
            seen.append(line)
            if "running; Ctrl-C stops" in line:
                break
        assert any("HAProxy on http://127.0.0.1:" in line for line in seen), "".join(seen)[-2000:]
        os.environ["PEERSCOPE_VAR_DIR"], saved = env["PEERSCOPE_VAR_DIR"], os.environ.get("PEERSCOPE_VAR_DIR")
        try:  # sign with this installation's key
            # the channels' own client: a message keeps its id when it is sent again after a 5xx
            client = RestClient(f"http://127.0.0.1:{ports[0]}", timeout=120)

            def hello():
                replies = client.send("local:tester", "hi")
                assert replies and not replies[0].text.startswith("(the assistant refused"), (
                    replies,
                    (logs / "haproxy.log").read_text()[-3000:],
                )

            hello()
            rasa_1 = int(
                re.search(
                    r"Starting Rasa server on http://127\.0\.0\.1:(\d+)", (logs / "rasa-1.log").read_text()
                ).group(1)
            )
            holder = port_holder(rasa_1)
            os.kill(int(holder.split()[1]), signal.SIGKILL)
            hello()  # rasa-2 answers (HAProxy retries a refused connection on another instance)
            hello()
        finally:
            if saved is None:
                os.environ.pop("PEERSCOPE_VAR_DIR")
            else:
                os.environ["PEERSCOPE_VAR_DIR"] = saved
        for line in process.stdout:
            seen.append(line)
            if "rasa-1 had stopped; started it again" in line:
                break
        assert {"rasa-1.log", "rasa-2.log", "actions-1.log", "actions-2.log", "haproxy.log", "redis.log"} <= {
            p.name for p in logs.glob("*.log")
        }
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=120) == 0
        deadline = time.monotonic() + 30
        while any(port_busy(p) for p in ports) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not any(port_busy(p) for p in ports), "a server outlived peerscope run"
    finally:
        if process.poll() is None:
            process.kill()
