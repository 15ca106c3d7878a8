"""One-time invite codes that let a staff member sign in from a chat channel.

An admin runs ``peerscope staff invite`` and hands the printed code to the person; they
send ``/start CODE`` to the Telegram bot, and their account is linked to a new staff
record (or to an existing one, if the invite names it). Only the SHA-256 of a code is
stored: the code is random (about 59 bits), so a plain hash is enough, and a leaked
database does not leak usable codes. Codes expire, each works once, and an admin can
revoke one that has not been used (``peerscope staff invite revoke ID``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.store import access, audit
from bot.store import staff as staff_repo
from bot.store.models import Staff, StaffInvite, utcnow

# No 0/O, 1/I/L: codes are read aloud and typed on phones.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_GROUPS, GROUP_LEN = 3, 4
DEFAULT_EXPIRES_HOURS = 72
MAX_EXPIRES_HOURS = 24 * 30


class InviteError(ValueError):
    """An invite cannot be created as asked; the message is safe to show."""


class InviteRefused(Exception):
    """A code was not accepted. ``reason`` is one of unknown, used, expired, revoked,
    already_linked, inactive; the message is safe to show to the person who sent the code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


REFUSALS = {
    "unknown": "That invite code isn't valid. Check it for typos, or ask your admin for a new one.",
    "used": "That invite code has already been used. Each code works once: ask your admin for a new one.",
    "expired": "That invite code has expired. Ask your admin for a new one.",
    "revoked": "That invite code has been withdrawn. Ask your admin for a new one.",
    "already_linked": "This account is already signed in to PeerScope. Type /help to see what I can do.",
    "inactive": "That staff record is no longer active. Please talk to your admin.",
}


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_GROUPS * GROUP_LEN))
    return "-".join(raw[i : i + GROUP_LEN] for i in range(0, len(raw), GROUP_LEN))


