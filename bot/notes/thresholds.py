"""Thresholds chosen on held-out predictions, and the held-out figures `peerscope train`
reports for the note model (bot/notes/model.py)."""

from __future__ import annotations

import random
from typing import Sequence

import numpy as np


def threshold_for_precision(p: np.ndarray, y: np.ndarray, target: float) -> float:
    """The lowest threshold whose precision (on these held-out predictions) reaches the target."""
    order = np.argsort(-p)
    tp = np.cumsum(y[order])
    precision = tp / np.arange(1, len(p) + 1)
    ok = np.where(precision >= target)[0]
    if not len(ok):
        return float(p.max() + 1e-6)
    return float(p[order][ok.max()])


def threshold_for_recall(p: np.ndarray, y: np.ndarray, target: float) -> float:
    positives = np.sort(p[y == 1])
    if not len(positives):
        return 0.5
    return float(positives[int((1 - target) * len(positives))])


def fold_of(groups: Sequence[str], k: int, seed: int = 0) -> dict[str, int]:
    """Each group's fold (0..k-1), the groups shuffled by ``seed``: a group's members are
    always in the same fold."""
    uniq = sorted(set(groups))
    random.Random(seed).shuffle(uniq)
    return {g: i % k for i, g in enumerate(uniq)}


def folds(groups: Sequence[str], k: int, seed: int = 0) -> list[np.ndarray]:
    """The row indices of each fold (``fold_of``) for rows with these groups."""
    of = fold_of(groups, k, seed)
    assignment = np.array([of[g] for g in groups])
    return [np.where(assignment == i)[0] for i in range(k)]


def held_out_stats(categories, p_scope, y_scope, p_risk, y_risk, thresholds, origin) -> dict:
    """Held-out precision and recall per category (sentences), and for risk: recall over
    either tier, the alert tier's precision, the share of the bank's hard negatives, of
    its ordinary notes and of the chat's own messages that would be asked to check.
    ``p_risk``: held_out_risk's two columns (passages, runs); ``origin`` is each probe's
    group prefix: "n:" a bank note, "q:" a chat message."""
    out = {}
    for j, c in enumerate(categories):
        pred = p_scope[:, j] >= thresholds[c]
        tp = int((pred & (y_scope[:, j] == 1)).sum())
        out[c] = {"precision": round(tp / max(pred.sum(), 1), 3), "recall": round(tp / max(y_scope[:, j].sum(), 1), 3)}
    origin = np.array(origin)
    is_note, is_chat = origin == "n:", origin == "q:"
    alert = p_risk[:, 0] >= thresholds["risk"]
    possible = (p_risk.max(axis=1) >= thresholds["risk_possible"]) | alert
    out["risk"] = {
        "recall_either_tier": round(float(possible[y_risk == 1].mean()), 3),
        "alert_precision": round(float((alert & (y_risk == 1)).sum() / max(alert.sum(), 1)), 3),
        "hard_negatives_flagged": round(float(possible[(y_risk == 0) & ~is_note & ~is_chat].mean()), 3),
        "bank_notes_flagged": round(float(possible[is_note].mean()), 3),
        "chat_messages_flagged": round(float(possible[is_chat].mean()), 3),
    }
    return out
