"""Where PeerScope finds its data. Everything can be overridden by environment (bot.settings)."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def knowledge_dir() -> Path:
    from bot.settings import load

    return Path(load().knowledge_dir or PROJECT_ROOT / "knowledge")


def var_dir() -> Path:
    """The data directory (databases, logs, the shared key): owner-only (0700)."""
    from bot.settings import load

    path = Path(load().var_dir or PROJECT_ROOT / "var")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.stat()
    if info.st_uid == os.getuid() and info.st_mode & 0o077:
        path.chmod(0o700)  # made by an older version, or by hand
    return path
