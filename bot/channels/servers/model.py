"""The trained Rasa model: where it is, and training it again only when its data changed."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

from bot.channels.servers.process import rasa_env
from bot.paths import PROJECT_ROOT

MODEL_NAME = "peerscope"
TRAINING_INPUTS = ("config.yml", "domain", "nlu_data")


def training_fingerprint(root: Path = PROJECT_ROOT) -> str:
    digest = hashlib.sha256()
    for name in TRAINING_INPUTS:
        path = root / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(root)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def model_path(root: Path = PROJECT_ROOT) -> Path:
    return root / "models" / f"{MODEL_NAME}.tar.gz"


def train_if_needed(root: Path = PROJECT_ROOT, force: bool = False, echo: Callable[[str], None] = print) -> bool:
    """Train the model when the training data changed since the last training. Returns True if it trained."""
    stamp = root / "models" / f"{MODEL_NAME}.fingerprint"
    fingerprint = training_fingerprint(root)
    if not force and model_path(root).exists() and stamp.exists() and stamp.read_text() == fingerprint:
        echo("model is up to date with the training data; not retraining")
        return False
    echo("training the Rasa model (about 2 minutes on 2 cores)...")
    started = time.monotonic()
    command = [
        sys.executable,
        "-m",
        "rasa",
        "train",
        "--config",
        "config.yml",
        "--domain",
        "domain",
        "--data",
        "nlu_data",
        "--out",
        "models",
        "--fixed-model-name",
        MODEL_NAME,
        "--force",
    ]
    subprocess.run(command, cwd=root, env=rasa_env(), check=True)
    stamp.write_text(fingerprint)
    echo(f"trained in {time.monotonic() - started:.0f} s")
    return True
