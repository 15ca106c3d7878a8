"""Signing in to the supervisor console: one-time codes and browser sessions.

- An admin runs ``peerscope staff web-code STAFF_ID`` and hands the printed code over
  (:func:`issue_code`). Codes use the invite alphabet (about 59 bits), only their SHA-256
  is stored, they expire after ``PEERSCOPE_WEB_CODE_MINUTES`` and work once (claimed with
  a conditional update, so two simultaneous uses cannot both win).
- :func:`sign_in` turns a code into a session: a random token for the cookie, of which
  only the SHA-256 is stored, expiring after ``PEERSCOPE_WEB_SESSION_MINUTES``.
- :func:`session_staff` finds the active staff member behind a cookie, fresh from the
  database on every request; expired, revoked or unknown tokens give None.
- CSRF tokens are an HMAC of the session token under a key derived from the installation
  key (:func:`csrf_token`), so a token is valid for one session only.

Every sign-in, success or failure, and every sign-out is audited (never the code).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.store import access, audit
from bot.store.invites import hash_code, new_code, normalize_code
from bot.store.models import Role, Staff, WebCode, WebSession, utcnow

REFUSED = "That code isn't valid or has expired. Ask your admin for a new one."


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_code(
    session: Session, actor: Staff, staff_id: int, minutes: float | None, now: datetime | None
) -> tuple[str, WebCode]:
    from bot.settings import web_code_minutes

    now = now or utcnow()
    code = new_code()
    row = WebCode(
        staff_id=staff_id,
        code_hash=hash_code(code),
        created_by_id=actor.id,
        created_at=now,
        expires_at=now + timedelta(minutes=minutes or web_code_minutes()),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        "web.code",
        actor_id=actor.id,
        object_type="staff",
        object_id=staff_id,
        detail={"self": actor.id == staff_id},
    )
    return code, row


def issue_code(
    session: Session, actor: Staff, staff_id: int, minutes: float | None = None, now: datetime | None = None
) -> tuple[str, WebCode]:
    """A new console code for ``staff_id`` (admins only). Returns the code, shown once."""
    access.require_admin(session, actor, "web.code", "staff", staff_id)
    member = session.get(Staff, staff_id)
    if member is None or not member.active:
        raise access.NotFound(f"no active staff member #{staff_id}")
    return _new_code(session, actor, staff_id, minutes, now)


def issue_own_code(session: Session, actor: Staff, minutes: float | None = None) -> tuple[str, WebCode]:
    """A console code for the actor themself, asked for from their linked chat account (the
    Telegram bridge's /webcode). Supervisors and admins only: the console has nothing for peers."""
    if actor.role not in (Role.supervisor, Role.admin):
        access.deny(
            session,
            "web.code",
            "the console is for supervisors and admins",
            actor_id=actor.id,
            object_type="staff",
            object_id=actor.id,
        )
    return _new_code(session, actor, actor.id, minutes, None)


def own_code_message(staff_id: int) -> str:
    """What the Telegram bridge answers to /webcode from a signed-in account (its own transaction)."""
    from bot.settings import web_code_minutes
    from bot.store.db import session_scope

    try:
        with session_scope() as session:
            code, _ = issue_own_code(session, access.actor(session, staff_id))
    except access.AccessDenied:
        return "The PeerScope console is for supervisors and admins. Your notes and plans are here in the chat."
    return (
        f"Your one-time code for the PeerScope console: {code}\nIt works once, for "
        f"{web_code_minutes():g} minutes. Don't share it; if you didn't ask for it, tell your admin."
    )


@dataclass(frozen=True)
class SignIn:
    ok: bool
    token: str | None = None  # for the cookie
    staff_id: int | None = None
    reason: str | None = None  # unknown | used | expired | inactive


def _claim(session: Session, code: str, now: datetime) -> tuple[WebCode | None, str | None]:
    row = None
    if normalize_code(code):
        row = session.scalar(select(WebCode).where(WebCode.code_hash == hash_code(code)))
    if row is None:
        return None, "unknown"
    if row.used_at is not None:
        return row, "used"
    if _aware(row.expires_at) <= now:
        return row, "expired"
    claimed = session.execute(
        update(WebCode)
        .where(WebCode.id == row.id, WebCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        return row, "used"
    member = session.get(Staff, row.staff_id)
    if member is None or not member.active:
        return row, "inactive"
    return row, None


def sign_in(session: Session, code: str, now: datetime | None = None, minutes: float | None = None) -> SignIn:
    """Redeem a code for a new session. A refusal is audited and committed at once."""
    from bot.settings import web_session_minutes

    now = now or utcnow()
    row, reason = _claim(session, code, now)
    if reason is not None:
        audit.record(
            session,
            "web.signin",
            actor_id=row.staff_id if row else None,
            object_type="staff",
            object_id=row.staff_id if row else None,
            outcome="denied",
            detail={"reason": reason},
            channel="web",
        )
        session.commit()
        return SignIn(False, reason=reason)
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=_token_hash(token),
            staff_id=row.staff_id,
            created_at=now,
            expires_at=now + timedelta(minutes=minutes or web_session_minutes()),
        )
    )
    audit.record(
        session, "web.signin", actor_id=row.staff_id, object_type="staff", object_id=row.staff_id, channel="web"
    )
    session.commit()
    return SignIn(True, token=token, staff_id=row.staff_id)


def record_refusal(session: Session, reason: str) -> None:
    """A sign-in refused before any code was looked at (rate limit, bad form)."""
    audit.record(session, "web.signin", actor_id=None, outcome="denied", detail={"reason": reason}, channel="web")
    session.commit()


def session_staff(session: Session, token: str | None, now: datetime | None = None) -> Staff | None:
    """The active staff member a cookie's token belongs to, or None (unknown, expired,
    signed out, or the person was deactivated)."""
    if not token:
        return None
    row = session.scalar(select(WebSession).where(WebSession.token_hash == _token_hash(token)))
    if row is None or row.revoked_at is not None or _aware(row.expires_at) <= (now or utcnow()):
        return None
    member = session.get(Staff, row.staff_id)
    return member if member is not None and member.active else None


def sign_out(session: Session, token: str | None) -> None:
    if not token:
        return
    row = session.scalar(select(WebSession).where(WebSession.token_hash == _token_hash(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(
            session, "web.signout", actor_id=row.staff_id, object_type="staff", object_id=row.staff_id, channel="web"
        )


def csrf_token(session_token: str) -> str:
    """The form token for one session (an HMAC under a key derived from the installation key)."""
    from bot.auth import derived_key

    return hmac.new(derived_key("web-csrf").encode(), session_token.encode(), hashlib.sha256).hexdigest()


def csrf_ok(session_token: str | None, submitted: str | None) -> bool:
    return bool(session_token and submitted) and hmac.compare_digest(csrf_token(session_token), submitted)
