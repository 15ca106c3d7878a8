"""Pieces shared by the subcommands that act as a staff member (`--as STAFF_ID`)."""

from __future__ import annotations

import argparse
import sys
from typing import Callable


def acting(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the required ``--as STAFF_ID``: every read is checked against that person's role."""
    parser.add_argument("--as", dest="actor", type=int, required=True, metavar="STAFF_ID",
                        help="your staff id (see `peerscope staff list`)")
    return parser


def run_as(args: argparse.Namespace, work: Callable, errors: tuple[type[Exception], ...] = ()) -> int:
    """Run ``work(session, actor)`` in one session; access refusals and the given errors
    become a message on stderr and exit code 3 (the refusal is already audited)."""
    from bot.store import access, session_scope

    try:
        with session_scope() as session:
            return work(session, access.actor(session, args.actor)) or 0
    except (access.AccessDenied, access.NotFound, *errors) as exc:
        print(f"peerscope: {exc}", file=sys.stderr)
        return 3
