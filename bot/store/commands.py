"""`peerscope db ...`, `peerscope staff ...` and `peerscope unanswered`."""

from __future__ import annotations

import argparse
import sys

from bot.cli_support import acting


def register(sub, eval_sub) -> None:
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION")
    db.set_defaults(func=lambda args: db.print_help() or 2)
    up = db_sub.add_parser("upgrade", help="create or migrate the database to the latest schema")
    up.set_defaults(func=cmd_db_upgrade)

    staff = sub.add_parser("staff", help="add, list and link staff members")
    staff_sub = staff.add_subparsers(dest="staff_command", metavar="ACTION")
    staff.set_defaults(func=lambda args: staff.print_help() or 2)
    add = staff_sub.add_parser("add", help="add a staff member")
    add.add_argument("name", help="the person's name as colleagues know it")
    add.add_argument("--role", choices=["peer", "supervisor", "admin"], default="peer")
    add.add_argument("--program", choices=["adult", "family"], help="adult or family peer support")
    add.add_argument("--supervisor", type=int, metavar="ID", help="staff id of their supervisor")
    add.add_argument("--link", metavar="CHANNEL:ID", action="append", default=[],
                     help="link a chat account, e.g. local:alice or telegram:12345")
    add.set_defaults(func=cmd_staff_add)
    lst = staff_sub.add_parser("list", help="list staff members")
    lst.set_defaults(func=cmd_staff_list)
    link = staff_sub.add_parser("link", help="link a chat account to a staff member")
    link.add_argument("staff_id", type=int)
    link.add_argument("account", metavar="CHANNEL:ID")
    link.set_defaults(func=cmd_staff_link)

    unanswered = sub.add_parser("unanswered", help="questions the policies did not cover (supervisors)")
    acting(unanswered)
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


def cmd_staff_add(args: argparse.Namespace) -> int:
    from bot.store import session_scope
    from bot.store import staff as repo

    try:
        accounts = [_split_account(a) for a in args.link]
        with session_scope() as session:
            member = repo.add(session, args.name, role=args.role, program=args.program,
                              supervisor_id=args.supervisor)
            for channel, external in accounts:
                repo.link_identity(session, member.id, channel, external)
            print(f"added staff #{member.id} ({member.role.value})")
    except (repo.StaffError, ValueError) as exc:
        print(f"peerscope: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_staff_list(args: argparse.Namespace) -> int:
    from bot.store import session_scope
    from bot.store import staff as repo

    with session_scope() as session:
        rows = repo.list_all(session)
        if not rows:
            print("no staff yet: add one with  peerscope staff add \"Name\" --role peer")
            return 0
        print(f"{'id':>4}  {'role':<10} {'program':<8} {'supervisor':<10} {'accounts':<30} name")
        for s in rows:
            accounts = ",".join(f"{i.channel}:{i.external_id}" for i in s.identities)
            program = s.program.value if s.program else "-"
            print(f"{s.id:>4}  {s.role.value:<10} {program:<8} {s.supervisor_id or '-':<10} {accounts:<30} {s.name}")
    return 0


def cmd_staff_link(args: argparse.Namespace) -> int:
    from bot.store import session_scope
    from bot.store import staff as repo

    try:
        channel, external = _split_account(args.account)
        with session_scope() as session:
            repo.link_identity(session, args.staff_id, channel, external)
    except (repo.StaffError, ValueError) as exc:
        print(f"peerscope: {exc}", file=sys.stderr)
        return 2
    print(f"linked {args.account} to staff #{args.staff_id}")
    return 0


def cmd_unanswered(args: argparse.Namespace) -> int:
    from bot.store import session_scope
    from bot.store import audit, unanswered
    from bot.store.models import Role, Staff

    with session_scope() as session:
        actor = session.get(Staff, args.actor)
        if actor is None or actor.role not in (Role.supervisor, Role.admin):
            audit.record(session, "unanswered.list", actor_id=actor.id if actor else None, outcome="denied")
            print("peerscope: only supervisors and admins can list unanswered questions", file=sys.stderr)
            return 3
        audit.record(session, "unanswered.list", actor_id=actor.id)
        rows = unanswered.list_open(session, limit=args.limit)
        if not rows:
            print("no unanswered questions")
            return 0
        for row in rows:
            who = f"staff #{row.staff_id}" if row.staff_id else "unlinked user"
            print(f"#{row.id}  {row.created_at:%Y-%m-%d %H:%M}  {who}  {row.program or '-'}\n    {row.question}")
    return 0
