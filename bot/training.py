"""`peerscope train`: everything learned, rebuilt only when its inputs changed.

In order: the sentence encoder's files (fetched and verified once), the policy model
(knowledge/banks/questions + knowledge/rules, calibrated on knowledge/banks/calibration),
the note model (knowledge/banks/notes, knowledge/banks/risk), then Rasa's model. Each
step writes a fingerprint of its inputs next to its output and is skipped when the fingerprint still matches.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable

from bot.paths import PROJECT_ROOT, knowledge_dir


def _fingerprint(paths: list[Path], extra: str = "") -> str:
    digest = hashlib.sha256(extra.encode())
    for root in paths:
        files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix != ".pyc") if root.is_dir() else [root]
        for f in files:
            digest.update(str(f.relative_to(root.parent)).encode())
            digest.update(f.read_bytes())
    return digest.hexdigest()


def _step(
    name: str, out_dir: Path, inputs: list[Path], build: Callable[[], object], force: bool, echo: Callable[[str], None]
) -> bool:
    from bot.nlp.weights import encoder_dir

    stamp = out_dir / "fingerprint"
    want = _fingerprint(inputs + [encoder_dir() / "manifest.json"])
    if not force and stamp.is_file() and stamp.read_text() == want and (out_dir / "meta.json").is_file():
        echo(f"{name} model is up to date; not retraining")
        return False
    build()
    stamp.write_text(want)
    return True


def train_all(force: bool = False, echo: Callable[[str], None] = print, rasa: bool = True) -> None:
    from bot.channels.servers import train_if_needed
    from bot.knowledge import training as policy_training
    from bot.knowledge.engine import policy_model_dir
    from bot.nlp.weights import install
    from bot.notes import model as note_training
    from bot.notes.checker import note_model_dir

    install(echo=echo)
    root = knowledge_dir()
    code = PROJECT_ROOT / "bot"
    shared = [code / "nlp" / "textclf.py", code / "nlp" / "encoder.py"]  # how texts become features
    _step(
        "policy",
        policy_model_dir(),
        [
            root / "banks" / "questions",
            root / "banks" / "calibration",
            root / "banks" / "notes",
            root / "rules",
            root / "sources",
        ]
        + shared
        + [
            code / "knowledge" / f
            for f in (
                "model.py",
                "training.py",
                "engine.py",
                "reading.py",
                "answers.py",
                "quantities.py",
                "reliability.py",
            )
        ],
        lambda: policy_training.train(root, policy_model_dir(), echo),
        force,
        echo,
    )
    _step(
        "note",
        note_model_dir(),
        [
            root / "banks" / "notes",
            root / "banks" / "risk",
            root / "banks" / "questions",
            root / "note_checks",  # the cue rules and sentence splitting the model reads
            PROJECT_ROOT / "nlu_data" / "nlu",
        ]
        + shared
        + [code / "notes" / f for f in ("model.py", "thresholds.py", "checker.py", "passages.py", "pipeline")],
        lambda: note_training.train(root, note_model_dir(), echo),
        force,
        echo,
    )
    if rasa:
        train_if_needed(force=force, echo=echo)
