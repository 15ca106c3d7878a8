"""`peerscope web`, `peerscope staff web-code` and `peerscope report weekly`."""

from __future__ import annotations

import argparse
import sys

from bot.cli_support import acting, run_as


def register(sub, eval_sub) -> None:
    from bot.store.invite_commands import _staff_actions

    web = sub.add_parser(
        "web", help="the supervisor console in the browser, on 127.0.0.1 " "(sign in with `peerscope staff web-code`)"
    )
    web.add_argument("--port", type=int, default=None, help="port on 127.0.0.1 (default PEERSCOPE_WEB_PORT or 5080)")
    web.set_defaults(func=cmd_web)

    code = acting(
        _staff_actions(sub).add_parser("web-code", help="print a one-time code for signing in to the console (admins)")
    )
    code.add_argument("staff_id", type=int, metavar="STAFF_ID")
    code.add_argument(
        "--minutes", type=float, default=None, help="how long the code works (default PEERSCOPE_WEB_CODE_MINUTES or 10)"
    )
    code.set_defaults(func=cmd_web_code)

    report = sub.add_parser("report", help="reports for supervision meetings")
    report_sub = report.add_subparsers(dest="report_command", metavar="WHICH")
    report.set_defaults(func=lambda args: report.print_help() or 2)
    weekly = acting(
        report_sub.add_parser(
            "weekly", help="the console's insights page as a file (supervisors: your team; admins: everyone)"
        )
    )
    weekly.add_argument("--format", choices=["html", "pdf"], default="html")
    weekly.add_argument("--out", required=True, metavar="FILE", help="file to write (owner-only)")
    weekly.add_argument("--start", metavar="YYYY-MM-DD", help="first day (default: 27 days before --end)")
    weekly.add_argument("--end", metavar="YYYY-MM-DD", help="last day (default: today)")
    weekly.add_argument("--force", action="store_true", help="replace FILE if it exists")
    weekly.set_defaults(func=cmd_report_weekly)


def cmd_web(args: argparse.Namespace) -> int:
    from bot.channels.servers import port_busy, port_holder
    from bot.settings import web_port
    from bot.store.db import schema_problem

    port = args.port if args.port is not None else web_port()
    if not 0 < port < 65536:
        print(f"peerscope: --port must be 1-65535, not {port}", file=sys.stderr)
        return 2
    problem = schema_problem()
    if problem:
        print(f"peerscope: {problem}", file=sys.stderr)
        return 2
    if port_busy(port):
        holder = port_holder(port)
        print(
            f"peerscope: port {port} is already in use"
            + (f" by {holder}" if holder else "")
            + "; choose another with --port or PEERSCOPE_WEB_PORT",
            file=sys.stderr,
        )
        return 2
    from bot.web.app import serve

    print(f"[peerscope] console on http://127.0.0.1:{port}/ (Ctrl-C stops)", flush=True)
    serve(port)
    return 0


def cmd_web_code(args: argparse.Namespace) -> int:
    from bot.store import web_auth

    def work(session, actor):
        code, row = web_auth.issue_code(session, actor, args.staff_id, minutes=args.minutes)
        print(code)
        print(
            f"one-time console code for staff #{args.staff_id}, valid until "
            f"{_shown(row.expires_at)}; sign in at the console's /signin page",
            file=sys.stderr,
        )

    return run_as(args, work)


def _shown(moment) -> str:
    from bot.settings import show_time

    return show_time(moment)


def cmd_report_weekly(args: argparse.Namespace) -> int:
    from bot.files import FileExists, write_private
    from bot.settings import local_today
    from bot.store import insights as ins
    from bot.web.report import render
    from bot.wrsp.service import plans_due

    out: dict = {}

    def work(session, actor):
        start, end = ins.parse_range(args.start, args.end, local_today())
        out["data"] = render(ins.build(session, actor, start, end, plans_due=plans_due), args.format)

    status = run_as(args, work, invalid=(ins.RangeError,))
    if status:
        return status
    try:
        write_private(args.out, out["data"], force=args.force)
    except FileExists as exc:
        print(f"peerscope: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"peerscope: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"weekly report written to {args.out}", file=sys.stderr)
    return 0


def start_console_process(port: int, log_dir=None):
    """`peerscope web` as a child process (used by `peerscope run`); stop it with
    :func:`stop_console_process`. Its output goes to ``log_dir``/web.log (no access log)."""
    import os
    import subprocess

    from bot.paths import PROJECT_ROOT

    env = dict(os.environ)
    env.pop("TELEGRAM_BOT_TOKEN", None)  # only the bridge holds it
    env["PYTHONPATH"] = str(PROJECT_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.DEVNULL
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        out = open(log_dir / "web.log", "ab")
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "web", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_console_process(process, timeout: float = 10) -> None:
    from bot.channels.servers import stop_child

    stop_child(process, timeout)
