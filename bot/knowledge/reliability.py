"""How likely an answer's verdict is to be right, learned on the calibration set.

The classifiers' own probabilities are a poor guide on questions written by other
people: most wrong answers on the blind rounds were confident (the right rule with the
wrong variant, the same few rules again and again). What does predict a wrong verdict
is how the same kind of answer fared on questions the classifiers never saw
(knowledge/banks/calibration, rounds of blind questions written by other people):

- the engine's scores: the rule x verdict probability, the top two rule probabilities,
  which verdict it is, whether a number decided it, whether the top candidates disagree;
- how often this rule, and this rule with this verdict, was right on the calibration
  questions (smoothed towards the overall rate);
- how often the calibration questions closest in meaning (the sentence encoder) were
  answered right, how often their labelled verdict is the verdict given now, and how
  close the closest one is.

A logistic regression over these features gives ``P(the verdict is right)``: the
answer's ``confidence``. It is fitted on features computed for each calibration round
from the other rounds only (so it learns how much an unseen round's statistics can be
trusted), and the point below which PeerScope asks instead of answering (``ask_below``)
is chosen on rounds held out in turn, as the highest one that keeps the clarification
rate at most MAX_ASK_RATE. Everything is stored as plain arrays (reliability.npz).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

VERDICTS = ("allowed", "not_allowed", "depends", "info", "not_covered")
PRIOR_WEIGHT = 4.0  # pseudo-counts pulling a rule's (or rule and verdict's) rate towards the overall rate
NEIGHBOURS = 5  # calibration questions closest in meaning
NEIGHBOUR_FLOOR = 0.5  # cosine similarity that counts for nothing
MAX_ASK_RATE = 0.27  # the clarification rate allowed on held-out calibration rounds (the target on new sets is 30%)
C = 1.0  # inverse regularisation of the logistic regression
FEATURE_NAMES = (
    "raw",
    "p1",
    "p2",
    *[f"is_{v}" for v in VERDICTS],
    "quantity",
    "disagree",
    "rule_rate",
    "pair_rate",
    "neighbour_rate",
    "neighbour_agree",
    "nearest",
)


def _logit(p: float) -> float:
    p = min(max(float(p), 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


@dataclass
class Outcome:
    """One calibration answer: what the engine said and whether the verdict was right."""

    rule_id: str
    verdict: str
    right: bool
    expected: str  # the labelled verdict
    group: str  # the calibration round (file) it came from
    scores: list[float]  # engine_scores() of the decision


def engine_scores(decision) -> list[float]:
    """The features that come from the decision itself (no calibration statistics)."""
    ranked = decision.ranked
    p1 = ranked[0][1] if ranked else 0.0
    p2 = ranked[1][1] if len(ranked) > 1 else 0.0
    disagree = len({c[2] for c in decision.candidates[:3]}) > 1
    return (
        [_logit(decision.raw), _logit(p1), _logit(p2 + 1e-6)]
        + [float(decision.verdict == v) for v in VERDICTS]
        + [float(decision.quantity is not None), float(disagree)]
    )


@dataclass
class Stats:
    """Calibration answers to compare a new answer with: per rule, per rule and verdict,
    and the embeddings of the questions with whether each was answered right."""

    overall: float
    rules: dict[str, tuple[int, int]]  # rule id -> (right, total)
    pairs: dict[str, tuple[int, int]]  # "rule|verdict" -> (right, total)
    vectors: np.ndarray  # (n, d) L2-normalised question embeddings
    right: np.ndarray  # (n,) 0/1
    expected: np.ndarray  # (n,) the labelled verdicts

    @classmethod
    def of(cls, outcomes: Sequence[Outcome], vectors: np.ndarray) -> "Stats":
        rules: dict[str, list[int]] = {}
        pairs: dict[str, list[int]] = {}
        for o in outcomes:
            for table, key in ((rules, o.rule_id), (pairs, f"{o.rule_id}|{o.verdict}")):
                counts = table.setdefault(key, [0, 0])
                counts[0] += int(o.right)
                counts[1] += 1
        right = np.array([int(o.right) for o in outcomes], dtype=np.float32)
        overall = float(right.mean()) if len(right) else 0.8
        return cls(
            overall,
            {k: (v[0], v[1]) for k, v in rules.items()},
            {k: (v[0], v[1]) for k, v in pairs.items()},
            np.asarray(vectors, dtype=np.float32).reshape(len(outcomes), -1),
            right,
            np.array([o.expected for o in outcomes], dtype=str),
        )

    def rate(self, table: dict, key: str) -> float:
        right, total = table.get(key, (0, 0))
        return (right + PRIOR_WEIGHT * self.overall) / (total + PRIOR_WEIGHT)

    def features(self, rule_id: str, verdict: str, embedding: np.ndarray | None) -> list[float]:
        out = [_logit(self.rate(self.rules, rule_id)), _logit(self.rate(self.pairs, f"{rule_id}|{verdict}"))]
        if embedding is None or not len(self.right):
            return out + [_logit(self.overall), 0.0, 0.0]
        sims = self.vectors @ np.asarray(embedding, dtype=np.float32)
        top = np.argsort(-sims)[:NEIGHBOURS]
        weights = np.clip(sims[top] - NEIGHBOUR_FLOOR, 0.0, None)
        rate = (float(weights @ self.right[top]) + self.overall) / (float(weights.sum()) + 1.0)
        agree = (float(weights @ (self.expected[top] == verdict)) + 0.5) / (float(weights.sum()) + 1.0)
        return out + [_logit(rate), _logit(agree), float(sims[top[0]])]


@dataclass
class Reliability:
    stats: Stats
    coef: np.ndarray
    intercept: float
    ask_below: float
    report: dict = field(default_factory=dict)

    def probability(self, decision, embedding: np.ndarray | None) -> float:
        """P(the decision's verdict is right)."""
        x = np.array(engine_scores(decision) + self.stats.features(decision.rule_id, decision.verdict, embedding))
        return 1.0 / (1.0 + math.exp(-(float(self.coef @ x) + self.intercept)))

    def should_ask(self, confidence: float) -> bool:
        return confidence < self.ask_below

    # -- persistence ---------------------------------------------------------------------
    def save(self, path: Path) -> None:
        with open(path, "wb") as fh:
            self._write(fh)
        os.chmod(path, 0o600)

    def _write(self, fh) -> None:
        s = self.stats
        rule_keys = sorted(s.rules)
        pair_keys = sorted(s.pairs)
        np.savez(
            fh,
            coef=self.coef.astype(np.float64),
            intercept=np.array([self.intercept]),
            ask_below=np.array([self.ask_below]),
            overall=np.array([s.overall]),
            rule_keys=np.array(rule_keys, dtype=str),
            rule_counts=np.array([s.rules[k] for k in rule_keys], dtype=np.int64).reshape(-1, 2),
            pair_keys=np.array(pair_keys, dtype=str),
            pair_counts=np.array([s.pairs[k] for k in pair_keys], dtype=np.int64).reshape(-1, 2),
            vectors=s.vectors.astype(np.float32),
            right=s.right.astype(np.float32),
            expected=np.array(s.expected, dtype=str),
            features=np.array(FEATURE_NAMES, dtype=str),
            report=np.array(json.dumps(self.report)),
        )

    @classmethod
    def load(cls, path: Path) -> "Reliability":
        with np.load(path, allow_pickle=False) as d:
            if tuple(d["features"].tolist()) != FEATURE_NAMES:
                raise ValueError(f"{path}: made for other features; run `peerscope train`")
            stats = Stats(
                float(d["overall"][0]),
                {k: (int(a), int(b)) for k, (a, b) in zip(d["rule_keys"].tolist(), d["rule_counts"])},
                {k: (int(a), int(b)) for k, (a, b) in zip(d["pair_keys"].tolist(), d["pair_counts"])},
                d["vectors"].astype(np.float32),
                d["right"].astype(np.float32),
                d["expected"].astype(str),
            )
            return cls(
                stats,
                d["coef"].astype(np.float64),
                float(d["intercept"][0]),
                float(d["ask_below"][0]),
                json.loads(str(d["report"])),
            )


def _held_out_features(outcomes: list[Outcome], vectors: np.ndarray, groups: list[str]) -> np.ndarray:
    """Features of each outcome in ``groups``' rounds, its statistics taken from the other
    rounds among ``groups`` only."""
    X = np.zeros((len(outcomes), len(FEATURE_NAMES)))
    for g in groups:
        others = [i for i, o in enumerate(outcomes) if o.group in groups and o.group != g]
        stats = Stats.of([outcomes[i] for i in others], vectors[others])
        for i, o in enumerate(outcomes):
            if o.group == g:
                X[i] = o.scores + stats.features(o.rule_id, o.verdict, vectors[i])
    return X


def _fit_lr(X: np.ndarray, y: np.ndarray):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, max_iter=5000).fit(X, y)


