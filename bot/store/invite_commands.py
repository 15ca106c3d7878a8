"""`peerscope staff invite [list|revoke ID]`: one-time codes for signing in from Telegram (admins).

Adds ``invite`` to the ``staff`` command that bot.store.commands defines (so list this
module after it in FEATURE_MODULES); on its own it defines ``staff`` itself.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import timezone

from bot.cli_support import acting, json_option, print_json, run_as


def _staff_actions(sub) -> argparse._SubParsersAction:
    staff = sub.choices.get("staff")
    if staff is None:
        staff = sub.add_parser("staff", help="add, list and link staff members")
        staff.set_defaults(func=lambda args: staff.print_help() or 2)
    for action in staff._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return staff.add_subparsers(dest="staff_command", metavar="ACTION")


def register(sub, eval_sub) -> None:
    invite = acting(
        _staff_actions(sub).add_parser(
            "invite",
            help="print a one-time code a new staff member sends to the Telegram bot to sign in (admins)",
            epilog="`peerscope staff invite list` shows recent invites; `peerscope staff invite revoke ID` "
            "withdraws one that has not been used.",
        )
    )
    invite.add_argument(
        "--role",
        choices=["peer", "supervisor", "admin"],
        help="role of the new staff record (required unless --staff is given)",
    )
    invite.add_argument("--program", choices=["adult", "family"], help="adult or family peer support")
    invite.add_argument("--supervisor", type=int, metavar="ID", help="staff id of their supervisor")
    invite.add_argument("--name", help="their name as colleagues know it (default: their Telegram name)")
    invite.add_argument(
        "--staff",
        type=int,
        metavar="ID",
        help="link an existing staff record instead of creating one (e.g. a new phone)",
    )
    invite.add_argument(
        "--expires-hours", type=float, default=72, metavar="HOURS", help="how long the code works (default 72)"
    )
    invite.set_defaults(func=cmd_staff_invite)
    invite_sub = invite.add_subparsers(dest="invite_command", metavar="[list|revoke ID]")
    listing = acting(
        invite_sub.add_parser(
            "list", help="recent invites and whether they are open, used, " "revoked or expired (admins)"
        ),
        nested=True,
    )
    listing.add_argument("--limit", type=int, default=50)
    json_option(listing)
    listing.set_defaults(func=cmd_invite_list)
    revoke = acting(
        invite_sub.add_parser("revoke", help="withdraw an unused invite: its code is then refused " "(admins)"),
        nested=True,
    )
    revoke.add_argument("invite_id", type=int, metavar="INVITE_ID")
    revoke.set_defaults(func=cmd_invite_revoke)


def cmd_staff_invite(args: argparse.Namespace) -> int:
    from bot.store import access, invites

    if args.staff is None and args.role is None:
        print(
            "peerscope: give --role peer|supervisor|admin (or --staff ID to link an existing record)", file=sys.stderr
        )
        return 2
    made: dict = {}

    def work(session, actor):
        access.require_admin(session, actor, "invite.create", "staff_invite")
        code, invite = invites.create(
            session,
            role=args.role or "peer",
            program=args.program,
            supervisor_id=args.supervisor,
            name=args.name,
            staff_id=args.staff,
            expires_hours=args.expires_hours,
            actor_id=actor.id,
        )
        made.update(code=code, id=invite.id, expires=invite.expires_at)

    status = run_as(args, work, invalid=(invites.InviteError,))
    if status:
        return status
    code = made["code"]
    print(f"invite code: {code}")
    from bot.settings import show_time

    print(f"works once, until {show_time(made['expires'])}. The person sends this to the Telegram bot:")
    print(f"    /start {code}")
    username = os.environ.get("TELEGRAM_BOT_USERNAME")
    if username:
        print(f"or opens https://t.me/{username.lstrip('@')}?start={code}")
    print("The code is not stored (only its hash): this is the only time it is shown.")
    print(
        f"This is invite #{made['id']}; to withdraw it before it is used:  peerscope staff invite revoke {made['id']}"
    )
    return 0


def cmd_invite_list(args: argparse.Namespace) -> int:
    from bot.settings import show_time
    from bot.store import invites

    def iso(moment):
        return moment.replace(tzinfo=moment.tzinfo or timezone.utc).isoformat() if moment else None

    def work(session, actor):
        rows = invites.list_recent(session, actor, limit=args.limit)
        if args.json:  # never the code (only its hash is stored, and that is not shown either)
            print_json(
                [
                    {
                        "id": i.id,
                        "status": invites.status(i),
                        "role": i.role.value,
                        "program": i.program.value if i.program else None,
                        "name": i.name,
                        "staff_id": i.staff_id,
                        "supervisor_id": i.supervisor_id,
                        "created_by_id": i.created_by_id,
                        "created_at": iso(i.created_at),
                        "expires_at": iso(i.expires_at),
                        "used_at": iso(i.used_at),
                        "used_by_staff_id": i.used_by_staff_id,
                        "revoked_at": iso(i.revoked_at),
                    }
                    for i in rows
                ]
            )
            return
        if not rows:
            print("no invites yet")
        for invite in rows:
            who = f"staff #{invite.staff_id}" if invite.staff_id else (invite.name or "-")
            used = f" by staff #{invite.used_by_staff_id}" if invite.used_by_staff_id else ""
            print(
                f"#{invite.id}  {invites.status(invite):<8} {invite.role.value:<10} "
                f"created {show_time(invite.created_at)}, expires {show_time(invite.expires_at)}  "
                f"{who}{used}"
            )

    return run_as(args, work)


def cmd_invite_revoke(args: argparse.Namespace) -> int:
    from bot.store import invites

    def work(session, actor):
        invites.revoke(session, actor, args.invite_id)
        print(f"invite #{args.invite_id} revoked: its code no longer works")

    return run_as(args, work, invalid=(invites.InviteError,))
