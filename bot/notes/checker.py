"""The note scope checker: public API.

    from bot.notes import get_checker
    flags = get_checker().check(note_text)
    [f.to_dict() for f in flags]   # the DESIGN.md shape

Offsets are character offsets into the text that was passed in. The checker
never logs or raises with note text.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from bot.knowledge.deployment import enabled_citations  # only sources this deployment enables
from bot.knowledge.sources import Citation

from .config import CATEGORIES, FLAG_CATEGORIES, NoteCheckData, cached_data
from .model import CATEGORIES as _MODEL_CATEGORIES  # the scope classifier's labels


@dataclass(frozen=True)
class Flag:
    category: str
    start: int
    end: int
    text: str
    reason: str
    citations: tuple = ()
    suggestion: str = ""
    rule: str = field(default="", compare=False)  # the cue rule's id, or "model"
    confidence: float | None = field(default=None, compare=False)  # the classifier's, when it decided

    def to_dict(self) -> dict[str, Any]:
        out = {
            "category": self.category,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "reason": self.reason,
            "citations": [_citation_dict(c) for c in self.citations],
            "suggestion": self.suggestion,
        }
        if self.confidence is not None:
            out["confidence"] = round(self.confidence, 3)
        return out


def _citation_dict(c) -> dict:
    if isinstance(c, dict):
        return {"source": c["source"], "section": c["section"], "quote": c["quote"]}
    return {"source": c.source, "section": c.section, "quote": c.quote}


def _make_citation(c):
    return c if not isinstance(c, dict) else Citation(c["source"], c["section"], c["quote"])


def build_pipeline(data_dir: str = ""):
    """spacy.blank("en") plus the rule components, configured from the data."""
    from bot.spacy_import import import_spacy

    spacy = import_spacy()
    from loguru import logger as _loguru  # medspaCy/PyRuSH log through loguru

    _loguru.disable("PyRuSH")
    _loguru.disable("medspacy")
    from .pipeline import COMPONENTS  # registers the factories

    nlp = spacy.blank("en")
    for name in COMPONENTS:
        nlp.add_pipe(name, config={"data_dir": data_dir})
    return nlp


class NoteChecker:
    """Reads a progress-note draft and returns the out-of-scope passages.

    Two signals per sentence: the cue rules (knowledge/note_checks, precise where they
    fire) and the trained classifiers (bot/notes/model.py). A category is flagged when
    either says so; a flag only the classifier raised carries its confidence. Risk is
    the classifier's alone: ``risk`` (alert) or ``risk_possible`` (please check). The risk
    cue rules only speak when no model is loaded: on blind rounds 3-10 a cue the
    classifier did not confirm caught 1 of 430 risk lines and asked about 28 of 330
    ordinary ones (one cue read "hi" as "homicidal ideation").
    """

    def __init__(self, data_dir: str | Path | None = None, model=None):
        """``model``: a NoteModel, None to load the trained one (models/notes), or False
        for the cue rules alone (used to measure them on their own)."""
        self.data_dir = str(data_dir) if data_dir else ""
        self.data: NoteCheckData = cached_data(self.data_dir or None)
        self.nlp = build_pipeline(self.data_dir)
        self.model = load_note_model() if model is None else (model or None)
        self._citations = {
            name: tuple(_make_citation(c) for c in cat.citations) for name, cat in self.data.categories.items()
        }

    @property
    def categories(self) -> tuple[str, ...]:
        return CATEGORIES

    def _flag(self, category: str, text: str, start: int, end: int, rule: str, confidence=None) -> Flag:
        start, end = _trim(text, start, end)
        cat = self.data.categories[category]
        return Flag(
            category,
            start,
            end,
            text[start:end],
            cat.reason,
            enabled_citations(self._citations[category]),
            cat.suggestion,
            rule,
            confidence,
        )

    def _run(self, text: str):
        """(sentence spans, {(category, sentence index): rule id}) from the cue rules."""
        doc = self.nlp(text)
        index = doc._.ps_actors
        sents = [(doc[s.start : s.end].start_char, doc[s.start : s.end].end_char) for s in index.sents] or [
            (0, len(text))
        ]
        fired: dict[tuple[str, int], str] = {}
        for category, sent_idx, rule_id in doc._.ps_flags or []:
            fired.setdefault((category, sent_idx), rule_id)
        return sents, fired

    def rule_hits(self, text: str) -> tuple[list[tuple[int, int]], list[list[int]]]:
        """Sentence spans and, per sentence, which scope categories' cue rules fired."""
        sents, fired = self._run(text)
        return sents, [[int((c, i) in fired) for c in _MODEL_CATEGORIES] for i in range(len(sents))]

    def check(self, text: str, risk_only: bool = False) -> list[Flag]:
        """The flags for ``text``; offsets and passages refer to ``text`` as given, although
        the check reads it without format characters (a soft hyphen cannot hide a word).
        ``risk_only``: only the risk flags (a chat message: the scope checks are for notes)."""
        if not isinstance(text, str):
            raise TypeError("check() expects a str")
        if not text.strip():
            return []
        kept = [i for i, ch in enumerate(text) if unicodedata.category(ch) != "Cf"]
        if len(kept) == len(text):
            return self._check(text, risk_only)
        clean = "".join(text[i] for i in kept)
        kept.append(len(text))
        return [
            replace(f, start=kept[f.start], end=kept[f.end - 1] + 1, text=text[kept[f.start] : kept[f.end - 1] + 1])
            for f in self._check(clean, risk_only)
        ]

    def _check(self, text: str, risk_only: bool = False) -> list[Flag]:
        sents, fired = self._run(text)
        flags = [] if risk_only else self._scope(text, sents, fired)
        flags += self._risk(text, sents, {i: rule for (c, i), rule in fired.items() if c == "risk"})
        flags.sort(key=lambda f: (f.start, FLAG_CATEGORIES.index(f.category)))
        unique: dict[tuple[str, int], Flag] = {}
        for f in flags:  # passages that trim to the same text are one flag
            unique.setdefault((f.category, f.start), f)
        return list(unique.values())

    def _scope(self, text: str, sents: list[tuple[int, int]], fired: dict) -> list[Flag]:
        """The scope flags: the classifier's per sentence (it reads which cue rules fired),
        or the cue rules' own without a trained model."""
        if self.model is None:
            return [self._flag(c, text, *sents[i], rule) for (c, i), rule in fired.items() if c != "risk"]
        hits = np.array(
            [[float((c, i) in fired) for c in _MODEL_CATEGORIES] for i in range(len(sents))], dtype=np.float32
        )
        scope = self.model.scope_probs([text[a:b] for a, b in sents], hits)
        return [
            self._flag(category, text, *sents[i], fired.get((category, i), "model"), float(row[j]))
            for i, row in enumerate(scope)
            for j, category in enumerate(_MODEL_CATEGORIES)
            if row[j] >= self.model.thresholds[category]
        ]

    def _risk(self, text: str, sents: list[tuple[int, int]], cues: dict[int, str]) -> list[Flag]:
        """At most one risk flag per sentence, on the shortest passage that reaches the tier;
        a longer passage over a sentence already flagged only raises that flag's tier, so one
        risk statement gives one flag. ``cues``: sentence index -> the id of the risk cue rule
        that fired there."""
        if self.model is None:
            return [self._flag("risk", text, *sents[i], rule) for i, rule in sorted(cues.items())]
        from .passages import passages, runs

        units = passages(text, sents)
        n_whole = len(units)
        units += runs(text, sents)  # runs of words across a long sentence (see passages.windows)
        p = self.model.risk_probs([text[a:b] for a, b in units])
        t = self.model.thresholds
        best: dict[int, tuple[str, float, tuple[int, int]]] = {}
        order = sorted(range(len(units)), key=lambda k: units[k][1] - units[k][0])
        for k in order:
            (a, b), prob = units[k], p[k]
            alert = prob >= t["risk"] and k < n_whole  # a run can ask to check, never alert
            tier = "risk" if alert else "risk_possible" if prob >= t["risk_possible"] else None
            if tier is None:
                continue
            # a passage over several sentences counts for the one already flagged, if any
            covered = [i for i, (s, e) in enumerate(sents) if s < b and e > a]
            target = next((i for i in covered if i in best), covered[0])
            current = best.get(target)
            if current is None or (tier == "risk" and current[0] != "risk"):
                best[target] = (tier, float(prob), (a, b))
        return [self._flag(tier, text, a, b, "model", prob) for tier, prob, (a, b) in best.values()]


def note_model_dir() -> Path:
    from bot.nlp.weights import models_dir

    return models_dir() / "notes"


class ModelMissing(RuntimeError):
    pass


def load_note_model():
    """The trained note model (models/notes, built by `peerscope train`)."""
    from .model import NoteModel

    directory = note_model_dir()
    if not (directory / "meta.json").is_file():
        raise ModelMissing(f"the note model is not trained yet ({directory}); run `peerscope train`")
    return NoteModel.load(directory)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and (text[start].isspace() or text[start] in "|•"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in "|"):
        end -= 1
    return start, end


@lru_cache(maxsize=2)
def get_checker(data_dir: str | None = None) -> NoteChecker:
    """The shared checker (built once per process; the pipeline takes ~1 s)."""
    return NoteChecker(data_dir)
