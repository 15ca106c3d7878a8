"""Settings read from the environment, parsed and checked in one place.

Every ``PEERSCOPE_*`` variable PeerScope's Python code reads is a field of :class:`Settings`
(pydantic 1.10 ``BaseSettings``, prefix ``PEERSCOPE_``); :func:`load` returns them parsed
(an unset or blank variable takes the default). A bad value is a :class:`SettingError` whose
message names the variable and what it should be, in one line; the `peerscope` command
checks every setting before it runs anything, prints that line and exits 2 (bot.cli).

Times are stored in UTC; everything shown to people, and "today", is in
``PEERSCOPE_TIMEZONE`` (an IANA name such as America/Denver; default UTC). Dates are
written for ``PEERSCOPE_LOCALE`` (default en_US: "Friday, November 27, 2026") by Babel.
"""

from __future__ import annotations

import math
import os
from contextvars import ContextVar
from datetime import date, datetime, timezone, tzinfo
from functools import lru_cache
from typing import Any, Mapping, Optional

from pydantic import BaseSettings, ValidationError, validator

PREFIX = "PEERSCOPE_"


class SettingError(ValueError):
    """An environment setting with a value PeerScope cannot use. The message is one line."""


# the environment a Settings is read from: os.environ, or a mapping given to load()
_source: ContextVar[Optional[Mapping[str, str]]] = ContextVar("peerscope_settings_source", default=None)


def _environment(settings: BaseSettings) -> dict[str, Any]:
    """The settings source: PEERSCOPE_<FIELD> for each field, stripped; blank means unset."""
    env = _source.get()
    env = os.environ if env is None else env
    values = {}
    for name in settings.__fields__:
        raw = env.get(PREFIX + name.upper())
        if raw is not None and str(raw).strip():
            values[name] = str(raw).strip()
    return values


class Settings(BaseSettings):
    """Every PEERSCOPE_* setting (the README's Configuration table lists them all)."""

    # where things are
    database_url: Optional[str] = None  # default: SQLite in var_dir
    tracker_url: Optional[str] = None  # Rasa's tracker store; default: SQLite in var_dir
    tracker_window: Optional[int] = None  # user messages a turn loads; default endpoints.yml's (0: all)
    redis_url: Optional[str] = None  # Rasa's lock store (redis://[:password@]host:port/db); default in-memory
    var_dir: Optional[str] = None  # default: var/ in the project
    knowledge_dir: Optional[str] = None  # default: knowledge/ in the project
    models_dir: Optional[str] = None  # default: models/ in the project
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: Optional[str] = None  # default: random per run
    # how things are shown
    timezone: Optional[str] = None  # IANA name; default UTC
    locale: str = "en_US"
    # the models
    encoder_threads: int = 1
    preload: bool = True
    action_timing: bool = False  # the action server logs each call's action name and time
    # retention (the policy minimum is checked by bot.store.retention)
    retention_years: float = 7.0
    conversation_days: float = 90.0
    # risk alerts, sent by the Telegram bridge
    alert_poll_seconds: float = 2.0
    alert_repeat_seconds: float = 15 * 60.0
    alert_escalate_seconds: float = 30 * 60.0
    # the Telegram bridge
    telegram_api_url: Optional[str] = None  # default: Telegram's
    telegram_rasa_timeout: float = 45.0
    telegram_retry_delay: float = 1.0
    telegram_rate_limit: int = 20
    telegram_notify_interval: float = 60.0
    telegram_webhook_url: Optional[str] = None
    telegram_webhook_listen: str = "127.0.0.1"
    telegram_webhook_port: int = 8443
    telegram_webhook_secret: Optional[str] = None
    # the supervisor console
    web_port: int = 5080
    web_code_minutes: float = 10.0
    web_session_minutes: float = 60.0

    class Config:
        env_prefix = PREFIX
        validate_all = False

        @classmethod
        def customise_sources(cls, init_settings, env_settings, file_secret_settings):
            return init_settings, _environment

    @validator("*", pre=True)
    def _stripped(cls, value):
        return value.strip() if isinstance(value, str) else value

    @validator(
        "encoder_threads",
        "telegram_rate_limit",
        "telegram_webhook_port",
        "web_port",
        "web_code_minutes",
        "web_session_minutes",
    )
    def _at_least_one(cls, value):
        if not math.isfinite(value) or value < 1:
            raise ValueError("must be at least 1")
        return value

    @validator("tracker_window")
    def _not_negative(cls, value):
        if value is not None and value < 0:
            raise ValueError("must be at least 0")
        return value

    @validator("telegram_webhook_port", "web_port")
    def _port(cls, value):
        if value > 65535:
            raise ValueError("must be a port number (1-65535)")
        return value

    @validator(
        "retention_years",
        "conversation_days",
        "alert_poll_seconds",
        "alert_repeat_seconds",
        "alert_escalate_seconds",
        "telegram_rasa_timeout",
        "telegram_retry_delay",
        "telegram_notify_interval",
    )
    def _finite_not_negative(cls, value):
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        if value < 0:
            raise ValueError("must be at least 0")
        return value

    @validator("redis_url")
    def _redis(cls, value):
        if value is not None:
            redis_lock_store(value)
        return value

    @validator("timezone")
    def _zone(cls, value):
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone such as America/Denver") from None
        return value

    @validator("locale")
    def _locale(cls, value):
        from babel import Locale, UnknownLocaleError

        try:
            return str(Locale.parse(value.replace("-", "_")))
        except (UnknownLocaleError, ValueError, TypeError):
            raise ValueError("must be a locale such as en_US or en_GB") from None


