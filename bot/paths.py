"""Where PeerScope finds its data. Everything can be overridden by environment."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def knowledge_dir() -> Path:
    return Path(os.environ.get("PEERSCOPE_KNOWLEDGE_DIR", PROJECT_ROOT / "knowledge"))


def var_dir() -> Path:
    path = Path(os.environ.get("PEERSCOPE_VAR_DIR", PROJECT_ROOT / "var"))
    path.mkdir(parents=True, exist_ok=True)
    return path
