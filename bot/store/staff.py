"""Staff records and the chat accounts linked to them; managing access (admins only).

A ``local`` chat identity links an OS login to a staff record: it is who the terminal
chat talks as and who the ``peerscope`` command acts as (bot.cli_support). Deactivating
someone keeps their records and links but refuses them everywhere at once:
:func:`by_identity` (every chat message) and :func:`bot.store.access.actor` (the CLI) only
ever return active staff.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.store import access, audit
from bot.store.models import ChatIdentity, Program, Role, Staff

LOCAL = "local"  # the channel of OS logins: external_id is the login name


class StaffError(ValueError):
    """A staff operation that cannot be done as asked; the message is safe to show."""


def check_profile(
    session: Session, role: str, program: str | None, supervisor_id: int | None
) -> tuple[Role, Program | None]:
    """The role and program as enums, after checking them and the supervisor; StaffError if not valid."""
    try:
        role_value = Role(role)
    except ValueError:
        raise StaffError(f"role must be one of: {', '.join(r.value for r in Role)}") from None
    try:
        program_value = Program(program) if program else None
    except ValueError:
        raise StaffError(f"program must be one of: {', '.join(p.value for p in Program)}") from None
    if supervisor_id is not None:
        supervisor = session.get(Staff, supervisor_id)
        if supervisor is None or supervisor.role not in (Role.supervisor, Role.admin):
            raise StaffError(f"staff #{supervisor_id} is not a supervisor")
    return role_value, program_value


def add(
    session: Session,
    name: str,
    role: str = "peer",
    program: str | None = None,
    supervisor_id: int | None = None,
    actor_id: int | None = None,
) -> Staff:
    """A new staff record. Does not check who asks: the command line checks for an admin
    first, an invite was created by one, and the first admin is added by :func:`bootstrap_admin`."""
    name = " ".join((name or "").split())
    if not name:
        raise StaffError("a staff member needs a name")
    if len(name) > 200:
        raise StaffError("the name is longer than 200 characters")
    role_value, program_value = check_profile(session, role, program, supervisor_id)
    staff = Staff(name=name, role=role_value, program=program_value, supervisor_id=supervisor_id)
    session.add(staff)
    session.flush()
    audit.record(
        session,
        "staff.add",
        actor_id=actor_id,
        object_type="staff",
        object_id=staff.id,
        detail={"role": role_value.value},
    )
    return staff


def list_all(session: Session) -> list[Staff]:
    return list(session.scalars(select(Staff).order_by(Staff.id)))


def by_identity(session: Session, channel: str, external_id: str, *, include_inactive: bool = False) -> Staff | None:
    """The staff member a chat account is linked to; nobody for a deactivated one unless asked."""
    query = (
        select(Staff).join(ChatIdentity).where(ChatIdentity.channel == channel, ChatIdentity.external_id == external_id)
    )
    if not include_inactive:
        query = query.where(Staff.active.is_(True))
    return session.scalar(query)


def from_sender(session: Session, sender_id: str) -> Staff | None:
    """The active staff member behind a Rasa sender id of the form ``channel:external_id``."""
    channel, sep, external = (sender_id or "").partition(":")
    if not sep or not external:
        return None
    return by_identity(session, channel, external)


def _get(session: Session, staff_id: int) -> Staff:
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise StaffError(f"no staff member #{staff_id}")
    return staff


def link_identity(
    session: Session, staff_id: int, channel: str, external_id: str, actor_id: int | None = None
) -> ChatIdentity:
    """Link a chat account to an active staff record (``actor_id``: who did it; default the
    person themselves, as when they redeem an invite). Refuses an account linked to someone else."""
    staff = _get(session, staff_id)
    if not staff.active:
        raise StaffError(f"staff #{staff_id} is deactivated")
    existing = session.scalar(
        select(ChatIdentity).where(ChatIdentity.channel == channel, ChatIdentity.external_id == external_id)
    )
    if existing is not None:
        if existing.staff_id != staff_id:
            raise StaffError(f"that {channel} account is already linked to another staff member")
        return existing
    identity = ChatIdentity(staff_id=staff_id, channel=channel, external_id=external_id)
    session.add(identity)
    session.flush()
    audit.record(
        session,
        "staff.link",
        actor_id=staff_id if actor_id is None else actor_id,
        object_type="staff",
        object_id=staff_id,
        detail={"channel": channel},
    )
    return identity


def set_program(session: Session, staff_id: int, program: str) -> Staff:
    staff = _get(session, staff_id)
    staff.program = Program(program)
    audit.record(
        session,
        "staff.program",
        actor_id=staff_id,
        object_type="staff",
        object_id=staff_id,
        detail={"program": staff.program.value},
    )
    return staff


# --- the command line's admins, and the very first one -------------------------------------------


def cli_admin_ids(session: Session) -> set[int]:
    """Active admins with an OS login linked: the people who can manage staff from the command line."""
    return set(
        session.scalars(
            select(Staff.id)
            .join(ChatIdentity)
            .where(ChatIdentity.channel == LOCAL, Staff.role == Role.admin, Staff.active.is_(True))
        )
    )


def bootstrap_open(session: Session) -> bool:
    """True while no active admin can use the command line (a fresh install, or one whose
    admins only use Telegram): then whoever runs ``peerscope`` may make themselves admin."""
    return not cli_admin_ids(session)


def _keep_a_cli_admin(session: Session, losing: int, *, unless_still: bool = False) -> None:
    """Refuse a change that would leave no admin able to use the command line (which would
    open the bootstrap to anyone who can run ``peerscope``)."""
    if cli_admin_ids(session) == {losing} and not unless_still:
        raise StaffError(
            f"staff #{losing} is the only active admin with a linked OS login: "
            "make someone else admin (and link their login) first"
        )


def move_local_login(
    session: Session, staff_id: int, login: str, actor_id: int | None = None, detail: dict | None = None
) -> ChatIdentity:
    """Point the OS login at ``staff_id`` (a login belongs to one staff member at a time).
    Does not check who asks: :func:`link_local` does, for admins; tests use it directly."""
    existing = session.scalar(
        select(ChatIdentity).where(ChatIdentity.channel == LOCAL, ChatIdentity.external_id == login)
    )
    moved_from = None
    if existing is not None:
        if existing.staff_id == staff_id:
            return existing
        moved_from = existing.staff_id
        existing.staff.identities.remove(existing)  # deleted as an orphan
        session.flush()
    identity = ChatIdentity(staff_id=staff_id, channel=LOCAL, external_id=login)
    session.add(identity)
    session.flush()
    audit.record(
        session,
        "staff.link",
        actor_id=actor_id,
        object_type="staff",
        object_id=staff_id,
        detail={"channel": LOCAL, "moved_from": moved_from, **(detail or {})},
    )
    return identity


def bootstrap_admin(session: Session, name: str, login: str, program: str | None = None) -> Staff:
    """The first admin, added by whoever runs the command while :func:`bootstrap_open`;
    their OS login is linked to the new record."""
    if not bootstrap_open(session):
        raise StaffError("an admin already manages staff from the command line: ask them")
    member = add(session, name, role="admin", program=program)
    move_local_login(session, member.id, login, actor_id=None, detail={"bootstrap": True})
    return member


def claim_admin(session: Session, staff_id: int, login: str) -> ChatIdentity:
    """While :func:`bootstrap_open`, link one's own OS login to an existing active admin
    (an install from before the command line knew its users)."""
    if not bootstrap_open(session):
        raise StaffError("an admin already manages staff from the command line: ask them")
    member = _get(session, staff_id)
    if member.role != Role.admin or not member.active:
        raise StaffError(
            "no admin can use the command line yet: link your login to an active admin "
            "first (or add one with `peerscope staff add NAME --role admin`)"
        )
    return move_local_login(session, staff_id, login, actor_id=None, detail={"bootstrap": True})


# --- managing access (admins only; every change audited with the actor) ------------------------


def deactivate(session: Session, actor: Staff, staff_id: int) -> Staff:
    """Refuse the person everywhere from their next message on; their records and links stay."""
    access.require_admin(session, actor, "staff.deactivate", "staff", staff_id)
    member = _get(session, staff_id)
    if member.active:
        _keep_a_cli_admin(session, member.id)
        member.active = False
    audit.record(session, "staff.deactivate", actor_id=actor.id, object_type="staff", object_id=staff_id)
    return member


def reactivate(session: Session, actor: Staff, staff_id: int) -> Staff:
    access.require_admin(session, actor, "staff.reactivate", "staff", staff_id)
    member = _get(session, staff_id)
    member.active = True
    audit.record(session, "staff.reactivate", actor_id=actor.id, object_type="staff", object_id=staff_id)
    return member


def unlink(session: Session, actor: Staff, staff_id: int, channel: str | None = None) -> int:
    """Remove the chat accounts (of one channel, or all) linked to a staff member; returns how many."""
    access.require_admin(session, actor, "staff.unlink", "staff", staff_id)
    member = _get(session, staff_id)
    if channel in (None, LOCAL):
        _keep_a_cli_admin(session, member.id)
    query = delete(ChatIdentity).where(ChatIdentity.staff_id == staff_id)
    if channel is not None:
        query = query.where(ChatIdentity.channel == channel)
    removed = session.execute(query.execution_options(synchronize_session="fetch")).rowcount
    session.expire(member, ["identities"])
    audit.record(
        session,
        "staff.unlink",
        actor_id=actor.id,
        object_type="staff",
        object_id=staff_id,
        detail={"channel": channel or "all", "removed": removed},
    )
    return removed


def set_role(session: Session, actor: Staff, staff_id: int, role: str) -> Staff:
    """A new role, with the same checks as adding someone (role, program, supervisor)."""
    access.require_admin(session, actor, "staff.set_role", "staff", staff_id)
    member = _get(session, staff_id)
    role_value, _ = check_profile(session, role, member.program.value if member.program else None, member.supervisor_id)
    before = member.role
    if before == Role.admin and role_value != Role.admin:
        _keep_a_cli_admin(session, member.id)
    member.role = role_value
    audit.record(
        session,
        "staff.set_role",
        actor_id=actor.id,
        object_type="staff",
        object_id=staff_id,
        detail={"from": before.value, "to": role_value.value},
    )
    return member


def link_local(session: Session, actor: Staff, staff_id: int, login: str) -> ChatIdentity:
    """Link an OS login to a staff member: the ``peerscope`` command then acts as them when
    that login runs it. A login belongs to one staff member: linking it moves it."""
    access.require_admin(session, actor, "staff.link_local", "staff", staff_id)
    login = (login or "").strip()
    if not login or len(login) > 128 or any(ch.isspace() for ch in login):
        raise StaffError("give the OS login name (as `whoami` prints it)")
    member = _get(session, staff_id)
    if not member.active:
        raise StaffError(f"staff #{staff_id} is deactivated")
    current = by_identity(session, LOCAL, login, include_inactive=True)
    if current is not None and current.id != staff_id:
        others = [i for i in current.identities if i.channel == LOCAL and i.external_id != login]
        _keep_a_cli_admin(session, current.id, unless_still=bool(others) or member.role == Role.admin)
    return move_local_login(session, staff_id, login, actor_id=actor.id)
