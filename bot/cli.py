"""The `peerscope` command.

Each feature registers its own subcommands through a ``register(sub, eval_sub)``
function, so this module stays a table of contents. Feature modules import their
heavy dependencies (spaCy, SQLAlchemy engines) inside the handlers, which keeps
``peerscope --help`` fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

# Modules that contribute subcommands, in the order they appear in --help.
FEATURE_MODULES = (
    "bot.channels.commands",
    "bot.nlp.commands",
    "bot.store.commands",
    "bot.store.invite_commands",
    "bot.store.safety_commands",
    "bot.notices.commands",
    "bot.channels.telegram.commands",
    "bot.knowledge.commands",
    "bot.notes.commands",
    "bot.review.commands",
    "bot.onboarding.commands",
    "bot.wrsp.commands",
    "bot.web.commands",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="peerscope",
        description="PeerScope: scope-of-practice answers, note checks, WRSP interviews "
        "and onboarding for peer support staff.",
        epilog='New here? `peerscope run` starts everything and opens a chat (type "hi"). '
        'Try `peerscope ask "can I give a client a ride?"` or `peerscope check-note note.txt`. '
        "Each command has its own --help.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"peerscope {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    eval_parser = sub.add_parser("eval", help="measure accuracy on a labelled file")
    eval_sub = eval_parser.add_subparsers(dest="eval_command", metavar="WHAT")
    eval_parser.set_defaults(func=lambda args: _usage(eval_parser))
    for name in FEATURE_MODULES:
        importlib.import_module(name).register(sub, eval_sub)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("peerscope")
    except PackageNotFoundError:
        return "(not installed)"


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def main(argv: list[str] | None = None) -> int:
    # Notes and plans are health information: every file PeerScope (and the servers it
    # starts) creates, databases, logs and exports included, is readable by its owner only.
    os.umask(0o077)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        return _usage(parser)
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from bot.settings import SettingError, load
    from bot.store import audit

    audit.set_channel("cli")  # a command that serves another channel (telegram, ...) sets its own
    try:
        load()  # every PEERSCOPE_* setting is checked before anything runs (and the servers it starts inherit them)
        return int(args.func(args) or 0)
    except SettingError as exc:  # one line naming the variable, no traceback
        print(f"peerscope: {exc}", file=sys.stderr)
        return 2
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        if not exc.filename:
            raise
        # a file named on the command line: say which and why, in one line
        print(f"peerscope: cannot read {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    except (OperationalError, ProgrammingError):
        from bot.store.db import schema_problem

        problem = schema_problem()
        if problem is None:
            raise
        print(f"peerscope: {problem}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
