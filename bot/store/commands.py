"""`peerscope db ...`, `peerscope staff ...`, `peerscope audit verify` and `peerscope unanswered`.

Staff changes are for admins: the command acts as the OS login's staff profile
(bot.cli_support). On a fresh install the first admin adds themselves.
"""

from __future__ import annotations

import argparse
import sys

from bot.cli_support import acting, json_option, os_login, print_json, run_as

ROLES = ["peer", "supervisor", "admin"]


def register(sub, eval_sub) -> None:
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION")
    db.set_defaults(func=lambda args: db.print_help() or 2)
    up = db_sub.add_parser("upgrade", help="create or migrate the database to the latest schema")
    up.set_defaults(func=cmd_db_upgrade)

    staff = sub.add_parser("staff", help="add, list and link staff members; manage their access (admins)")
    staff_sub = staff.add_subparsers(dest="staff_command", metavar="ACTION")
    staff.set_defaults(func=lambda args: staff.print_help() or 2)
    add = acting(
        staff_sub.add_parser(
            "add", help="add a staff member (admins; on a fresh install, the first admin adds themselves)"
        )
    )
    add.add_argument("name", help="the person's name as colleagues know it")
    add.add_argument("--role", choices=ROLES, default="peer")
    add.add_argument("--program", choices=["adult", "family"], help="adult or family peer support")
    add.add_argument("--supervisor", type=int, metavar="ID", help="staff id of their supervisor")
    add.add_argument(
        "--link",
        metavar="CHANNEL:ID",
        action="append",
        default=[],
        help="link a chat account, e.g. local:alice or telegram:12345",
    )
    add.set_defaults(func=cmd_staff_add)
    lst = json_option(staff_sub.add_parser("list", help="list staff members"))
    lst.set_defaults(func=cmd_staff_list)
    link = acting(staff_sub.add_parser("link", help="link a chat account to a staff member (admins)"))
    link.add_argument("staff_id", type=int)
    link.add_argument("account", metavar="CHANNEL:ID")
    link.set_defaults(func=cmd_staff_link)
    local = acting(
        staff_sub.add_parser(
            "link-local",
            help="link an OS login to a staff member: `peerscope` run by that login acts as them "
            "(admins; a login belongs to one staff member, so this moves it)",
        )
    )
    local.add_argument("staff_id", type=int)
    local.add_argument("login", help="the OS login name, as `whoami` prints it")
    local.set_defaults(func=cmd_staff_link_local)
    for name, help_text in (
        ("deactivate", "refuse a staff member everywhere from their next message (admins)"),
        ("reactivate", "give a deactivated staff member their access back (admins)"),
    ):
        one = acting(staff_sub.add_parser(name, help=help_text))
        one.add_argument("staff_id", type=int)
        one.set_defaults(func=cmd_staff_access, change=name)
    unlink = acting(staff_sub.add_parser("unlink", help="remove the chat accounts linked to a staff member (admins)"))
    unlink.add_argument("staff_id", type=int)
    unlink.add_argument("--channel", metavar="CHANNEL", help="only this channel's accounts, e.g. telegram or local")
    unlink.set_defaults(func=cmd_staff_unlink)
    set_role = acting(staff_sub.add_parser("set-role", help="change a staff member's role (admins)"))
    set_role.add_argument("staff_id", type=int)
    set_role.add_argument("role", choices=ROLES)
    set_role.set_defaults(func=cmd_staff_set_role)

    audit_parser = sub.add_parser("audit", help="the audit log")
    audit_sub = audit_parser.add_subparsers(dest="audit_command", metavar="ACTION")
    audit_parser.set_defaults(func=lambda args: audit_parser.print_help() or 2)
    audit_sub.add_parser(
        "verify", help="check the audit log's hash chain: exit 1 if an entry was changed, " "removed or inserted"
    ).set_defaults(func=cmd_audit_verify)

    unanswered = sub.add_parser("unanswered", help="questions the policies did not cover (supervisors)")
    json_option(acting(unanswered))
    unanswered.add_argument("--limit", type=int, default=50)
    unanswered.set_defaults(func=cmd_unanswered)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from bot.store.db import current_revision, database_url, upgrade

    upgrade()
    print(f"database is at revision {current_revision()} ({_safe_url(database_url())})")
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _split_account(account: str) -> tuple[str, str]:
    channel, sep, external = account.partition(":")
    if not sep or not channel or not external:
        raise ValueError(f"'{account}' is not CHANNEL:ID (for example local:alice or telegram:12345)")
    return channel, external


def _staff_errors():
    from bot.store.staff import StaffError

    return (StaffError, ValueError)


def cmd_staff_add(args: argparse.Namespace) -> int:
    from bot.store import access, session_scope
    from bot.store import staff as repo

    try:
        accounts = [_split_account(a) for a in args.link]
        with session_scope() as session:
            if args.actor is None and repo.bootstrap_open(session):
                return _add_first_admin(session, args, accounts)
    except _staff_errors() as exc:
        print(f"peerscope: {exc}", file=sys.stderr)
        return 2

    def work(session, actor):
        access.require_admin(session, actor, "staff.add", "staff")
        member = repo.add(
            session, args.name, role=args.role, program=args.program, supervisor_id=args.supervisor, actor_id=actor.id
        )
        for channel, external in accounts:
            repo.link_identity(session, member.id, channel, external, actor_id=actor.id)
        print(f"added staff #{member.id} ({member.role.value})")

    return run_as(args, work, invalid=_staff_errors())


