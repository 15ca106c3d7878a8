"""The note checker's learned signals: a scope classifier and a risk classifier.

Both are trained by `peerscope train` from the example banks (knowledge/banks/notes,
knowledge/banks/risk) and saved under models/notes/.

- ``scope``: one probability per category for each sentence of a note, from the
  sentence's character and word n-grams, its embedding and those of the sentences
  before and after it (the shared sentence encoder: words nobody here wrote land near
  the ones the banks use), and which cue rules fired on it (knowledge/note_checks): the
  classifier learns how far to trust each rule.
- ``risk``: the probability that a passage describes a risk of harm. It reads the
  sentence embedding as well as n-grams. A cheap n-gram ``gate`` decides which
  passages are worth embedding; its threshold keeps every risk passage of the
  held-out folds.

Thresholds come from grouped cross-validation on the banks (a sentence, its
near-miss pair and its in-context copies are always in the same fold): per category
the lowest threshold whose held-out precision reaches ``PRECISION_TARGET``; for risk,
``risk`` (alert) where held-out precision reaches the target and ``risk_possible``
where held-out recall stays at ``RISK_RECALL``.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from bot.nlp.textclf import FeatureConfig, TextClassifier, read_meta, write_meta
from bot.notes.config import CATEGORIES as ALL_CATEGORIES
from bot.notes.passages import passages, runs, split_sentences
from bot.notes.thresholds import fold_of, folds, held_out_stats, threshold_for_precision, threshold_for_recall

CATEGORIES = tuple(c for c in ALL_CATEGORIES if c != "risk")  # the scope categories (risk has its own model)
FORMAT = 5
FOLDS = 5
PRECISION_TARGET = 0.85  # scope categories: held-out precision at the chosen threshold
RISK_PRECISION = 0.90  # the alert tier
RISK_RECALL = 0.985  # the alert tier and the "please check" tier together
GATE_RECALL = 0.995  # risk passages the n-gram gate lets through to the embedding model
CHAT_WEIGHT = 3.0  # weight of the chat's own non-risk messages in the risk and gate models
SCOPE_FEATURES = FeatureConfig(embedding_weight=1.0, max_features=30000)  # dense block: rule hits + embeddings
CONTEXT_WEIGHT = 0.5  # the embeddings of the sentences before and after, in the scope classifier's dense block
RISK_FEATURES = FeatureConfig(max_features=30000)
GATE_FEATURES = FeatureConfig(embedding_weight=0.0, max_features=20000)


@dataclass
class NoteModel:
    scope: TextClassifier
    risk: TextClassifier
    gate: TextClassifier
    thresholds: dict = field(default_factory=dict)  # category -> threshold; risk, risk_possible, gate
    meta: dict = field(default_factory=dict)

    def scope_probs(self, sentences: Sequence[str], rule_hits: np.ndarray) -> np.ndarray:
        """``sentences``: one note's sentences, in order; ``rule_hits``: sentences x
        CATEGORIES, 1 where that category's cue rule fired."""
        from bot.nlp.encoder import get_encoder

        return self.scope.predict_proba(sentences, scope_dense(rule_hits, get_encoder().encode(sentences)))

    def risk_probs(self, texts: Sequence[str]) -> np.ndarray:
        """Risk probability per text; texts the gate rejects keep the gate's probability."""
        if not texts:
            return np.zeros(0)
        gate = self.gate.predict_proba(texts)[:, 1]
        out = gate.copy()
        keep = np.where(gate >= self.thresholds["gate"])[0]
        if len(keep):
            from bot.nlp.encoder import get_encoder

            chosen = [texts[i] for i in keep]
            out[keep] = self.risk.predict_proba(chosen, get_encoder().encode(chosen))[:, 1]
        return out

    def save(self, directory: Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.scope.save(directory / "scope.npz")
        self.risk.save(directory / "risk.npz")
        self.gate.save(directory / "gate.npz")
        write_meta(directory, dict(self.meta, format=FORMAT, thresholds=self.thresholds))

    @classmethod
    def load(cls, directory: Path) -> "NoteModel":
        directory = Path(directory)
        meta = read_meta(directory, FORMAT, "note")
        return cls(
            TextClassifier.load(directory / "scope.npz"),
            TextClassifier.load(directory / "risk.npz"),
            TextClassifier.load(directory / "gate.npz"),
            meta["thresholds"],
            meta,
        )


# -- training data ----------------------------------------------------------------------------


@dataclass
class Unit:
    text: str
    group: str
    labels: frozenset  # categories (scope) or {"risk"}


def read_jsonl(path: Path) -> list[dict]:
    rows = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except ValueError as exc:
                raise ValueError(f"{path.name}:{n}: {exc}") from None
    return rows


def scope_units(rows: list[dict], checker) -> tuple[list[Unit], np.ndarray]:
    """Sentences of the notes bank (split as the checker splits them), each with the
    categories whose labelled spans it overlaps, and the cue rules that fired on it."""
    units, hits = [], []
    for row in rows:
        text = row["text"]
        spans = []
        for flag in row["flags"]:
            at = text.find(flag["span"])
            spans.append((at, at + len(flag["span"]), flag["category"]))
        sents, fired = checker.rule_hits(text)
        for (s, e), hit in zip(sents, fired):
            labels = frozenset(c for a, b, c in spans if a < e and b > s)
            units.append(Unit(text[s:e].strip(), row["id"], labels))
            hits.append(hit)
    return units, np.array(hits, dtype=np.float32).reshape(len(units), len(CATEGORIES))


def risk_units(rows: list[dict]) -> list[Unit]:
    """Each risk-bank line; a line and its near-miss pair share a group, so they are
    never split across folds."""
    return [
        Unit(
            row["text"],
            min(row["id"], row.get("pair") or row["id"]),
            frozenset({"risk"}) if row["risk"] else frozenset(),
        )
        for row in rows
    ]


def banks(root: Path) -> tuple[list[dict], list[dict]]:
    notes = [r for p in sorted((Path(root) / "banks" / "notes").glob("*.jsonl")) for r in read_jsonl(p)]
    risk = [r for p in sorted((Path(root) / "banks" / "risk").glob("*.jsonl")) for r in read_jsonl(p)]
    return notes, risk


def scope_dense(rule_hits: np.ndarray, embeddings: np.ndarray, notes: Sequence[str] | None = None) -> np.ndarray:
    """The scope classifier's dense block: which cue rules fired, the sentence embedding, and
    (weighted ``CONTEXT_WEIGHT``) the embeddings of the sentences before and after it in the
    same note, zeros at a note's ends. A sentence alone can read as straying when the next one
    settles it: "She asked me to hold her keys." / "I said no and she gave them to her sister."
    ``notes``: the note each row belongs to (rows in note order); None: all one note."""
    emb = np.asarray(embeddings, dtype=np.float32)
    owner = np.asarray(notes if notes is not None else [""] * len(emb), dtype=object)
    before, after = np.zeros_like(emb), np.zeros_like(emb)
    if len(emb) > 1:
        same = owner[1:] == owner[:-1]
        before[1:][same] = emb[:-1][same]
        after[:-1][same] = emb[1:][same]
    context = CONTEXT_WEIGHT * np.hstack([before, after])
    return np.hstack([np.asarray(rule_hits, dtype=np.float32), emb, context])


def held_out_scope(units: list[Unit], dense: np.ndarray, seeds: Sequence[int] = (0,)) -> np.ndarray:
    """Held-out category probabilities for every unit, averaged over fold splits."""
    texts = [u.text for u in units]
    y = np.array([[c in u.labels for c in CATEGORIES] for u in units], dtype=int)
    clf = TextClassifier(labels=list(CATEGORIES), mode="multilabel", features=SCOPE_FEATURES)
    return sum(clf.held_out(texts, y, folds([u.group for u in units], FOLDS, seed), dense) for seed in seeds) / len(
        seeds
    )


@dataclass
class Probe:
    """Something the checker reads whole (a risk-bank line, a bank note): its passages
    are scored and the highest score counts, as in NoteChecker._risk; ``runs`` (runs of
    words across a long sentence) count for the ``risk_possible`` tier only."""

    group: str
    label: int
    passages: list[str]
    runs: list[str] = field(default_factory=list)

    @property
    def units(self) -> list[str]:
        return self.passages + self.runs


def _probe(group: str, label: int, text: str) -> Probe:
    sents = split_sentences(text)
    return Probe(group, label, [text[a:b] for a, b in passages(text, sents)], [text[a:b] for a, b in runs(text, sents)])


def probes(risk_rows: list[dict], notes: list[dict]) -> list[Probe]:
    out = [_probe(min(row["id"], row.get("pair") or row["id"]), int(row["risk"]), row["text"]) for row in risk_rows]
    return out + [_probe("n:" + row["id"], 0, row["text"]) for row in notes]


def held_out_risk(
    units: list[Unit],
    E: np.ndarray | None,
    tests: list[Probe],
    P: np.ndarray | None,
    features: FeatureConfig,
    seeds: Sequence[int] = (0, 1),
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Held-out risk scores of every probe, as columns: the highest over its passages, and
    the highest over its runs (0 when it has none). The model of each fold is trained on
    the units whose group is outside that fold. ``P``: the dense features of every probe's
    ``units``, in order."""
    texts = [u.text for u in units]
    y = np.array(["risk" in u.labels for u in units], dtype=int)
    flat = [t for probe in tests for t in probe.units]
    owner = np.repeat(np.arange(len(tests)), [len(p.units) for p in tests])
    whole = np.concatenate([np.arange(len(p.units)) < len(p.passages) for p in tests]) if tests else np.zeros(0, bool)
    clf = TextClassifier(labels=[0, 1], features=features)
    clf._fit_vectorizers(texts)
    X = clf.featurize(texts, E)
    XP = clf.featurize(flat, P)
    groups = [u.group for u in units] + [p.group for p in tests]
    out = np.zeros((len(tests), 2))
    for seed in seeds:
        of = fold_of(groups, FOLDS, seed)
        unit_fold = np.array([of[u.group] for u in units])
        test_fold = np.array([of[p.group] for p in tests])
        for k in range(FOLDS):
            train_rows = unit_fold != k
            clf.fit_matrix(X[train_rows], y[train_rows], None if weights is None else weights[train_rows])
            rows = np.where(test_fold[owner] == k)[0]
            scores = clf.proba_matrix(XP[rows])[:, 1]
            best = np.zeros((len(tests), 2))
            np.maximum.at(best[:, 0], owner[rows][whole[rows]], scores[whole[rows]])
            np.maximum.at(best[:, 1], owner[rows][~whole[rows]], scores[~whole[rows]])
            out += np.where((test_fold == k)[:, None], best, 0.0)
    return out / len(seeds)


# policy questions about these rules may describe a real person at risk: not negatives
RISK_RULES = {"risk-of-harm", "mandatory-reporting", "harassment-harm", "crisis-plan-wrap", "exclusion-higher-care"}


def chat_negatives(root: Path) -> list[tuple[str, str]]:
    """(group, text) of messages that are not risk: the policy question bank (minus the
    rules about risk) and the Rasa NLU examples (minus risk_disclosure)."""
    import yaml

    out = [
        (row["id"], row["text"])
        for p in sorted((Path(root) / "banks" / "questions").glob("*.jsonl"))
        for row in read_jsonl(p)
        if row["rule"] not in RISK_RULES
    ]
    for path in sorted((Path(root).parent / "nlu_data" / "nlu").glob("*.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            if block.get("intent") in (None, "risk_disclosure"):
                continue
            for line in str(block.get("examples", "")).splitlines():
                text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line.strip().lstrip("- ").strip())
                if text:
                    out.append((f"{path.stem}:{block['intent']}", text))
    return out


def unit_weights(units: list[Unit]) -> np.ndarray:
    """Training weight of each risk unit: the chat's own messages (group "q:") weigh
    ``CHAT_WEIGHT``, so short everyday commands ("let me see note 4", "tell me a joke")
    do not look like the brief risk lines of the banks."""
    return np.array([CHAT_WEIGHT if u.group.startswith("q:") else 1.0 for u in units])


def train(root: Path, out_dir: Path, echo: Callable[[str], None] = print) -> dict:
    from bot.nlp.encoder import encode_cached
    from bot.notes.checker import NoteChecker

    started = time.monotonic()
    notes, risk_rows = banks(root)
    s_units, hits = scope_units(notes, NoteChecker(model=False))
    r_units = risk_units(risk_rows)
    # ordinary note sentences are risk negatives too (so a normal note raises no risk flag),
    # and so are ordinary chat messages: the policy questions and the chat's own examples;
    # a note marked scope_only teaches the scope categories alone
    scope_only = {row["id"] for row in notes if row.get("scope_only")}
    r_units += [Unit(u.text, "n:" + u.group, frozenset()) for u in s_units if u.group not in scope_only]
    chat = chat_negatives(root)
    r_units += [Unit(text, "q:" + key, frozenset()) for key, text in chat]
    weights = unit_weights(r_units)
    echo(f"note model: {len(s_units)} note sentences, {len(risk_rows)} risk lines; cross-validating thresholds")
    y_scope = np.array([[c in u.labels for c in CATEGORIES] for u in s_units], dtype=int)
    s_texts = [u.text for u in s_units]
    s_dense = scope_dense(hits, encode_cached(s_texts), [u.group for u in s_units])
    p_scope = held_out_scope(s_units, s_dense)
    thresholds = {
        c: threshold_for_precision(p_scope[:, j], y_scope[:, j], PRECISION_TARGET) for j, c in enumerate(CATEGORIES)
    }
    r_texts = [u.text for u in r_units]
    y_risk = np.array(["risk" in u.labels for u in r_units], dtype=int)
    # the chat's messages are held-out probes too: how many would be asked to check
    tests = probes(risk_rows, [r for r in notes if r["id"] not in scope_only])
    tests += [Probe("q:" + key, 0, [text]) for key, text in chat]
    y_tests = np.array([p.label for p in tests])
    E = encode_cached(r_texts)
    P = encode_cached([t for p in tests for t in p.units])
    p_gate = held_out_risk(r_units, None, tests, None, GATE_FEATURES, weights=weights).max(axis=1)
    p_risk = held_out_risk(r_units, E, tests, P, RISK_FEATURES, weights=weights)
    thresholds["gate"] = threshold_for_recall(p_gate, y_tests, GATE_RECALL)
    thresholds["risk_possible"] = threshold_for_recall(p_risk.max(axis=1), y_tests, RISK_RECALL)
    thresholds["risk"] = max(
        threshold_for_precision(p_risk[:, 0], y_tests, RISK_PRECISION), thresholds["risk_possible"]
    )
    stats = held_out_stats(CATEGORIES, p_scope, y_scope, p_risk, y_tests, thresholds, [p.group[:2] for p in tests])
    echo("note model: final fit")
    scope = TextClassifier(labels=list(CATEGORIES), mode="multilabel", features=SCOPE_FEATURES).fit(
        s_texts, y_scope, s_dense
    )
    risk = TextClassifier(labels=[0, 1], features=RISK_FEATURES).fit(r_texts, y_risk, E, weights)
    gate = TextClassifier(labels=[0, 1], features=GATE_FEATURES).fit(r_texts, y_risk, sample_weight=weights)
    model = NoteModel(scope, risk, gate, thresholds, {"held_out": stats})
    model.save(out_dir)
    echo(f"note model trained in {time.monotonic() - started:.0f} s; held-out: {json.dumps(stats)}")
    return model.meta
