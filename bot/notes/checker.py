"""The note scope checker: public API.

    from bot.notes import get_checker
    flags = get_checker().check(note_text)
    [f.to_dict() for f in flags]   # the DESIGN.md shape

Offsets are character offsets into the text that was passed in. The checker
never logs or raises with note text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .config import CATEGORIES, NoteCheckData, cached_data

try:  # the shared Citation type, when the knowledge package is present
    from bot.knowledge.sources import Citation
except ImportError:  # pragma: no cover - keeps the checker usable on its own
    Citation = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Flag:
    category: str
    start: int
    end: int
    text: str
    reason: str
    citations: tuple = ()
    suggestion: str = ""
    rule: str = field(default="", compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "reason": self.reason,
            "citations": [_citation_dict(c) for c in self.citations],
            "suggestion": self.suggestion,
        }


def _citation_dict(c) -> dict:
    if isinstance(c, dict):
        return {"source": c["source"], "section": c["section"], "quote": c["quote"]}
    return {"source": c.source, "section": c.section, "quote": c.quote}


def _make_citation(c: dict):
    return Citation(c["source"], c["section"], c["quote"]) if Citation else dict(c)


def build_pipeline(data_dir: str = ""):
    """spacy.blank("en") plus the rule components, configured from the data."""
    from bot.spacy_import import import_spacy

    spacy = import_spacy()
    from loguru import logger as _loguru  # medspaCy/PyRuSH log through loguru

    _loguru.disable("PyRuSH")
    _loguru.disable("medspacy")
    from . import components  # noqa: F401  (registers the factories)

    nlp = spacy.blank("en")
    cfg = {"data_dir": data_dir}
    nlp.add_pipe("peerscope_normalizer", config=cfg)
    nlp.add_pipe("peerscope_sentences")
    nlp.add_pipe("peerscope_cues", config=cfg)
    nlp.add_pipe("peerscope_actors", config=cfg)
    nlp.add_pipe("peerscope_rules", config=cfg)
    nlp.add_pipe("peerscope_context", config=cfg)
    nlp.add_pipe("peerscope_decide", config=cfg)
    return nlp


class NoteChecker:
    """Reads a progress-note draft and returns the out-of-scope passages."""

    def __init__(self, data_dir: str | Path | None = None):
        self.data_dir = str(data_dir) if data_dir else ""
        self.data: NoteCheckData = cached_data(self.data_dir or None)
        self.nlp = build_pipeline(self.data_dir)
        self._citations = {
            name: tuple(_make_citation(c) for c in cat.citations)
            for name, cat in self.data.categories.items()
        }

    @property
    def categories(self) -> tuple[str, ...]:
        return CATEGORIES

    def check(self, text: str) -> list[Flag]:
        if not isinstance(text, str):
            raise TypeError("check() expects a str")
        if not text.strip():
            return []
        doc = self.nlp(text)
        index = doc._.ps_actors
        flags = []
        for category, sent_idx, rule_id in doc._.ps_flags or []:
            sent = index.sents[sent_idx]
            span = doc[sent.start:sent.end]
            start, end = _trim(text, span.start_char, span.end_char)
            cat = self.data.categories[category]
            flags.append(Flag(category, start, end, text[start:end], cat.reason,
                              self._citations[category], cat.suggestion, rule_id))
        flags.sort(key=lambda f: (f.start, CATEGORIES.index(f.category)))
        return flags


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