def fit(outcomes: list[Outcome], vectors: np.ndarray, max_ask_rate: float = MAX_ASK_RATE) -> Reliability:
    """Fit on every calibration round, choosing ``ask_below`` on rounds held out in turn."""
    vectors = np.asarray(vectors, dtype=np.float32)
    y = np.array([int(o.right) for o in outcomes])
    groups = sorted({o.group for o in outcomes})
    held = np.zeros(len(outcomes))  # P(right) for each round from a fit on the other rounds
    if len(groups) >= 3:
        for g in groups:
            rest = [h for h in groups if h != g]
            X = _held_out_features(outcomes, vectors, rest)
            tr = np.array([o.group != g for o in outcomes])
            te = ~tr
            stats = Stats.of([o for o in outcomes if o.group != g], vectors[tr])
            Xte = np.array(
                [
                    o.scores + stats.features(o.rule_id, o.verdict, vectors[i])
                    for i, o in enumerate(outcomes)
                    if o.group == g
                ]
            )
            if len(set(y[tr])) < 2:
                held[te] = y[tr].mean()
                continue
            held[te] = _fit_lr(X[tr], y[tr]).predict_proba(Xte)[:, 1]
    X = _held_out_features(outcomes, vectors, groups)
    stats = Stats.of(outcomes, vectors)
    if len(set(y)) < 2:
        return Reliability(stats, np.zeros(len(FEATURE_NAMES)), _logit(y.mean() if len(y) else 0.5), 0.0)
    lr = _fit_lr(X, y)
    ask_below = choose_ask_below(held if len(groups) >= 3 else lr.predict_proba(X)[:, 1], max_ask_rate)
    report = summarise(held, y, ask_below) if len(groups) >= 3 else {}
    return Reliability(stats, lr.coef_[0].astype(np.float64), float(lr.intercept_[0]), ask_below, report)


def choose_ask_below(p_right: np.ndarray, max_ask_rate: float) -> float:
    """The highest threshold under which at most ``max_ask_rate`` of the answers fall."""
    values = np.sort(np.asarray(p_right))
    k = int(math.floor(max_ask_rate * len(values)))  # ask on the k least likely to be right
    if k <= 0:
        return 0.0
    return float(values[k - 1] + (values[k] - values[k - 1]) / 2) if k < len(values) else 1.0


def summarise(p_right: np.ndarray, y: np.ndarray, ask_below: float) -> dict:
    """Held-out figures: clarification rate, confident wrong rate, and the calibration error."""
    ask = p_right < ask_below
    n = len(y)
    bins = np.clip((p_right * 10).astype(int), 0, 9)
    ece = (
        sum(
            abs(p_right[bins == b].mean() - y[bins == b].mean()) * (bins == b).sum()
            for b in range(10)
            if (bins == b).any()
        )
        / n
    )
    return {
        "held_out_clarify_rate": round(float(ask.mean()), 4),
        "held_out_confident_wrong": round(float(((y == 0) & ~ask).mean()), 4),
        "held_out_calibration_error": round(float(ece), 4),
    }
