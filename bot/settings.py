"""Settings read from the environment, checked in one place.

A bad value is a :class:`SettingError` whose message names the variable and what it
should be, in one line; the `peerscope` command prints it and exits 2 (bot.cli).

Times are stored in UTC; everything shown to people, and "today", is in
``PEERSCOPE_TIMEZONE`` (an IANA name such as America/Denver; default UTC).
"""

from __future__ import annotations

import os
from datetime import date, datetime, timezone, tzinfo
from typing import Mapping


class SettingError(ValueError):
    """An environment setting with a value PeerScope cannot use. The message is one line."""


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def env_number(name: str, default: float, env: Mapping[str, str] | None = None, *, integer: bool = False,
               minimum: float | None = None) -> float | int:
    """``name`` as a number (``integer``: a whole number), or ``default`` when unset or empty."""
    raw = _env(env).get(name)
    if raw is None or raw.strip() == "":
        return default
    what = "a whole number" if integer else "a number"
    try:
        value = int(raw.strip()) if integer else float(raw.strip())
    except ValueError:
        raise SettingError(f"{name} must be {what}, not {raw.strip()[:40]!r}") from None
    if value != value or value in (float("inf"), float("-inf")):  # nan, inf
        raise SettingError(f"{name} must be {what}, not {raw.strip()[:40]!r}")
    if minimum is not None and value < minimum:
        raise SettingError(f"{name} must be at least {minimum:g}, not {raw.strip()[:40]!r}")
    return value


# --- time zone ------------------------------------------------------------------------------------

def local_zone(env: Mapping[str, str] | None = None) -> tzinfo:
    """The zone dates are shown in: ``PEERSCOPE_TIMEZONE`` (IANA name), default UTC."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = (_env(env).get("PEERSCOPE_TIMEZONE") or "").strip()
    if not name:
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingError(f"PEERSCOPE_TIMEZONE must be an IANA time zone such as America/Denver, "
                           f"not {name[:40]!r}") from None


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


# --- the supervisor console (`peerscope web`) -------------------------------------------------

def web_port(env: Mapping[str, str] | None = None) -> int:
    """``PEERSCOPE_WEB_PORT``: where `peerscope web` listens on 127.0.0.1 (default 5080)."""
    port = env_number("PEERSCOPE_WEB_PORT", 5080, env, integer=True, minimum=1)
    if port > 65535:
        raise SettingError(f"PEERSCOPE_WEB_PORT must be a port number (1-65535), not {port}")
    return int(port)


def web_code_minutes(env: Mapping[str, str] | None = None) -> float:
    """``PEERSCOPE_WEB_CODE_MINUTES``: how long a console sign-in code works (default 10)."""
    return env_number("PEERSCOPE_WEB_CODE_MINUTES", 10, env, minimum=1)


def web_session_minutes(env: Mapping[str, str] | None = None) -> float:
    """``PEERSCOPE_WEB_SESSION_MINUTES``: how long a console sign-in lasts (default 60)."""
    return env_number("PEERSCOPE_WEB_SESSION_MINUTES", 60, env, minimum=1)
