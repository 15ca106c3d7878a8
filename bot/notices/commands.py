"""`peerscope reminders run`: one pass of the reminders, for agencies that schedule it
(cron, a systemd timer). It queues them in the database; the Telegram bridge (the only
process with the bot token) sends them, and runs the same pass itself on its timer."""

from __future__ import annotations

import argparse


def register(sub, eval_sub) -> None:
    reminders = sub.add_parser("reminders", help="WRSP deadlines and notes waiting for review: queue the reminders")
    reminders_sub = reminders.add_subparsers(dest="reminders_command", metavar="ACTION")
    reminders.set_defaults(func=lambda args: reminders.print_help() or 2)
    run = reminders_sub.add_parser(
        "run",
        help="queue every reminder that is due, once (the Telegram bridge sends them)",
        description="Queues, once each: WRSP plans due within 7 days or overdue (to the peer; overdue also to "
        "their supervisor) and notes waiting in a supervisor's queue. Running it again sends "
        "nothing twice. Dates are in PEERSCOPE_TIMEZONE.",
    )
    run.set_defaults(func=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    from bot.notices import service
    from bot.store import session_scope

    with session_scope() as session:
        result = service.run_pass(session)
    print(
        f"queued {result.total} reminder(s): {result.due_soon} plan(s) due soon, {result.overdue} overdue, "
        f"{result.notes_waiting} note(s) waiting for review"
    )
    return 0
