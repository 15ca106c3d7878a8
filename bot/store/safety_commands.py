"""`peerscope alerts list|ack` (supervisors) and `peerscope retention [--dry-run]`."""

from __future__ import annotations

import argparse
import json
import sys

from bot.cli_support import acting, json_option, print_json, run_as


def register(sub, eval_sub) -> None:
    alerts = sub.add_parser("alerts", help="risk alerts raised in chat or by a checked note (supervisors)")
    alerts_sub = alerts.add_subparsers(dest="alerts_command", metavar="ACTION")
    alerts.set_defaults(func=lambda args: alerts.print_help() or 2)
    lst = json_option(acting(alerts_sub.add_parser("list", help="open risk alerts of your supervisees")))
    lst.add_argument("--all", action="store_true", help="include acknowledged alerts")
    lst.set_defaults(func=cmd_alerts_list)
    ack = acting(alerts_sub.add_parser("ack", help="acknowledge (close) a risk alert"))
    ack.add_argument("alert_id", type=int, metavar="ID")
    ack.set_defaults(func=cmd_alerts_ack)

    ret = sub.add_parser(
        "retention",
        help="delete notes and plans past the retention period (PEERSCOPE_RETENTION_YEARS, default 7) "
        "and conversation events past PEERSCOPE_CONVERSATION_DAYS (default 90)",
    )
    ret.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
    ret.add_argument("--json", action="store_true")
    ret.set_defaults(func=cmd_retention)


def cmd_alerts_list(args: argparse.Namespace) -> int:
    from bot.store import alerts
    from bot.store.models import Staff

    def work(session, actor):
        rows = alerts.visible(session, actor, include_acknowledged=args.all)
        if args.json:
            print_json(
                [
                    {
                        "id": r.id,
                        "staff_id": r.staff_id,
                        "about": r.about,
                        "source": r.source,
                        "created_at": r.created_at,
                        "acknowledged_at": r.acknowledged_at,
                        "notify_count": r.notify_count,
                        "escalated_at": r.escalated_at,
                    }
                    for r in rows
                ]
            )
            return 0
        if not rows:
            print("no open risk alerts" if not args.all else "no risk alerts")
            return 0
        names = {s.id: s.name for s in session.query(Staff).filter(Staff.id.in_({r.staff_id for r in rows}))}
        for row in rows:
            print(alerts.describe(row, names))
        return 0

    return run_as(args, work)


def cmd_alerts_ack(args: argparse.Namespace) -> int:
    from bot.store import alerts

    def work(session, actor):
        alert = alerts.acknowledge(session, actor, args.alert_id)
        print(f"risk alert #{alert.id} acknowledged")
        return 0

    return run_as(args, work)


def cmd_retention(args: argparse.Namespace) -> int:
    from bot.store import session_scope
    from bot.store.retention import RetentionError, Settings, prune

    try:
        settings = Settings.from_env()
    except RetentionError as exc:
        print(f"peerscope: {exc}", file=sys.stderr)
        return 2
    with session_scope() as session:
        report = prune(session, settings, dry_run=args.dry_run)
    if args.json:
        print(json.dumps(report.to_dict()))
        return 0
    verb = "would delete" if args.dry_run else "deleted"
    print(
        f"records older than {settings.record_years:g} years (last change before {report.records_before}): "
        f"{verb} {report.notes} note(s) and {report.plans} plan(s)"
    )
    if report.tracker_checked:
        print(
            f"conversation events older than {settings.conversation_days:g} days "
            f"(before {report.events_before}): {verb} {report.tracker_events}"
        )
    else:
        print("conversation events: no tracker store found, nothing to do")
    if not args.dry_run:
        print("the audit log keeps a record of this prune (counts only)")
    return 0
