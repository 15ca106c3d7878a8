"""`peerscope run` (what `make run` starts): servers come up and the terminal chat answers."""

from __future__ import annotations

import os
import subprocess
import sys

from bot.channels.servers import free_port


def test_peerscope_run_reaches_a_chat_that_answers(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("PEERSCOPE_DATABASE_URL", "PEERSCOPE_TRACKER_URL")}
    var = tmp_path / "var"
    env["PEERSCOPE_VAR_DIR"] = str(var)  # the databases go to their default places under var/
    command = [sys.executable, "-m", "bot.cli", "run", "--port", str(free_port()),
               "--action-port", str(free_port())]
    done = subprocess.run(command, input="hi\nhelp\nwhat can you do\n/quit\n", env=env, text=True,
                          capture_output=True, timeout=600)
    out = done.stdout
    assert done.returncode == 0, done.stderr[-2000:]
    assert "created a local peer profile" in out
    assert out.count("[1] Ask a scope question") == 2  # hi and help both show the menu
    assert "Answer \"can I do this?\" questions" in out and "Onboard new family peer supporters" in out
    assert "stopping the servers" in out
    # everything PeerScope wrote is owner-only, even though this test runs with the usual umask
    written = [var, var / "peerscope.db", var / "tracker.db", var / "secret.key", var / "logs",
               *sorted((var / "logs").glob("*"))]
    assert all(path.exists() for path in written[:5])
    loose = {str(path.relative_to(tmp_path)): oct(path.stat().st_mode & 0o777)
             for path in written if path.stat().st_mode & 0o077}
    assert loose == {}