def _add_first_admin(session, args: argparse.Namespace, accounts: list[tuple[str, str]]) -> int:
    """No admin can use the command line yet: the first one is whoever runs this, as admin."""
    from bot.store import staff as repo

    if args.role != "admin":
        print(
            "peerscope: no admin can use the command line yet: add yourself first, with "
            '`peerscope staff add "Your Name" --role admin`',
            file=sys.stderr,
        )
        return 2
    login = os_login()
    member = repo.bootstrap_admin(session, args.name, login, program=args.program)
    for channel, external in accounts:
        repo.link_identity(session, member.id, channel, external, actor_id=member.id)
    print(
        f"added staff #{member.id} (admin) and linked your OS login '{login}' to it: "
        "from now on only an admin can manage staff"
    )
    return 0


def cmd_staff_list(args: argparse.Namespace) -> int:
    from bot.store import session_scope
    from bot.store import staff as repo

    with session_scope() as session:
        rows = repo.list_all(session)
        if args.json:
            print_json(
                [
                    {
                        "id": s.id,
                        "name": s.name,
                        "role": s.role.value,
                        "program": s.program.value if s.program else None,
                        "supervisor_id": s.supervisor_id,
                        "active": s.active,
                        "accounts": [f"{i.channel}:{i.external_id}" for i in s.identities],
                    }
                    for s in rows
                ]
            )
            return 0
        if not rows:
            print('no staff yet: add yourself first, as admin:  peerscope staff add "Your Name" --role admin')
            return 0
        print(f"{'id':>4}  {'role':<10} {'program':<8} {'supervisor':<10} {'accounts':<30} name")
        for s in rows:
            accounts = ",".join(f"{i.channel}:{i.external_id}" for i in s.identities)
            program = s.program.value if s.program else "-"
            name = s.name if s.active else f"{s.name} (deactivated)"
            print(f"{s.id:>4}  {s.role.value:<10} {program:<8} {s.supervisor_id or '-':<10} {accounts:<30} {name}")
    return 0


def cmd_staff_link(args: argparse.Namespace) -> int:
    from bot.store import access
    from bot.store import staff as repo

    def work(session, actor):
        channel, external = _split_account(args.account)
        access.require_admin(session, actor, "staff.link", "staff", args.staff_id)
        repo.link_identity(session, args.staff_id, channel, external, actor_id=actor.id)
        print(f"linked {args.account} to staff #{args.staff_id}")

    return run_as(args, work, invalid=_staff_errors())


def cmd_staff_link_local(args: argparse.Namespace) -> int:
    from bot.store import session_scope
    from bot.store import staff as repo

    try:
        with session_scope() as session:
            if args.actor is None and repo.bootstrap_open(session) and args.login == os_login():
                repo.claim_admin(session, args.staff_id, args.login)
                print(
                    f"linked your OS login '{args.login}' to admin #{args.staff_id}: "
                    "from now on only an admin can manage staff"
                )
                return 0
    except _staff_errors() as exc:
        print(f"peerscope: {exc}", file=sys.stderr)
        return 2

    def work(session, actor):
        repo.link_local(session, actor, args.staff_id, args.login)
        print(f"linked OS login '{args.login}' to staff #{args.staff_id}")

    return run_as(args, work, invalid=_staff_errors())


def cmd_staff_access(args: argparse.Namespace) -> int:
    from bot.store import staff as repo

    def work(session, actor):
        change = repo.deactivate if args.change == "deactivate" else repo.reactivate
        member = change(session, actor, args.staff_id)
        print(f"staff #{member.id} is {'active' if member.active else 'deactivated'}")

    return run_as(args, work, invalid=_staff_errors())


def cmd_staff_unlink(args: argparse.Namespace) -> int:
    from bot.store import staff as repo

    def work(session, actor):
        removed = repo.unlink(session, actor, args.staff_id, args.channel)
        which = f"{args.channel} " if args.channel else ""
        print(f"removed {removed} linked {which}account(s) from staff #{args.staff_id}")

    return run_as(args, work, invalid=_staff_errors())


def cmd_staff_set_role(args: argparse.Namespace) -> int:
    from bot.store import staff as repo

    def work(session, actor):
        member = repo.set_role(session, actor, args.staff_id, args.role)
        print(f"staff #{member.id} is now {member.role.value}")

    return run_as(args, work, invalid=_staff_errors())


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Needs no actor: it prints a count and at most an entry id, and must work even when
    the staff records themselves are in doubt."""
    from bot.store import audit, session_scope

    with session_scope() as session:
        result = audit.verify(session)
    print(result.message())
    return 0 if result.ok else 1


def cmd_unanswered(args: argparse.Namespace) -> int:
    from bot.store import access, audit, unanswered
    from bot.store.models import Role

    def work(session, actor):
        if actor.role not in (Role.supervisor, Role.admin):
            access.deny(
                session,
                "unanswered.list",
                "only supervisors and admins can list unanswered questions",
                actor_id=actor.id,
            )
        audit.record(session, "unanswered.list", actor_id=actor.id)
        rows = unanswered.list_open(session, actor, limit=args.limit)
        if args.json:
            print_json(
                [
                    {
                        "id": r.id,
                        "created_at": r.created_at,
                        "staff_id": r.staff_id,
                        "program": r.program,
                        "question": r.question,
                    }
                    for r in rows
                ]
            )
            return 0
        if not rows:
            print("no unanswered questions")
            return 0
        for row in rows:
            who = f"staff #{row.staff_id}" if row.staff_id else "unlinked user"
            print(f"#{row.id}  {row.created_at:%Y-%m-%d %H:%M}  {who}  {row.program or '-'}\n    {row.question}")
        return 0

    return run_as(args, work)
