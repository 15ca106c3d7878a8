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
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Callable, Iterator


def os_login() -> str:
    """The login name of the process's real uid (``uid:N`` if the system has no name for it)."""
    uid = os.getuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid:{uid}"


# --- "-" means standard input -------------------------------------------------------------------

STDIN = "-"


def is_stdin(name: str | None) -> bool:
    return name == STDIN


@contextmanager
def open_input(name: str, *, binary: bool = False) -> Iterator[IO]:
    """The file named on the command line, open for reading, or standard input for "-"
    (left open). Text is UTF-8, undecodable bytes replaced. OSError as open() raises it."""
    if is_stdin(name):
        stream = sys.stdin
        if binary:
            buffer = getattr(stream, "buffer", None)  # a StringIO (tests) has none
            yield buffer if buffer is not None else _BytesOf(stream)
        else:
            yield stream
        return
    if binary:
        with open(name, "rb") as handle:
            yield handle
    else:
        with open(name, encoding="utf-8", errors="replace") as handle:
            yield handle


class _BytesOf:
    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def read(self) -> bytes:
        return self.stream.read().encode("utf-8")


def read_input(name: str, *, binary: bool = False) -> str | bytes:
    """All of a file named on the command line, or of standard input for "-"."""
    with open_input(name, binary=binary) as handle:
        return handle.read()


def text_arguments(args: argparse.Namespace, *names: str) -> None:
    """Options that take text (``--quote TEXT``): the value "-" is replaced by what standard
    input holds (trailing newline dropped), for text too long or awkward to quote. A list
    option (repeatable) may hold "-" once. At most one option may read standard input."""
    wanted = [
        n
        for n in names
        if getattr(args, n, None) == STDIN or (isinstance(getattr(args, n, None), list) and STDIN in getattr(args, n))
    ]
    if len(wanted) > 1:
        raise ValueError(
            f"only one option can read standard input (-), not {len(wanted)}: "
            + ", ".join("--" + n.replace("_", "-") for n in wanted)
        )
    if not wanted:
        return
    text = str(read_input(STDIN)).rstrip("\n")
    value = getattr(args, wanted[0])
    setattr(args, wanted[0], [text if v == STDIN else v for v in value] if isinstance(value, list) else text)


DOCUMENT_MAGIC = ((b"%PDF-", ".pdf"), (b"PK\x03\x04", ".docx"))


@contextmanager
def input_path(name: str) -> Iterator[Path]:
    """A path to read a document from: the file named, or for "-" standard input saved to a
    private temporary file (owner-only, removed afterwards) whose suffix says what the bytes
    are: .pdf, .docx (a zip), else .md (text)."""
    if not is_stdin(name):
        yield Path(name)
        return
    import tempfile

    data = read_input(STDIN, binary=True)
    suffix = next((ext for magic, ext in DOCUMENT_MAGIC if data.startswith(magic)), ".md")
    with tempfile.TemporaryDirectory(prefix="peerscope-stdin-") as folder:
        path = Path(folder) / f"standard-input{suffix}"
        from bot.files import write_private

        write_private(path, data)
        yield path


def json_option(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of text")
    return parser


def print_json(rows: list[dict]) -> None:
    import json

    print(json.dumps(rows, ensure_ascii=False, default=str, indent=1))


def acting(parser: argparse.ArgumentParser, nested: bool = False) -> argparse.ArgumentParser:
    """Add the optional ``--as STAFF_ID``; every read is checked against the actor's role.
    ``nested``: a subcommand of a command that has ``--as`` too (keeps the outer one's value)."""
    parser.add_argument(
        "--as",
        dest="actor",
        type=int,
        default=argparse.SUPPRESS if nested else None,
        metavar="STAFF_ID",
        help="check that your OS login is this staff member (it acts as your login's "
        "staff profile either way; see `peerscope staff list`)",
    )
    return parser


def cli_actor(session, requested: int | None = None):
    """The active staff member the OS login is linked to. AccessDenied (audited) when the
    login is not linked, the person is deactivated, or ``requested`` names someone else."""
    from bot.store import access
    from bot.store import staff as staff_repo

    login = os_login()
    member = staff_repo.by_identity(session, staff_repo.LOCAL, login, include_inactive=True)
    if member is None:
        access.deny(
            session,
            "cli.actor",
            f"your OS login '{login}' is not linked to a staff profile; an admin can link it with "
            f"`peerscope staff link-local STAFF_ID {login}`",
            actor_id=None,
            detail={"login": login},
        )
    if requested is not None and requested != member.id:
        access.deny(
            session,
            "cli.as",
            f"--as {requested} refused: your OS login '{login}' is staff #{member.id}",
            actor_id=member.id,
            object_type="staff",
            object_id=requested,
        )
    return access.actor(session, member.id)


def run_as(
    args: argparse.Namespace,
    work: Callable,
    errors: tuple[type[Exception], ...] = (),
    invalid: tuple[type[Exception], ...] = (),
) -> int:
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