def redis_lock_store(url: str) -> dict[str, Any]:
    """Rasa's ``lock_store`` endpoint config (its built-in RedisLockStore) for a URL
    ``redis://[[user]:password@]host[:port][/db]``. ValueError for anything else."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    try:
        port = parts.port or 6379
    except ValueError:
        raise ValueError("must be a URL such as redis://127.0.0.1:6379/1") from None
    path = parts.path.strip("/")
    if parts.scheme not in ("redis", "rediss") or not parts.hostname or not (path == "" or path.isdigit()):
        raise ValueError("must be a URL such as redis://127.0.0.1:6379/1")
    config: dict[str, Any] = {
        "type": "redis",
        "url": parts.hostname,
        "port": port,
        "db": int(path or 1),
        "key_prefix": "peerscope",
    }
    if parts.username:
        config["username"] = unquote(parts.username)
    if parts.password:
        config["password"] = unquote(parts.password)
    if parts.scheme == "rediss":
        config["use_ssl"] = True
    return config


_KIND = {
    "type_error.integer": "must be a whole number",
    "type_error.float": "must be a number",
    "type_error.bool": "must be 1 or 0 (or true or false)",
}


def _one_line(exc: ValidationError, env: Mapping[str, str]) -> str:
    """The first problem, as "PEERSCOPE_X must be ..., not 'value'"."""
    error = exc.errors()[0]
    name = PREFIX + str(error["loc"][0]).upper()
    what = _KIND.get(error["type"]) or error["msg"]
    raw = str(env.get(name, "")).strip()
    return f"{name} {what}, not {raw[:40]!r}"


VARIABLES = tuple(PREFIX + name.upper() for name in Settings.__fields__)


@lru_cache(maxsize=32)
def _parsed(items: tuple[tuple[str, str], ...]) -> Settings | str:
    env = dict(items)
    token = _source.set(env)
    try:
        return Settings()
    except ValidationError as exc:
        return _one_line(exc, env)
    finally:
        _source.reset(token)


def load(env: Mapping[str, str] | None = None) -> Settings:
    """The settings from ``env`` (default: the process environment), parsed and checked;
    SettingError (one line naming the variable) for the first bad value."""
    env = os.environ if env is None else env
    # cached by the values it reads (tests and `peerscope run` change the environment)
    result = _parsed(tuple((name, str(value)) for name in VARIABLES if (value := env.get(name)) is not None))
    if isinstance(result, str):
        raise SettingError(result)
    return result


# --- time zone and dates ----------------------------------------------------------------------


def local_zone(env: Mapping[str, str] | None = None) -> tzinfo:
    """The zone dates are shown in: ``PEERSCOPE_TIMEZONE`` (IANA name), default UTC."""
    from zoneinfo import ZoneInfo

    name = load(env).timezone
    return ZoneInfo(name) if name else timezone.utc


def zone_label(moment: datetime) -> str:
    """The zone's short name at ``moment`` (MST, MDT, UTC)."""
    return moment.tzname() or "UTC"


def to_local(moment: datetime, env: Mapping[str, str] | None = None) -> datetime:
    """A stored time (UTC; naive means UTC, as SQLite returns it) in the local zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(local_zone(env))


def local_date(moment: datetime | date | None, env: Mapping[str, str] | None = None) -> date | None:
    """The local calendar day of a stored time (a date is returned as it is)."""
    if moment is None:
        return None
    if isinstance(moment, datetime):
        return to_local(moment, env).date()
    return moment


def now() -> datetime:
    """The current time, in UTC (one place, so tests can set the clock)."""
    return datetime.now(timezone.utc)


def local_today(env: Mapping[str, str] | None = None) -> date:
    """Today where the program is: the calendar day in PEERSCOPE_TIMEZONE."""
    return now().astimezone(local_zone(env)).date()


def show_time(moment: datetime, env: Mapping[str, str] | None = None) -> str:
    """A stored time as people read it, in the local zone: "2026-03-01 23:30 MST"."""
    local = to_local(moment, env)
    return f"{local:%Y-%m-%d %H:%M} {zone_label(local)}"


def show_date(value: date, env: Mapping[str, str] | None = None) -> str:
    """A calendar day spelled out for PEERSCOPE_LOCALE, by Babel: "Friday, November 27, 2026"
    (en_US, the default), "Friday, 27 November 2026" (en_GB). Every date PeerScope writes
    out in words (answers, deadlines, exports) comes through here."""
    from babel.dates import format_date

    return format_date(value, format="full", locale=load(env).locale)


# --- the supervisor console (`peerscope web`) -------------------------------------------------


def web_port(env: Mapping[str, str] | None = None) -> int:
    """``PEERSCOPE_WEB_PORT``: where `peerscope web` listens on 127.0.0.1 (default 5080)."""
    return load(env).web_port


def web_code_minutes(env: Mapping[str, str] | None = None) -> float:
    """``PEERSCOPE_WEB_CODE_MINUTES``: how long a console sign-in code works (default 10)."""
    return load(env).web_code_minutes


def web_session_minutes(env: Mapping[str, str] | None = None) -> float:
    """``PEERSCOPE_WEB_SESSION_MINUTES``: how long a console sign-in lasts (default 60)."""
    return load(env).web_session_minutes
