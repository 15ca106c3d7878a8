"""deploy/: the systemd units pass `systemd-analyze verify`, and HAProxy accepts
deploy/haproxy.cfg (the file the cluster launcher and tests use as it is) for 1 to 8 instances."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from bot.channels.servers import MAX_INSTANCES, binary
from bot.paths import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"
INSTALL_DIR = "/opt/peerscope"
UNITS = (
    "peerscope-rasa@5005.service",
    "peerscope-actions@5055.service",
    "peerscope-web.service",
    "peerscope-telegram.service",
)


def test_the_systemd_units_verify(tmp_path):
    """verify checks every ExecStart command exists and is executable, so the units are checked
    with the install directory (/opt/peerscope in the files) replaced by this checkout, whose
    .venv/bin/python runs the same commands. Any warning (an unknown key, a typo) fails."""
    analyze = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"
    for unit in (DEPLOY / "systemd").glob("*.service"):
        text = unit.read_text()
        assert INSTALL_DIR in text
        (tmp_path / unit.name).write_text(text.replace(INSTALL_DIR, str(PROJECT_ROOT)))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        u.split("@")[0] + "@.service" if "@" in u else u for u in UNITS
    )
    assert (PROJECT_ROOT / ".venv" / "bin" / "python").exists()
    done = subprocess.run(
        [analyze, "verify", "--man=no", *UNITS], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and done.stderr.strip() == "" and done.stdout.strip() == "", done.stderr
    # a broken unit is caught: a misspelt key, and a command that does not exist
    broken = tmp_path / "peerscope-web.service"
    broken.write_text(broken.read_text().replace("Restart=always", "Restrat=always"))
    done = subprocess.run(
        [analyze, "verify", "--man=no", "peerscope-web.service"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Unknown key 'Restrat'" in done.stderr
    original = (DEPLOY / "systemd" / "peerscope-web.service").read_text()
    broken.write_text(original.replace(INSTALL_DIR, str(tmp_path / "nowhere")))
    done = subprocess.run(
        [analyze, "verify", "--man=no", "peerscope-web.service"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0 and "is not executable" in done.stderr


def _haproxy_check(env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LB_")}
    return subprocess.run(
        [binary("haproxy", "haproxy"), "-c", "-f", str(DEPLOY / "haproxy.cfg")],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("instances", [1, 2, MAX_INSTANCES])
def test_haproxy_accepts_the_config_for_any_number_of_instances(instances):
    env = {"LB_RASA_FRONT": "127.0.0.1:15005", "LB_ACTIONS_FRONT": "127.0.0.1:15055"}
    for i in range(1, instances + 1):
        env[f"LB_RASA_{i}"] = f"127.0.0.1:{16000 + i}"
        env[f"LB_ACTIONS_{i}"] = f"127.0.0.1:{17000 + i}"
    done = _haproxy_check(env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Configuration file is valid" in done.stdout + done.stderr


def test_haproxy_refuses_the_config_without_addresses():
    done = _haproxy_check({"LB_RASA_FRONT": "127.0.0.1:15005", "LB_ACTIONS_FRONT": "127.0.0.1:15055"})
    assert done.returncode != 0
