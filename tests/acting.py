"""Acting as a given staff member from the command line, in tests.

`peerscope` acts as the staff member its OS login is linked to (a ``local`` chat identity;
bot.cli_support), and tests run as one OS user. A test that calls the command as several
people points the login at each one first, as an admin would with
`peerscope staff link-local STAFF_ID LOGIN` (a login belongs to one staff member at a time).
"""

from __future__ import annotations

from bot.cli_support import os_login
from bot.store import session_scope
from bot.store import staff as staff_repo


def act_as(staff_id: int) -> None:
    """Link this process's OS login to ``staff_id`` (moving it from whoever had it)."""
    with session_scope() as session:
        staff_repo.move_local_login(session, staff_id, os_login())


def as_argv(argv: list[str]) -> list[str]:
    """For a command line naming ``--as STAFF_ID``: act as that staff member, and pass the
    arguments on unchanged (``--as`` then only confirms who the login is)."""
    if "--as" in argv:
        act_as(int(argv[argv.index("--as") + 1]))
    return list(argv)
