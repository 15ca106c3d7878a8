"""Training the policy model from the example bank (`peerscope train`, `peerscope eval qa --cv`).

The classifiers are fitted on the bank (knowledge/banks/questions). Confidence is
calibrated, and the point where PeerScope asks instead of answering is chosen, on a
separate calibration set (knowledge/banks/calibration): questions written by other
people, in the evaluation format, that the classifiers never see. Calibrating on
the bank itself, even across folds of different writers, proved far too optimistic.

`peerscope eval qa --cv` reports cross-validation on the bank: its batches, written
by different people (the id prefix), are split into folds, each predicted by a model
trained on the others.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from bot.knowledge.model import (
    NOT_COVERED,
    Calibration,
    Example,
    PolicyModel,
    _fit_rules,
    _fit_variants,
    fit_conditions,
    fit_router,
    load_bank,
)

FOLDS = 3


def bank_dir(root: Path) -> Path:
    return Path(root) / "banks" / "questions"


def calibration_dir(root: Path) -> Path:
    return Path(root) / "banks" / "calibration"


@dataclass
class Labelled:
    """A calibration question: only its verdict is known (as in the evaluation files)."""

    text: str
    verdict: str
    group: str = ""  # the file (blind round) it came from
    program: str | None = None


def load_calibration(root: Path) -> list[Labelled]:
    import json

    out = []
    for path in sorted(calibration_dir(root).glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                program = row.get("program") if row.get("program") in ("adult", "family") else None
                out.append(Labelled(row["question"], row["verdict"], path.stem, program))
    return out


def note_bank_dir(root: Path) -> Path:
    return Path(root) / "banks" / "notes"


def load_note_snippets(root: Path) -> list[str]:
    import json

    return [
        json.loads(line)["text"]
        for path in sorted(note_bank_dir(root).glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def validate_bank(examples: list[Example], engine) -> list[str]:
    """Labels that name no rule, or a verdict the rule cannot give."""
    errors = []
    seen = set()
    for ex in examples:
        if ex.id in seen:
            errors.append(f"{ex.id}: duplicate id")
        seen.add(ex.id)
        if ex.rule == NOT_COVERED:
            if ex.verdict != NOT_COVERED:
                errors.append(f"{ex.id}: a not_covered question must have verdict not_covered")
            continue
        rule = engine.rule_by_id.get(ex.rule)
        if rule is None:
            errors.append(f"{ex.id}: unknown rule {ex.rule!r}")
        elif ex.verdict not in rule.verdicts and not (
            rule.thresholds and ex.verdict in ("allowed", "not_allowed", "depends")
        ):
            errors.append(f"{ex.id}: rule {ex.rule} cannot give {ex.verdict!r}")
    return errors


@dataclass
class Fold:
    examples: list[Example]
    decisions: list


def fit(examples: list[Example], E: np.ndarray, engine) -> PolicyModel:
    labels = sorted({ex.rule for ex in examples} | {NOT_COVERED})
    rules_clf = _fit_rules([ex.text for ex in examples], labels, [ex.rule for ex in examples], E)
    variants = _fit_variants(examples, E, engine.rule_by_id)
    model = PolicyModel(rules_clf, variants)
    model.conditions = fit_conditions(examples, E, engine.rule_by_id)
    return model


def held_out(examples: list[Example], E: np.ndarray, engine, echo: Callable = print) -> list:
    """(example, decision) for every example, each predicted by a model that never saw its batch."""
    batches = sorted({ex.batch for ex in examples})
    folds = [batches[i::FOLDS] for i in range(min(FOLDS, len(batches)))]
    out = []
    for k, held in enumerate(folds, 1):
        train = [i for i, ex in enumerate(examples) if ex.batch not in held]
        test = [i for i, ex in enumerate(examples) if ex.batch in held]
        started = time.monotonic()
        model = fit([examples[i] for i in train], E[train], engine)
        probs = model.rule_probs([examples[i].text for i in test], E[test])
        for row, i in enumerate(test):
            d = engine.decide(examples[i].text, None, model=model, probs=probs[row], embedding=E[i])
            out.append((examples[i], d))
        echo(f"  fold {k}/{len(folds)} ({', '.join(held)} held out) in {time.monotonic() - started:.0f} s")
    return out


def fit_calibration(pairs: list) -> Calibration:
    from sklearn.linear_model import LogisticRegression

    x = np.array([[_logit(d.raw)] for _, d in pairs])
    y = np.array([d.verdict == ex.verdict for ex, d in pairs], dtype=int)
    if len(set(y)) < 2:
        return Calibration()
    lr = LogisticRegression(C=100.0).fit(x, y)
    return Calibration(float(lr.coef_[0][0]), float(lr.intercept_[0]))


def summarise(pairs: list, engine, calibration: Calibration, below: float, ratio: float) -> dict:
    n = len(pairs)
    right = asked = confident_wrong = rule_right = 0
    from bot.knowledge.engine import clarify_options

    for ex, d in pairs:
        ask = bool(clarify_options(d.candidates, calibration(d.raw), below, ratio))
        right += d.verdict == ex.verdict
        rule_right += d.rule_id == getattr(ex, "rule", d.rule_id)
        asked += ask
        confident_wrong += (d.verdict != ex.verdict) and not ask
    return {
        "n": n,
        "verdict_accuracy": right / n,
        "rule_accuracy": rule_right / n,
        "clarify_rate": asked / n,
        "confident_wrong": confident_wrong / n,
    }


CONDITION_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)


def calibration_decisions(model, engine, calibration, texts, probs, C, echo: Callable = print) -> list:
    """The calibration questions' decisions, with the pooled condition reader at the weight
    that answers the most of them right (the smallest such weight on a tie), which it sets."""

    def decide_all() -> list:
        return [
            engine.decide(t, c.program or engine.program_of(t), model=model, probs=probs[i], embedding=C[i])
            for i, (c, t) in enumerate(zip(calibration, texts))
        ]

    if model.conditions is None:
        return decide_all()
    runs = []
    for w in CONDITION_WEIGHTS:
        model.condition_weight = w
        runs.append(decide_all())
    scores = [sum(d.verdict == c.verdict for c, d in zip(calibration, run)) for run in runs]
    best = scores.index(max(scores))
    model.condition_weight = CONDITION_WEIGHTS[best]
    echo(
        "policy model: condition weight "
        + ", ".join(f"{w}: {s / len(calibration):.1%}" for w, s in zip(CONDITION_WEIGHTS, scores))
        + f" right on the calibration set; chose {model.condition_weight}"
    )
    return runs[best]


def train(root: Path, out_dir: Path, echo: Callable = print) -> dict:
    from bot.knowledge import reliability
    from bot.knowledge.engine import Engine, focus, normalise_question
    from bot.nlp.encoder import encode_cached

    started = time.monotonic()
    engine = Engine(root, model=False, deployment=False)  # every rule, source and quantity
    examples = load_bank(bank_dir(root))
    errors = validate_bank(examples, engine)
    if errors:
        raise ValueError("the question bank has bad labels:\n  " + "\n  ".join(errors[:20]))
    echo(f"policy model: {len(examples)} bank questions, {len(engine.rules)} rules; embedding them")
    E = encode_cached([ex.text for ex in examples])
    model = fit(examples, E, engine)
    model.router = fit_router([ex.text for ex in examples], load_note_snippets(root))
    calibration = load_calibration(root)
    stats: dict = {"calibration_questions": len(calibration)}
    if calibration:
        # read as `peerscope ask` reads them (the end of a long message, the program it names)
        texts = [focus(normalise_question(c.text)) for c in calibration]
        C = encode_cached(texts)
        probs = model.rule_probs(texts, C)
        pairs = list(zip(calibration, calibration_decisions(model, engine, calibration, texts, probs, C, echo)))
        model.calibration = fit_calibration(pairs)
        outcomes = [
            reliability.Outcome(
                d.rule_id, d.verdict, d.verdict == c.verdict, c.verdict, c.group, reliability.engine_scores(d)
            )
            for c, d in pairs
        ]
        model.reliability = reliability.fit(outcomes, C)
        stats.update(
            {
                "verdict_accuracy": round(sum(o.right for o in outcomes) / len(outcomes), 4),
                "ask_below": round(model.reliability.ask_below, 4),
                **model.reliability.report,
            }
        )
    model.meta = {"examples": len(examples), "calibration_set": stats}
    model.save(out_dir)
    echo(
        f"policy model trained in {time.monotonic() - started:.0f} s"
        + (
            f"; on the calibration set: verdict {stats['verdict_accuracy']:.1%}; on its rounds held out in turn: "
            f"clarification {stats.get('held_out_clarify_rate', 0):.1%}, confident wrong "
            f"{stats.get('held_out_confident_wrong', 0):.1%}"
            if calibration
            else ""
        )
    )
    return model.meta


def cross_validate(root: Path, echo: Callable = print) -> dict:
    """Held-out figures on the bank: each group of writers predicted by a model trained on the others."""
    from bot.knowledge.engine import Engine
    from bot.nlp.encoder import encode_cached

    engine = Engine(root, model=False, deployment=False)
    examples = load_bank(bank_dir(root))
    E = encode_cached([ex.text for ex in examples])
    pairs = held_out(examples, E, engine, echo)
    return summarise(pairs, engine, Calibration(), 0.0, 1.0)


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))
