"""`peerscope onboarding status`: onboarding progress and quiz scores from the command line.

A supervisor sees their supervisees (an admin every peer), a peer sees their own;
`--staff ID` picks one person. The same access checks and audit entries apply as in chat.
"""

from __future__ import annotations

import argparse
import json

from bot.cli_support import acting, run_as


def register(sub, eval_sub) -> None:
    onboarding = sub.add_parser("onboarding", help="onboarding progress and quiz scores")
    onboarding_sub = onboarding.add_subparsers(dest="onboarding_command", metavar="ACTION")
    onboarding.set_defaults(func=lambda args: onboarding.print_help() or 2)
    status = onboarding_sub.add_parser(
        "status", help="module progress and quiz scores: your team's (supervisors) or your own"
    )
    acting(status)
    status.add_argument("--staff", type=int, metavar="ID", help="only this staff member (yourself or a supervisee)")
    status.add_argument("--json", action="store_true", help="print JSON (one object per staff member, in a list)")
    status.set_defaults(func=cmd_status)


def cmd_status(args: argparse.Namespace) -> int:
    from bot.onboarding import render, service
    from bot.store.models import Role

    statuses = []

    def work(session, actor):
        if args.staff is not None or actor.role == Role.peer:
            statuses.append(service.status(session, actor, args.staff))
        else:
            statuses.extend(service.team_status(session, actor))

    code = run_as(args, work)
    if code:
        return code
    if args.json:
        print(json.dumps([s.to_dict() for s in statuses], ensure_ascii=False, indent=2))
    elif not statuses:
        print("no supervisees yet (add them with `peerscope staff add NAME --supervisor ID`)")
    else:
        print("\n\n".join(render.status(s) for s in statuses))
    return 0
