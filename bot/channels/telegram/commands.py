"""`peerscope telegram`: run the Telegram bridge against a running assistant."""

from __future__ import annotations

import argparse


def register(sub, eval_sub) -> None:
    from bot.channels.telegram.cli import add_arguments

    telegram = sub.add_parser(
        "telegram",
        help="relay Telegram chats to a running assistant (needs TELEGRAM_BOT_TOKEN)",
        description="Relay Telegram chats to the Rasa server. Polls Telegram unless a webhook URL is "
        "given. Settings also come from the environment: TELEGRAM_BOT_TOKEN (required), "
        "PEERSCOPE_RASA_URL, PEERSCOPE_TELEGRAM_WEBHOOK_URL, PEERSCOPE_TELEGRAM_WEBHOOK_PORT, "
        "PEERSCOPE_TELEGRAM_WEBHOOK_SECRET, PEERSCOPE_TELEGRAM_RATE_LIMIT, "
        "PEERSCOPE_TELEGRAM_NOTIFY_INTERVAL.",
    )
    add_arguments(telegram)
    telegram.set_defaults(func=cmd_telegram)


def cmd_telegram(args: argparse.Namespace) -> int:
    from bot.channels.telegram.cli import run_from_args

    return run_from_args(args)
