"""Tokenising and lemmatising with spaCy (blank English + lookup lemmatizer).

No pretrained model is needed (nothing downloads): ``spacy.blank("en")`` gives
the rule-based tokenizer, and the lookup table from spacy-lookups-data gives
lemmas ("drove" -> "drive", "kids" -> "kid"). If spaCy is unavailable, a
regex tokenizer without lemmas keeps the engine working (less well).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_WORD = re.compile(r"[A-Za-z0-9$]+(?:['\u2019][A-Za-z]+)?|[^\sA-Za-z0-9]")


@dataclass(frozen=True)
class Token:
    text: str   # lower-cased surface form
    lemma: str  # lower-cased lemma


class Lemmatiser:
    def __init__(self) -> None:
        self.nlp = None
        self.table = {}
        try:
            spacy = _import_spacy()

            nlp = spacy.blank("en")
            try:
                nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
                nlp.initialize()
                self.table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
            except Exception:  # spacy-lookups-data missing: tokenizer only
                nlp = spacy.blank("en")
            self.nlp = nlp
        except ImportError:  # pragma: no cover - spaCy is a dependency
            self.nlp = None
        # Base forms (the table's values); inflected forms are checked with is_known().
        self.vocabulary: set[str] = {str(v).lower() for v in self.table.values()}

    def is_known(self, word: str) -> bool:
        return word in self.vocabulary or word in self.table

    def tokens(self, text: str) -> list[Token]:
        if self.nlp is None:
            return [Token(w.lower(), w.lower()) for w in _WORD.findall(text)]
        out = []
        for tok in self.nlp.make_doc(text):
            if tok.is_space:
                continue
            low = tok.text.lower()
            lemma = self.table.get(tok.text) or self.table.get(low) or low
            out.append(Token(low, lemma.lower()))
        return out


def _import_spacy():
    """Import spaCy without letting thinc import TensorFlow (installed with Rasa,
    slow to import, and not needed here). TensorFlow stays importable later."""
    import sys

    if "spacy" in sys.modules or "tensorflow" in sys.modules:
        import spacy

        return spacy
    sys.modules["tensorflow"] = None  # makes `import tensorflow` fail inside thinc
    try:
        import spacy
    finally:
        if sys.modules.get("tensorflow", 0) is None:
            del sys.modules["tensorflow"]
    return spacy


@lru_cache(maxsize=1)
def get_lemmatiser() -> Lemmatiser:
    return Lemmatiser()
