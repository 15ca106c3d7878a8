"""`peerscope staff invite`: a one-time code for signing in from Telegram.

Adds ``invite`` to the ``staff`` command that bot.store.commands defines (so list this
module after it in FEATURE_MODULES); on its own it defines ``staff`` itself.
"""

from __future__ import annotations

import argparse
import os
import sys


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
    invite = _staff_actions(sub).add_parser(
        "invite", help="print a one-time code a new staff member sends to the Telegram bot to sign in")
    invite.add_argument("--role", choices=["peer", "supervisor", "admin"],
                        help="role of the new staff record (required unless --staff is given)")
    invite.add_argument("--program", choices=["adult", "family"], help="adult or family peer support")
    invite.add_argument("--supervisor", type=int, metavar="ID", help="staff id of their supervisor")
    invite.add_argument("--name", help="their name as colleagues know it (default: their Telegram name)")
    invite.add_argument("--staff", type=int, metavar="ID",
                        help="link an existing staff record instead of creating one (e.g. a new phone)")
    invite.add_argument("--expires-hours", type=float, default=72, metavar="HOURS",
                        help="how long the code works (default 72)")
    invite.set_defaults(func=cmd_staff_invite)


def cmd_staff_invite(args: argparse.Namespace) -> int:
    from bot.store import invites, session_scope

    if args.staff is None and args.role is None:
        print("peerscope: give --role peer|supervisor|admin (or --staff ID to link an existing record)",
              file=sys.stderr)
        return 2
    try:
        with session_scope() as session:
            code, invite = invites.create(
                session, role=args.role or "peer", program=args.program, supervisor_id=args.supervisor,
                name=args.name, staff_id=args.staff, expires_hours=args.expires_hours,
            )
            expires = invite.expires_at
    except invites.InviteError as exc:
        print(f"peerscope: {exc}", file=sys.stderr)
        return 2
    print(f"invite code: {code}")
    print(f"works once, until {expires:%Y-%m-%d %H:%M} UTC. The person sends this to the Telegram bot:")
    print(f"    /start {code}")
    username = os.environ.get("TELEGRAM_BOT_USERNAME")
    if username:
        print(f"or opens https://t.me/{username.lstrip('@')}?start={code}")
    print("The code is not stored (only its hash): this is the only time it is shown.")
    return 0
