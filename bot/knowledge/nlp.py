"""Tokenising and lemmatising with spaCy (blank English + lookup lemmatizer).

No pretrained model is needed (nothing downloads): ``spacy.blank("en")`` gives
the rule-based tokenizer, and the lookup table from spacy-lookups-data gives
lemmas ("drove" -> "drive", "kids" -> "kid").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from bot.spacy_import import import_spacy


@dataclass(frozen=True)
class Token:
    text: str  # lower-cased surface form
    lemma: str  # lower-cased lemma


class Lemmatiser:
    def __init__(self) -> None:
        nlp = import_spacy().blank("en")
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()  # loads the lookup table from spacy-lookups-data (installed, no download)
        self.nlp = nlp
        self.table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
        # Base forms (the table's values); inflected forms are checked with is_known().
        self.vocabulary: set[str] = {str(v).lower() for v in self.table.values()}

    def is_known(self, word: str) -> bool:
        return word in self.vocabulary or word in self.table

    def tokens(self, text: str) -> list[Token]:
        out = []
        for tok in self.nlp.make_doc(text):
            if tok.is_space:
                continue
            low = tok.text.lower()
            lemma = self.table.get(tok.text) or self.table.get(low) or low
            out.append(Token(low, lemma.lower()))
        return out


@lru_cache(maxsize=1)
def get_lemmatiser() -> Lemmatiser:
    return Lemmatiser()
