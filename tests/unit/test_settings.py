"""Every PEERSCOPE_* setting is parsed and checked in one place (bot.settings, pydantic
BaseSettings): a bad value anywhere is one line naming the variable and exit 2 before any
command runs; dates are written for PEERSCOPE_LOCALE (US style by default)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from bot.paths import PROJECT_ROOT
from bot.settings import VARIABLES, SettingError, load, show_date
from tests.unit.test_cli_errors import _peerscope

FRIDAY = date(2026, 11, 27)


def test_dates_are_us_style_by_default_and_follow_the_locale():
    assert show_date(FRIDAY, {}) == "Friday, November 27, 2026"
    assert show_date(FRIDAY, {"PEERSCOPE_LOCALE": "en_US"}) == "Friday, November 27, 2026"
    assert show_date(FRIDAY, {"PEERSCOPE_LOCALE": "en_GB"}) == "Friday, 27 November 2026"
    assert show_date(FRIDAY, {"PEERSCOPE_LOCALE": "en-GB"}) == "Friday, 27 November 2026"


def test_plan_dates_and_deadlines_follow_the_locale(monkeypatch):
    from bot.wrsp.validators import validate_date

    today = date(2026, 3, 4)
    assert validate_date("March 15 2027", today=today, rule="future").confirmation == "Monday, March 15, 2027"
    monkeypatch.setenv("PEERSCOPE_LOCALE", "en_GB")
    assert validate_date("March 15 2027", today=today, rule="future").confirmation == "Monday, 15 March 2027"
    # what is typed is still read month first (US staff): only how it is shown changes
    assert validate_date("3/4/2027", today=today, rule="future").value == "2027-03-04"


@pytest.mark.parametrize(
    "env, message",
    [
        ({"PEERSCOPE_LOCALE": "xx_YY"}, "PEERSCOPE_LOCALE must be a locale such as en_US or en_GB, not 'xx_YY'"),
        ({"PEERSCOPE_RETENTION_YEARS": "seven"}, "PEERSCOPE_RETENTION_YEARS must be a number, not 'seven'"),
        ({"PEERSCOPE_CONVERSATION_DAYS": "inf"}, "PEERSCOPE_CONVERSATION_DAYS must be a finite number, not 'inf'"),
        ({"PEERSCOPE_PRELOAD": "sometimes"}, "PEERSCOPE_PRELOAD must be 1 or 0 (or true or false), not 'sometimes'"),
        ({"PEERSCOPE_ENCODER_THREADS": "0"}, "PEERSCOPE_ENCODER_THREADS must be at least 1, not '0'"),
        ({"PEERSCOPE_TELEGRAM_RATE_LIMIT": "abc"}, "PEERSCOPE_TELEGRAM_RATE_LIMIT must be a whole number, not 'abc'"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(env, message):
    with pytest.raises(SettingError) as caught:
        load(env)
    assert str(caught.value) == message


def test_blank_means_the_default_and_values_are_parsed():
    settings = load(
        {
            "PEERSCOPE_TELEGRAM_WEBHOOK_PORT": " ",
            "PEERSCOPE_TELEGRAM_RATE_LIMIT": " 7 ",
            "PEERSCOPE_PRELOAD": "0",
            "PEERSCOPE_RETENTION_YEARS": "10",
        }
    )
    assert (
        settings.telegram_webhook_port,
        settings.telegram_rate_limit,
        settings.preload,
        settings.retention_years,
        settings.locale,
        settings.timezone,
    ) == (8443, 7, False, 10.0, "en_US", None)


def test_any_command_refuses_a_bad_setting_before_it_runs(tmp_path):
    """Even a setting the command itself does not read: the servers `peerscope run` starts
    would read it later, where nobody sees the error."""
    env = {"PEERSCOPE_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "PEERSCOPE_CONVERSATION_DAYS": "ninety"}
    result = _peerscope("staff", "list", env=env, tmp_path=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == ["peerscope: PEERSCOPE_CONVERSATION_DAYS must be a number, not 'ninety'"]
    assert result.stdout == ""


def test_the_readme_lists_every_setting_and_the_code_reads_them_only_through_settings():
    readme = (PROJECT_ROOT / "README.md").read_text()
    missing = [name for name in VARIABLES if f"`{name}`" not in readme and f"{name}`" not in readme]
    assert not missing, f"README does not list {missing}"
    direct = []
    for folder in ("bot", "actions", "addons"):
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            text = path.read_text()
            for match in re.finditer(r"(?:environ\.get|getenv|environ\[)\(?\s*[\"'](PEERSCOPE_\w+)", text):
                direct.append(f"{path.relative_to(PROJECT_ROOT)}: {match.group(1)}")
    assert direct == [], "read these through bot.settings.load()"
