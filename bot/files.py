"""Writing files that may hold health information: owner-only, never through a symlink,
never over an existing file unless asked."""

from __future__ import annotations

import os
from pathlib import Path


class FileExists(OSError):
    """The target exists and overwriting was not asked for."""


def write_private(path: str | Path, data: bytes, force: bool = False) -> None:
    """Write ``data`` to a new file at ``path`` with mode 0600.

    An existing file (or symlink, even a dangling one) is refused unless ``force``; with
    ``force`` a regular file is replaced, but a symlink is still refused, so an export
    cannot be redirected to someone else's file."""
    path = Path(path)
    if force and path.is_symlink():
        raise FileExists(f"{path} is a symbolic link; refusing to write through it")
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise FileExists(f"{path} already exists (use --force to replace it)") from None
    with os.fdopen(fd, "wb") as handle:
        if force:
            os.fchmod(handle.fileno(), 0o600)
        handle.write(data)
