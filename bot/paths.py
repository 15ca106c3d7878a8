"""Where PeerScope finds its data. Everything can be overridden by environment."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def knowledge_dir() -> Path:
    return Path(os.environ.get("PEERSCOPE_KNOWLEDGE_DIR", PROJECT_ROOT / "knowledge"))


def var_dir() -> Path:
    """The data directory (databases, logs, the shared key): owner-only (0700)."""
    path = Path(os.environ.get("PEERSCOPE_VAR_DIR", PROJECT_ROOT / "var"))
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.stat()
    if info.st_uid == os.getuid() and info.st_mode & 0o077:
        path.chmod(0o700)  # made by an older version, or by hand
    return path
