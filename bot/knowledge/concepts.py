"""Concept matching: which ideas (transport, medication, gift...) a question mentions.

The vocabulary is data (knowledge/rules/_concepts.yml). Matching works on
lemmas, so inflections match; phrases match as lemma sequences; misspelt words
are mapped to the closest concept word (rapidfuzz, else difflib); a term
preceded closely by a negation is recorded as negated.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.knowledge.nlp import Lemmatiser, Token

NEGATIONS = {"not", "n't", "no", "never", "without", "nobody", "none", "cannot", "neither", "nor", "dont", "doesnt",
             "didnt", "isnt", "wont", "cant"}
_FUZZY_MIN_LEN = 5
_FUZZY_CUTOFF = 80


@dataclass
class ConceptHits:
    """Concepts found in one text."""

    positive: set[str] = field(default_factory=set)  # found at least once, not negated
    negated: set[str] = field(default_factory=set)   # found only under a negation
    terms: dict[str, set[str]] = field(default_factory=dict)  # concept -> matched terms

    @property
    def all(self) -> set[str]:
        return self.positive | self.negated

    def __contains__(self, concept: str) -> bool:
        return concept in self.positive or concept in self.negated


class ConceptMatcher:
    def __init__(self, concepts: dict[str, list[str]], lemmatiser: Lemmatiser, extra_vocab: set[str] = frozenset()):
        self.lem = lemmatiser
        self.names = set(concepts)
        # term (tuple of lemmas) -> concepts
        self.terms: dict[tuple[str, ...], set[str]] = {}
        for name, words in concepts.items():
            for word in words or ():
                toks = lemmatiser.tokens(str(word))
                # index a term as written and as lemmas, except -ing/-ed forms whose lookup
                # lemma is a different word ("meeting" -> "meet", "recorded" -> "record")
                keys = {tuple(t.text for t in toks)}
                if not any(t.lemma != t.text and t.text.endswith(("ing", "ed")) for t in toks):
                    keys.add(tuple(t.lemma for t in toks))
                for key in keys:
                    if key:
                        self.terms.setdefault(key, set()).add(name)
        self.max_len = max((len(k) for k in self.terms), default=1)
        self.single = sorted({k[0] for k in self.terms if len(k) == 1 and len(k[0]) >= 4 and k[0].isalpha()})
        self.known = lemmatiser.vocabulary | {w for k in self.terms for w in k} | set(extra_vocab)

    @classmethod
    def from_file(cls, path: Path, lemmatiser: Lemmatiser, extra_vocab: set[str] = frozenset()) -> "ConceptMatcher":
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls({str(k): [str(w) for w in (v or [])] for k, v in data.items()}, lemmatiser, extra_vocab)

    # -- typo tolerance ---------------------------------------------------------
    def _correct(self, tok: Token) -> Token:
        word = tok.text
        if len(word) < _FUZZY_MIN_LEN or not word.isalpha() or word in self.known or self.lem.is_known(word):
            return tok
        try:
            from rapidfuzz import fuzz, process

            pool = [w for w in self.single if w[0] == word[0]]  # typos rarely hit the first letter
            best = process.extractOne(word, pool, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF)
            fixed = best[0] if best else None
        except ImportError:  # pragma: no cover
            pool = [w for w in self.single if w[0] == word[0]]
            close = difflib.get_close_matches(word, pool, n=1, cutoff=_FUZZY_CUTOFF / 100)
            fixed = close[0] if close else None
        return Token(fixed, fixed) if fixed else tok

    def prepare(self, text: str) -> list[Token]:
        return [self._correct(t) for t in self.lem.tokens(text)]

    def match(self, tokens: list[Token]) -> ConceptHits:
        hits = ConceptHits()
        lemmas = [t.lemma for t in tokens]
        texts = [t.text for t in tokens]
        n = len(tokens)
        for i in range(n):
            for size in range(1, min(self.max_len, n - i) + 1):
                for seq in {tuple(lemmas[i:i + size]), tuple(texts[i:i + size])}:
                    names = self.terms.get(seq)
                    if not names:
                        continue
                    window = set(lemmas[max(0, i - 3):i]) | set(texts[max(0, i - 3):i])
                    negated = bool(window & NEGATIONS)
                    for name in names:
                        (hits.negated if negated else hits.positive).add(name)
                        hits.terms.setdefault(name, set()).add(" ".join(seq))
        hits.negated -= hits.positive
        return hits
