"""A new user's first mistakes get one line that says what to do, never a traceback:
a database that was never migrated, and a setting that is not a number."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.paths import PROJECT_ROOT
from bot.settings import SettingError


def _peerscope(*args: str, env: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    child = {k: v for k, v in os.environ.items() if not k.startswith(("PEERSCOPE_", "TELEGRAM_"))}
    child.update(
        {
            "PEERSCOPE_VAR_DIR": str(tmp_path / "var"),
            "PYTHONPATH": str(PROJECT_ROOT),
            "RASA_TELEMETRY_ENABLED": "false",
            **env,
        }
    )
    return subprocess.run(
        [sys.executable, "-c", "from bot.cli import main; raise SystemExit(main())", *args],
        env=child,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )


def test_staff_list_on_a_database_never_migrated_says_what_to_run(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = _peerscope("staff", "list", env={"PEERSCOPE_DATABASE_URL": url}, tmp_path=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        "peerscope: the database is not set up yet: run `peerscope db upgrade` " "first"
    ]
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_a_database_an_older_version_migrated_says_so(tmp_path):
    from bot.store import upgrade
    from bot.store.db import schema_problem

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0003")
    assert schema_problem(url) == "the database is at an older schema (0003): run `peerscope db upgrade` first"
    upgrade(url)
    assert schema_problem(url) is None


@pytest.mark.parametrize("token", ["123:abc", None])
def test_a_bad_rate_limit_is_one_line_naming_the_variable_and_exit_2(tmp_path, token):
    env = {"PEERSCOPE_TELEGRAM_RATE_LIMIT": "abc", "PEERSCOPE_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    if token:
        env["TELEGRAM_BOT_TOKEN"] = token
    result = _peerscope("telegram", env=env, tmp_path=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == ["peerscope: PEERSCOPE_TELEGRAM_RATE_LIMIT must be a whole number, not 'abc'"]


@pytest.mark.parametrize(
    "name",
    [
        "PEERSCOPE_TELEGRAM_WEBHOOK_PORT",
        "PEERSCOPE_TELEGRAM_RASA_TIMEOUT",
        "PEERSCOPE_TELEGRAM_RATE_LIMIT",
        "PEERSCOPE_TELEGRAM_NOTIFY_INTERVAL",
        "PEERSCOPE_TELEGRAM_RETRY_DELAY",
        "PEERSCOPE_ALERT_POLL_SECONDS",
        "PEERSCOPE_ALERT_REPEAT_SECONDS",
        "PEERSCOPE_ALERT_ESCALATE_SECONDS",
        "PEERSCOPE_ENCODER_THREADS",
        "PEERSCOPE_TIMEZONE",
    ],
)
@pytest.mark.parametrize("value", ["abc", "-5", "nan"])
def test_every_setting_the_bridge_reads_is_checked(name, value):
    from bot.channels.telegram.client import TelegramConfig

    with pytest.raises(SettingError) as caught:
        TelegramConfig.from_env({"TELEGRAM_BOT_TOKEN": "1:x", name: value})
    message = str(caught.value)
    assert message.startswith(f"{name} must be ") and "\n" not in message


def test_good_settings_still_parse():
    from bot.channels.telegram.client import TelegramConfig

    config = TelegramConfig.from_env(
        {
            "TELEGRAM_BOT_TOKEN": "1:x",
            "PEERSCOPE_TELEGRAM_RATE_LIMIT": " 7 ",
            "PEERSCOPE_TELEGRAM_NOTIFY_INTERVAL": "0",
            "PEERSCOPE_TELEGRAM_WEBHOOK_PORT": "",
            "PEERSCOPE_TIMEZONE": "America/Denver",
        }
    )
    assert (config.rate_limit, config.notify_interval, config.webhook_port) == (7, 0.0, 8443)


@pytest.mark.parametrize("command", [("eval", "notes"), ("eval", "risk"), ("check-note",)])
def test_a_file_that_is_not_there_is_one_line_naming_it(tmp_path, command):
    missing = tmp_path / "no-such-file.jsonl"
    result = _peerscope(*command, str(missing), env={}, tmp_path=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [f"peerscope: cannot read {missing}: No such file or directory"]
