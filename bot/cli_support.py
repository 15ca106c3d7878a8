"""Who the `peerscope` command acts as: the OS login that runs it.

The login is mapped to a staff profile through a ``local`` chat identity (the same link
the terminal chat uses; an admin sets it with ``peerscope staff link-local STAFF_ID LOGIN``).
``--as STAFF_ID`` is optional and only narrows: it is accepted when it names that same
staff member, and refused (audited) otherwise. The login is read from the process's uid,
not from $USER or $LOGNAME, so it cannot be changed from the environment.
"""

from __future__ import annotations

import argparse
import os
import pwd
import sys
from typing import Callable


def os_login() -> str:
    """The login name of the process's real uid (``uid:N`` if the system has no name for it)."""
    uid = os.getuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid:{uid}"


def json_option(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of text")
    return parser


def print_json(rows: list[dict]) -> None:
    import json

    print(json.dumps(rows, ensure_ascii=False, default=str, indent=1))


def acting(parser: argparse.ArgumentParser, nested: bool = False) -> argparse.ArgumentParser:
    """Add the optional ``--as STAFF_ID``; every read is checked against the actor's role.
    ``nested``: a subcommand of a command that has ``--as`` too (keeps the outer one's value)."""
    parser.add_argument("--as", dest="actor", type=int, default=argparse.SUPPRESS if nested else None,
                        metavar="STAFF_ID",
                        help="check that your OS login is this staff member (it acts as your login's "
                             "staff profile either way; see `peerscope staff list`)")
    return parser


def cli_actor(session, requested: int | None = None):
    """The active staff member the OS login is linked to. AccessDenied (audited) when the
    login is not linked, the person is deactivated, or ``requested`` names someone else."""
    from bot.store import access
    from bot.store import staff as staff_repo

    login = os_login()
    member = staff_repo.by_identity(session, staff_repo.LOCAL, login, include_inactive=True)
    if member is None:
        access.deny(session, "cli.actor",
                    f"your OS login '{login}' is not linked to a staff profile; an admin can link it with "
                    f"`peerscope staff link-local STAFF_ID {login}`",
                    actor_id=None, detail={"login": login})
    if requested is not None and requested != member.id:
        access.deny(session, "cli.as", f"--as {requested} refused: your OS login '{login}' is staff #{member.id}",
                    actor_id=member.id, object_type="staff", object_id=requested)
    return access.actor(session, member.id)


def run_as(args: argparse.Namespace, work: Callable, errors: tuple[type[Exception], ...] = (),
           invalid: tuple[type[Exception], ...] = ()) -> int:
    """Run ``work(session, actor)`` in one session as the OS login's staff member. Access
    refusals and ``errors`` become a message on stderr and exit code 3 (the refusal is
    already audited); ``invalid`` (bad input) exit code 2."""
    from bot.store import access, session_scope

    try:
        with session_scope() as session:
            return work(session, cli_actor(session, getattr(args, "actor", None))) or 0
    except invalid as exc:
        print(f"peerscope: {exc}", file=sys.stderr)
        return 2
    except (access.AccessDenied, access.NotFound, *errors) as exc:
        print(f"peerscope: {exc}", file=sys.stderr)
        return 3
