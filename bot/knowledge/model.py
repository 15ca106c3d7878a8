"""The learned part of the policy engine: which rule a question is about, and which
of the rule's verdicts it asks for. Trained from the example bank
(knowledge/banks/questions/*.jsonl) by `peerscope train`; saved under models/policy/.

- ``rules``: one classifier over every rule id plus ``not_covered``.
- ``variants``: for each rule with more than one verdict, a classifier over its
  verdicts, trained on the bank questions of that rule. Numbers are compared, not
  learned (bot/knowledge/quantities.py); the variant classifier only settles what a
  number leaves open ("14 units this week" needs the CPO: did the CPO approve?).
- ``conditions``: whether a question says a condition is met, not met, or says nothing,
  learned from the bank questions of every rule that depends on a condition (allowed:
  met, not_allowed: not met, depends: not said), so "the CPO signed off", "she never
  asked me" or "no consent yet" are read alike whichever rule they are about. Mixed into
  a depends rule's verdict probabilities with weight ``condition_weight`` (chosen on the
  calibration set); the rule's own classifier has only its few dozen questions.
- Reliability (bot/knowledge/reliability.py): the probability that an answer's verdict
  is right (its ``confidence``) and the point below which PeerScope asks a clarifying
  question instead, learned on the calibration set (questions the classifiers never
  saw). ``calibration`` (a logistic fit of the raw rule x verdict probability on the
  same set) still gives the confidence of an answer the user picked from the options.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from bot.knowledge.reliability import Reliability
from bot.nlp.textclf import FeatureConfig, TextClassifier, read_meta, write_meta

NOT_COVERED = "not_covered"
FEATURES = FeatureConfig(max_features=20000)
RULE_C = 8.0
VARIANT_C = 4.0
MIN_PER_VERDICT = 4
CONDITION_STATES = {"allowed": "met", "not_allowed": "unmet", "depends": "silent"}  # a depends rule's verdicts
CONDITION_C = 4.0
FORMAT = 2


@dataclass
class Example:
    id: str
    text: str
    rule: str
    verdict: str

    @property
    def batch(self) -> str:
        return self.id.split("-", 1)[0]


def load_bank(root: Path) -> list[Example]:
    out = []
    for path in sorted(Path(root).glob("*.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                out.append(Example(str(obj["id"]), str(obj["text"]), str(obj["rule"]), str(obj["verdict"])))
            except (ValueError, KeyError) as exc:
                raise ValueError(f"{path.name}:{n}: {exc}") from None
    return out


@dataclass
class Calibration:
    a: float = 1.0
    b: float = 0.0

    def __call__(self, raw: float) -> float:
        raw = min(max(raw, 1e-6), 1 - 1e-6)
        z = self.a * math.log(raw / (1 - raw)) + self.b
        return 1.0 / (1.0 + math.exp(-z))


@dataclass
class PolicyModel:
    rules: TextClassifier
    variants: dict[str, TextClassifier] = field(default_factory=dict)
    calibration: Calibration = field(default_factory=Calibration)
    clarify_below: float = 0.0  # ask when the calibrated confidence is below this...
    clarify_ratio: float = 1.0  # ...and the runner-up has at least this share of the top rule's probability
    meta: dict = field(default_factory=dict)
    router: TextClassifier | None = None  # "question" or "note": a pasted note is offered the note check
    # P(verdict right) and when to ask, learned on the calibration set (bot/knowledge/reliability.py);
    # None for a model saved before it existed (then calibration and clarify_* decide)
    reliability: Reliability | None = None
    conditions: TextClassifier | None = None  # met / unmet / silent, pooled over the depends rules
    condition_weight: float = 0.0

    def note_probability(self, text: str) -> float:
        if self.router is None:
            return 0.0
        return float(self.router.predict_proba([text])[0][self.router.labels.index("note")])

    @property
    def labels(self) -> list[str]:
        return self.rules.labels

    def rule_probs(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        return self.rules.predict_proba(texts, embeddings)

    def variant_probs(self, rule_id: str, text: str, embedding: np.ndarray | None = None) -> dict[str, float] | None:
        clf = self.variants.get(rule_id)
        if clf is None:
            return None
        dense = None if embedding is None else embedding[None, :]
        out = dict(zip(clf.labels, map(float, clf.predict_proba([text], dense)[0])))
        if self.conditions is None or not self.condition_weight or "depends" not in out:
            return out
        states = dict(zip(self.conditions.labels, map(float, self.conditions.predict_proba([text], dense)[0])))
        return mix_conditions(out, states, self.condition_weight)

    # -- persistence -------------------------------------------------------------------
    def save(self, directory: Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.rules.save(directory / "rules.npz")
        for old in [*directory.glob("variant-*.npz"), *directory.glob("*.skops")]:
            old.unlink()
        for rule_id, clf in self.variants.items():
            clf.save(directory / f"variant-{rule_id}.npz")
        for name, part in (("router", self.router), ("conditions", self.conditions), ("reliability", self.reliability)):
            (directory / f"{name}.npz").unlink(missing_ok=True)  # a model trained without it has none
            if part is not None:
                part.save(directory / f"{name}.npz")
        meta = dict(
            self.meta,
            format=FORMAT,
            calibration=[self.calibration.a, self.calibration.b],
            clarify_below=self.clarify_below,
            clarify_ratio=self.clarify_ratio,
            variants=sorted(self.variants),
            condition_weight=self.condition_weight,
        )
        write_meta(directory, meta)

    @classmethod
    def load(cls, directory: Path) -> "PolicyModel":
        directory = Path(directory)
        meta = read_meta(directory, FORMAT, "policy")
        variants = {rid: TextClassifier.load(directory / f"variant-{rid}.npz") for rid in meta["variants"]}
        router = directory / "router.npz"
        reliability = directory / "reliability.npz"
        conditions = directory / "conditions.npz"
        return cls(
            TextClassifier.load(directory / "rules.npz"),
            variants,
            Calibration(*meta["calibration"]),
            meta["clarify_below"],
            meta["clarify_ratio"],
            meta,
            TextClassifier.load(router) if router.is_file() else None,
            Reliability.load(reliability) if reliability.is_file() else None,
            TextClassifier.load(conditions) if conditions.is_file() else None,
            meta.get("condition_weight", 0.0),
        )


ROUTER_FEATURES = FeatureConfig(embedding_weight=0.0, char_weight=0.0, max_features=20000)


def fit_router(questions: Sequence[str], snippets: Sequence[str], seed: int = 0) -> TextClassifier:
    """Questions (the bank) against progress notes: the note bank's snippets, alone and
    joined into longer drafts of 2-6 snippets, the way a note is pasted."""
    import random

    rng = random.Random(seed)
    drafts = [" ".join(rng.sample(list(snippets), rng.randint(2, 6))) for _ in range(len(snippets))]
    texts = list(questions) + list(snippets) + drafts
    y = ["question"] * len(questions) + ["note"] * (len(snippets) + len(drafts))
    return TextClassifier(labels=["note", "question"], C=4.0, features=ROUTER_FEATURES).fit(texts, y)


def _fit_rules(texts, labels_, y, E) -> TextClassifier:
    return TextClassifier(labels=labels_, C=RULE_C, features=FEATURES).fit(texts, y, E)


def _fit_variants(examples: list[Example], E: np.ndarray, rules_by_id: dict) -> dict:
    out = {}
    for rule_id, rule in rules_by_id.items():
        verdicts = rule.verdicts
        if len(verdicts) < 2:
            continue
        idx = [i for i, ex in enumerate(examples) if ex.rule == rule_id and ex.verdict in verdicts]
        counts = {v: sum(1 for i in idx if examples[i].verdict == v) for v in verdicts}
        usable = [v for v in verdicts if counts[v] >= MIN_PER_VERDICT]
        if len(usable) < 2:
            continue
        idx = [i for i in idx if examples[i].verdict in usable]
        clf = TextClassifier(labels=usable, C=VARIANT_C, features=FeatureConfig(max_features=5000, min_df=1))
        out[rule_id] = clf.fit([examples[i].text for i in idx], [examples[i].verdict for i in idx], E[idx])
    return out


def mix_conditions(own: dict[str, float], states: dict[str, float], weight: float) -> dict[str, float]:
    """A depends rule's verdict probabilities with the pooled reader's (met / unmet / silent)
    mixed in at ``weight``. The reader may move probability to allowed or not_allowed; its
    "not said" vote is not added to depends (before renormalising, depends keeps at most the
    rule's own probability): on the seen blind rounds, letting it in made "I haven't asked
    the CPO" a confident `depends`."""
    mass = sum(own.get(v, 0.0) for v in CONDITION_STATES)
    mixed = dict(own)
    for verdict, state in CONDITION_STATES.items():
        if verdict in own:
            mixed[verdict] = (1 - weight) * own[verdict] + weight * mass * states[state]
    mixed["depends"] = min(mixed["depends"], own["depends"])
    total = sum(mixed.values())
    return {v: p / total for v, p in mixed.items()}


def fit_conditions(examples: list[Example], E: np.ndarray, rules_by_id: dict) -> TextClassifier | None:
    """The condition-state classifier: every bank question of a rule that has a depends
    verdict and at least one of allowed / not_allowed, labelled by the state its verdict
    says the condition is in."""
    pooled = [
        i
        for i, ex in enumerate(examples)
        if ex.verdict in CONDITION_STATES
        and (rule := rules_by_id.get(ex.rule)) is not None
        and "depends" in rule.verdicts
        and {"allowed", "not_allowed"} & set(rule.verdicts)
    ]
    if len({examples[i].verdict for i in pooled}) < 3:
        return None
    clf = TextClassifier(labels=list(CONDITION_STATES.values()), C=CONDITION_C, features=FEATURES)
    states = [CONDITION_STATES[examples[i].verdict] for i in pooled]
    return clf.fit([examples[i].text for i in pooled], states, E[pooled])
