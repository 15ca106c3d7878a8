"""`peerscope run`, `peerscope chat` and `peerscope train`."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time


def register(sub, eval_sub) -> None:
    run = sub.add_parser("run", help="start the action server and Rasa, then chat in this terminal")
    run.add_argument("--port", type=int, default=5005, help="Rasa server port (default 5005)")
    run.add_argument("--action-port", type=int, default=5055)
    run.add_argument("--no-chat", action="store_true", help="only run the servers until Ctrl-C")
    run.add_argument(
        "--web-port",
        type=int,
        default=None,
        help="supervisor console port on 127.0.0.1 (default PEERSCOPE_WEB_PORT or 5080)",
    )
    run.add_argument("--no-web", action="store_true", help="do not start the supervisor console")
    run.add_argument(
        "--instances",
        type=int,
        default=1,
        metavar="N",
        help="N Rasa instances and N action servers behind HAProxy on --port/--action-port, "
        "with a Redis lock store (PEERSCOPE_REDIS_URL, or a private redis-server); "
        "a crashed instance is started again (default 1: no HAProxy)",
    )
    run.set_defaults(func=cmd_run)

    endpoints = sub.add_parser(
        "endpoints", help="write Rasa's endpoints file for one instance (the systemd units' first step)"
    )
    endpoints.add_argument(
        "--action-url",
        required=True,
        help="where this Rasa instance calls actions, e.g. http://10.0.0.5:5055/webhook (HAProxy)",
    )
    endpoints.add_argument("--out", required=True, help="the file to write (owner-only)")
    endpoints.set_defaults(func=cmd_endpoints)

    chat = sub.add_parser("chat", help="chat with a running assistant in this terminal")
    chat.add_argument("--url", default="http://127.0.0.1:5005")
    chat.set_defaults(func=cmd_chat)

    train = sub.add_parser("train", help="train what the training data changed: policy and note models, then Rasa")
    train.add_argument("--force", action="store_true", help="retrain everything")
    train.add_argument("--no-rasa", action="store_true", help="only the policy and note models")
    train.set_defaults(func=cmd_train)


def _progress(message: str) -> None:
    print(f"[peerscope] {message}", flush=True)


def local_sender() -> str:
    """The terminal user's chat account: the OS login (not $USER, which anyone can set),
    linked to a staff record on first use. Exits with a message for a deactivated one."""
    from bot.cli_support import os_login
    from bot.store import session_scope
    from bot.store import staff as repo

    login = os_login()
    with session_scope() as session:
        member = repo.by_identity(session, repo.LOCAL, login, include_inactive=True)
        if member is not None and not member.active:
            raise SystemExit(f"peerscope: the staff profile of your login '{login}' is deactivated")
        if member is None:
            member = repo.add(session, login, role="peer")
            repo.link_identity(session, member.id, repo.LOCAL, login)
            _progress(
                f"created a local peer profile for '{login}' (staff #{member.id}); "
                "see `peerscope staff --help` to add supervisors or change roles"
            )
    return f"{repo.LOCAL}:{login}"


def cmd_endpoints(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.channels.servers import write_endpoints

    path = write_endpoints(Path(args.out), args.action_url)
    _progress(f"wrote {path}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from bot.training import train_all

    train_all(force=args.force, echo=_progress, rasa=not args.no_rasa)
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.channels.rest import RestClient
    from bot.channels.terminal import chat_loop, terminal_reader

    client = RestClient(args.url)
    if not client.is_ready():
        print(f"peerscope: no assistant answers at {args.url}; start one with `make run`", file=sys.stderr)
        return 2
    chat_loop(client, local_sender(), read=terminal_reader())
    return 0


def _stop_on_signal(signum, _frame) -> None:
    raise KeyboardInterrupt  # the same clean stop as Ctrl-C: the servers are stopped below


def cmd_run(args: argparse.Namespace) -> int:
    from bot.channels.rest import RestClient
    from bot.channels.servers import MAX_INSTANCES, Cluster, ServerSet, port_busy, port_holder
    from bot.channels.terminal import chat_loop, terminal_reader
    from bot.paths import var_dir
    from bot.settings import web_port
    from bot.store import upgrade

    web = None if args.no_web else (args.web_port if args.web_port is not None else web_port())
    if not 1 <= args.instances <= MAX_INSTANCES:
        print(f"peerscope: --instances must be 1-{MAX_INSTANCES}", file=sys.stderr)
        return 2
    for port in (args.port, args.action_port, web):
        if port is not None and port_busy(port):
            holder = port_holder(port)
            print(
                f"peerscope: port {port} is already in use"
                + (f" by {holder}" if holder else "")
                + "; stop it, or choose other ports with --port/--action-port/--web-port (or --no-web)",
                file=sys.stderr,
            )
            return 2
    # a service manager's SIGTERM, or the terminal closing (SIGHUP), stops the servers too
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _stop_on_signal)
    _progress("migrating the database")
    upgrade()
    from bot.training import train_all

    train_all(echo=_progress)
    if args.instances > 1:
        from bot.settings import load

        if not (load().tracker_url or "").split(":", 1)[0].startswith("postgresql"):
            _progress(
                "the instances share the SQLite tracker store in var/: fine on one machine for a trial; "
                "set PEERSCOPE_TRACKER_URL to PostgreSQL for production (docs/DEPLOY.md)"
            )
        servers = Cluster(
            instances=args.instances, port=args.port, action_port=args.action_port, log_dir=var_dir() / "logs"
        )
        starting = f"starting HAProxy, {args.instances} action servers and {args.instances} Rasa instances"
    else:
        servers = ServerSet(rasa_port=args.port, action_port=args.action_port, log_dir=var_dir() / "logs")
        starting = "starting the action server and the Rasa server"
    bridge = console = None
    try:
        _progress(f"{starting} (about 40 s; logs in var/logs/)")
        servers.start()
        servers.wait_ready(progress=_progress)
        if os.environ.get("TELEGRAM_BOT_TOKEN"):
            from bot.channels.telegram.cli import start_bridge_process

            bridge = start_bridge_process(servers.rasa_url, log_dir=var_dir() / "logs")
            _progress("Telegram bridge started (log: var/logs/telegram.log)")
        if web is not None:
            from bot.web.commands import start_console_process

            console = start_console_process(web, log_dir=var_dir() / "logs")
            _progress(f"supervisor console on http://127.0.0.1:{web}/ (sign in with `peerscope staff web-code`)")
        if args.no_chat:
            _progress("running; Ctrl-C stops")
            while True:
                if isinstance(servers, Cluster):  # HAProxy routes around a crashed instance; start it again
                    for name in servers.revive():
                        _progress(f"{name} had stopped; started it again")
                else:
                    servers.wait_ready()  # raises if a server died
                time.sleep(5)
        chat_loop(RestClient(servers.rasa_url), local_sender(), read=terminal_reader())
    except KeyboardInterrupt:
        pass
    finally:
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):  # let nothing interrupt the stop
            signal.signal(sig, signal.SIG_IGN)
        _progress("stopping the servers")
        if bridge is not None:
            from bot.channels.telegram.cli import stop_bridge_process

            stop_bridge_process(bridge)
        if console is not None:
            from bot.web.commands import stop_console_process

            stop_console_process(console)
        servers.stop()
    return 0