def normalize_code(code: str) -> str:
    """Upper-case, without spaces or dashes, so "abcd efgh-jkmn" matches ABCD-EFGH-JKMN."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def hash_code(code: str) -> str:
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything here is stored in UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


def create(
    session: Session,
    role: str = "peer",
    program: str | None = None,
    supervisor_id: int | None = None,
    name: str | None = None,
    staff_id: int | None = None,
    expires_hours: float = DEFAULT_EXPIRES_HOURS,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> tuple[str, StaffInvite]:
    """A new invite. Returns the code (shown once, never stored) and the invite row."""
    if not 0 < expires_hours <= MAX_EXPIRES_HOURS:
        raise InviteError(f"--expires-hours must be between 1 and {MAX_EXPIRES_HOURS}")
    if staff_id is not None:
        member = session.get(Staff, staff_id)
        if member is None or not member.active:
            raise InviteError(f"no active staff member #{staff_id}")
        role_value, program_value, supervisor_id = member.role, member.program, member.supervisor_id
    else:
        try:
            role_value, program_value = staff_repo.check_profile(session, role, program, supervisor_id)
        except staff_repo.StaffError as exc:
            raise InviteError(str(exc)) from None
    name = " ".join((name or "").split()) or None
    if name and len(name) > 200:
        raise InviteError("the name is longer than 200 characters")
    now = now or utcnow()
    code = new_code()
    invite = StaffInvite(
        code_hash=hash_code(code),
        role=role_value,
        program=program_value,
        supervisor_id=supervisor_id,
        name=name,
        staff_id=staff_id,
        created_by_id=actor_id,
        created_at=now,
        expires_at=now + timedelta(hours=expires_hours),
    )
    session.add(invite)
    session.flush()
    audit.record(
        session,
        "invite.create",
        actor_id=actor_id,
        object_type="staff_invite",
        object_id=invite.id,
        detail={"role": role_value.value, "existing_staff": staff_id is not None},
    )
    return code, invite


def redeem(
    session: Session,
    code: str,
    channel: str,
    external_id: str,
    display_name: str | None = None,
    now: datetime | None = None,
) -> Staff:
    """Use a code to link ``channel:external_id`` to a staff record. Raises InviteRefused."""
    now = now or utcnow()
    invite = None
    if normalize_code(code):
        invite = session.scalar(select(StaffInvite).where(StaffInvite.code_hash == hash_code(code)))
    if invite is None:
        raise InviteRefused("unknown", REFUSALS["unknown"])
    if invite.used_at is not None:
        raise InviteRefused("used", REFUSALS["used"])
    if invite.revoked_at is not None:
        raise InviteRefused("revoked", REFUSALS["revoked"])
    if _aware(invite.expires_at) <= now:
        raise InviteRefused("expired", REFUSALS["expired"])
    linked = staff_repo.by_identity(session, channel, external_id, include_inactive=True)
    if linked is not None:  # a deactivated person does not get back in with a new code
        reason = "already_linked" if linked.active else "inactive"
        raise InviteRefused(reason, REFUSALS[reason])
    # Claim the code with a conditional update, so two simultaneous uses cannot both win,
    # and a revocation that lands in between wins over the use.
    claimed = session.execute(
        update(StaffInvite)
        .where(StaffInvite.id == invite.id, StaffInvite.used_at.is_(None), StaffInvite.revoked_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        revoked = session.scalar(select(StaffInvite.revoked_at).where(StaffInvite.id == invite.id))
        reason = "revoked" if revoked is not None else "used"
        raise InviteRefused(reason, REFUSALS[reason])
    if invite.staff_id is not None:
        member = session.get(Staff, invite.staff_id)
        if member is None or not member.active:
            raise InviteRefused("inactive", REFUSALS["inactive"])
    else:
        name = invite.name or display_name or f"{channel} user {external_id}"
        member = staff_repo.add(
            session,
            name[:200],
            role=invite.role.value,
            program=invite.program.value if invite.program else None,
            supervisor_id=invite.supervisor_id,
        )
    staff_repo.link_identity(session, member.id, channel, external_id)
    session.execute(
        update(StaffInvite)
        .where(StaffInvite.id == invite.id)
        .values(used_by_staff_id=member.id)
        .execution_options(synchronize_session=False)
    )
    audit.record(
        session,
        "invite.redeem",
        actor_id=member.id,
        object_type="staff_invite",
        object_id=invite.id,
        detail={"channel": channel},
    )
    return member


def status(invite: StaffInvite, now: datetime | None = None) -> str:
    """open, used, revoked or expired."""
    if invite.used_at is not None:
        return "used"
    if invite.revoked_at is not None:
        return "revoked"
    return "expired" if _aware(invite.expires_at) <= (now or utcnow()) else "open"


def list_recent(session: Session, actor: Staff, limit: int = 50) -> list[StaffInvite]:
    """The newest invites, for an admin (to find the one to revoke)."""
    access.require_admin(session, actor, "invite.list", "staff_invite")
    rows = list(session.scalars(select(StaffInvite).order_by(StaffInvite.id.desc()).limit(limit)))
    audit.record(session, "invite.list", actor_id=actor.id, object_type="staff_invite", detail={"count": len(rows)})
    return rows


def revoke(session: Session, actor: Staff, invite_id: int, now: datetime | None = None) -> StaffInvite:
    """Withdraw an unused invite: its code is then refused like an expired one. Admins only."""
    access.require_admin(session, actor, "invite.revoke", "staff_invite", invite_id)
    invite = session.get(StaffInvite, invite_id)
    if invite is None:
        raise InviteError(f"no invite #{invite_id}")
    if invite.revoked_at is not None:
        raise InviteError(f"invite #{invite_id} is already revoked")
    # conditional, so a code being redeemed at this moment is either used or revoked, not both
    revoked = session.execute(
        update(StaffInvite)
        .where(StaffInvite.id == invite_id, StaffInvite.used_at.is_(None), StaffInvite.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(invite)
    if revoked != 1:
        raise InviteError(
            f"invite #{invite_id} was already used (by staff #{invite.used_by_staff_id}); "
            "to take that access away use `peerscope staff unlink` or `peerscope staff deactivate`"
        )
    audit.record(session, "invite.revoke", actor_id=actor.id, object_type="staff_invite", object_id=invite_id)
    return invite


@dataclass(frozen=True)
class SignIn:
    ok: bool
    message: str
    staff_id: int | None = None
    reason: str | None = None


def sign_in(
    code: str, channel: str, external_id: str, display_name: str | None = None, url: str | None = None
) -> SignIn:
    """Redeem a code in a transaction of its own; a refusal is audited (without the code)."""
    from bot.store.db import session_scope

    try:
        with session_scope(url) as session:
            member = redeem(session, code, channel, external_id, display_name)
            first = member.name.split()[0]
            role = member.role.value
            staff_id = member.id
    except InviteRefused as refused:
        with session_scope(url) as session:
            audit.record(
                session,
                "invite.redeem",
                actor_id=None,
                object_type="staff_invite",
                outcome="denied",
                detail={"channel": channel, "reason": refused.reason},
            )
        return SignIn(False, str(refused), reason=refused.reason)
    return SignIn(True, f"Welcome to PeerScope, {first}. You're signed in as {role}.", staff_id=staff_id)
