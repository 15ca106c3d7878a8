"""The bridge's command line (``python -m bot.channels.telegram``; ``peerscope telegram`` is
commands.py) and the bridge as a child process of ``peerscope run``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import subprocess
import sys
from pathlib import Path

from bot.channels.rest import DEFAULT_URL
from bot.channels.telegram.bridge import TelegramBridge
from bot.channels.telegram.client import CHANNEL, TelegramConfig

DESCRIPTION = "The Telegram bridge: python-telegram-bot on one side, Rasa's REST channel on the other."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rasa-url", help=f"Rasa server (default $PEERSCOPE_RASA_URL or {DEFAULT_URL})")
    parser.add_argument("--webhook-url", help="public HTTPS URL for webhook mode (default: polling)")
    parser.add_argument("--webhook-listen", help="address the webhook server binds (default 127.0.0.1)")
    parser.add_argument("--webhook-port", type=int, help="port the webhook server binds (default 8443)")
    parser.add_argument("--rate-limit", type=int, help="messages per user per minute (default 20)")


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL at INFO, and Bot API URLs contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # python-telegram-bot logs whole updates (message text) at DEBUG; nothing it says below
    # WARNING is needed.
    logging.getLogger("telegram").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def run_from_args(args: argparse.Namespace) -> int:
    from bot.store import audit

    configure_logging()
    audit.set_channel(CHANNEL)  # the bridge's audit entries (sign-ins, alert notices) say so
    config = TelegramConfig.from_env(
        rasa_url=args.rasa_url,
        webhook_url=args.webhook_url,
        webhook_listen=args.webhook_listen,
        webhook_port=args.webhook_port,
        rate_limit=args.rate_limit,
    )
    try:
        asyncio.run(TelegramBridge(config).run())
    except KeyboardInterrupt:
        pass
    return 0


def start_bridge_process(
    rasa_url: str, log_dir: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.Popen:
    """Start the bridge as a child process (the token and settings travel in the
    environment, never on the command line). Stop it with stop_bridge_process."""
    from bot.paths import PROJECT_ROOT

    child_env = dict(os.environ)
    child_env.update(env or {})
    child_env["PYTHONPATH"] = str(PROJECT_ROOT) + os.pathsep + child_env.get("PYTHONPATH", "")
    if log_dir:
        log_dir.mkdir(parents=True, exist_ok=True)
        out = open(log_dir / "telegram.log", "ab")
    else:
        out = subprocess.DEVNULL
    return subprocess.Popen(
        [sys.executable, "-m", "bot.channels.telegram", "--rasa-url", rasa_url],
        cwd=PROJECT_ROOT,
        env=child_env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_bridge_process(process: subprocess.Popen | None, timeout: float = 20) -> None:
    from bot.channels.servers import stop_child

    stop_child(process, timeout)


def main(argv: list[str] | None = None) -> int:
    from bot.settings import SettingError

    parser = argparse.ArgumentParser(prog="python -m bot.channels.telegram", description=DESCRIPTION)
    add_arguments(parser)
    try:
        return run_from_args(parser.parse_args(argv))
    except SettingError as exc:
        print(f"peerscope: {exc}", file=sys.stderr)
        return 2
