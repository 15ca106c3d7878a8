"""Concept matching: which ideas (transport, medication, gift...) a question mentions.

The vocabulary is data (knowledge/rules/_concepts.yml). Matching works on
lemmas, so inflections match; phrases match as lemma sequences; misspelt words
are mapped to the closest concept word (rapidfuzz, else difflib); a term
preceded closely by a negation is recorded as negated.

Context (knowledge/rules/_context.yml, also data) keeps a word from counting
when it does not name the concept: words inside a ``neutral`` phrase ("therapy
dog", "gift shop") match nothing; a one-word term used as a modifier (right
before a ``compound_heads`` noun, "legal pad", or as the first part of a
hyphenated word, "drive-thru") matches nothing; and a term for a thing the
asker owns ("my own doctor", "my work phone") counts as ``self_owned`` instead
of the client-side concept named in ``own_sensitive``. A pronoun whose nearest
preceding person is staff ("my supervisor ... her car") and a term ending in a
possessive "her" ("with her doctor") match nothing.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.knowledge.nlp import Lemmatiser, Token

NEGATIONS = {"not", "n't", "no", "never", "without", "nobody", "none", "cannot", "neither", "nor", "dont", "doesnt",
             "didnt", "isnt", "wont", "cant"}
PRONOUNS = {"she", "he", "her", "him", "his", "they", "them", "their"}
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
    def __init__(self, concepts: dict[str, list[str]], lemmatiser: Lemmatiser, extra_vocab: set[str] = frozenset(),
                 context: dict | None = None):
        self.lem = lemmatiser
        self.names = set(concepts)
        context = context or {}
        self.neutral = {self._key(p) for p in context.get("neutral") or ()} - {()}
        self.heads = {str(w).lower() for w in context.get("compound_heads") or ()}
        self.hyphen_ok = {str(w).lower() for w in context.get("hyphen_ok") or ()}
        self.own_markers = {str(w).lower() for w in context.get("own_markers") or ()}
        self.own_sensitive = set(context.get("own_sensitive") or ())
        self.possessors = {str(w).lower() for w in context.get("possessors") or ()}
        self.staff_people = {str(w).lower() for w in context.get("staff_people") or ()}
        self.client_people = {str(w).lower() for w in context.get("client_people") or ()}
        self.object_followers = {str(w).lower() for w in context.get("object_followers") or ()}
        # term (tuple of lemmas) -> concepts
        self.terms: dict[tuple[str, ...], set[str]] = {}
        for name, words in concepts.items():
            for word in words or ():
                toks = lemmatiser.tokens(str(word))
                # index a term as written and as lemmas, except -ing/-ed forms whose lookup
                # lemma is a different word ("meeting" -> "meet", "recorded" -> "record") and
                # irregular forms ("drunk" -> "drink")
                keys = {tuple(t.text for t in toks)}
                if not any(t.lemma != t.text and (t.text.endswith(("ing", "ed")) or not t.text.startswith(t.lemma[:3]))
                           for t in toks):
                    keys.add(tuple(t.lemma for t in toks))
                for key in keys:
                    if key:
                        self.terms.setdefault(key, set()).add(name)
        self.max_len = max((len(k) for k in self.terms), default=1)
        self.single = sorted({k[0] for k in self.terms if len(k) == 1 and len(k[0]) >= 4 and k[0].isalpha()})
        self.known = lemmatiser.vocabulary | {w for k in self.terms for w in k} | set(extra_vocab)

    def _key(self, phrase) -> tuple[str, ...]:
        return tuple(t.lemma for t in self.lem.tokens(str(phrase)))

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

    # -- context ------------------------------------------------------------------
    def _neutral_spans(self, lemmas: list[str], texts: list[str]) -> list[tuple[int, int]]:
        """(start, end) of each neutral phrase in the text."""
        out = []
        for phrase in self.neutral:
            k = len(phrase)
            for i in range(len(lemmas) - k + 1):
                if tuple(lemmas[i:i + k]) == phrase or tuple(texts[i:i + k]) == phrase:
                    out.append((i, i + k))
        return out

    def _modifier(self, i: int, texts: list[str], lemmas: list[str]) -> bool:
        """A one-word term used as a modifier: "gift shop", "legal pad", "drive-thru"."""
        nxt = i + 1
        if nxt < len(texts) and (texts[nxt] in self.heads or lemmas[nxt] in self.heads):
            return True
        return (nxt + 1 < len(texts) and texts[nxt] == "-" and texts[nxt + 1].isalpha()
                and f"{texts[i]}-{texts[nxt + 1]}" not in self.hyphen_ok)

    def _staff_pronouns(self, texts: list[str], lemmas: list[str]) -> set[int]:
        """Positions of pronouns whose nearest preceding person is staff, not a client
        ("my supervisor offered to let me borrow her car")."""
        out: set[int] = set()
        last = None
        for i, (t, lem) in enumerate(zip(texts, lemmas)):
            if t in self.staff_people or lem in self.staff_people:
                last = "staff"
            elif t in self.client_people or lem in self.client_people:
                last = "client"
            elif t in PRONOUNS and last == "staff":
                out.add(i)
        return out

    def _possessive_end(self, i: int, size: int, texts: list[str]) -> bool:
        """A term ending in "her" that is really "her <noun>" ("with her doctor", "borrow her car")."""
        end = i + size
        return (size > 1 and texts[end - 1] == "her" and end < len(texts) and texts[end].isalpha()
                and texts[end] not in self.object_followers)

    def _owned(self, i: int, texts: list[str]) -> bool:
        """The term names the asker's own thing: "my doctor", "my own car", "my work phone",
        or a staff member's ("my supervisor's car")."""
        if i >= 1 and texts[i - 1] in self.own_markers:
            return True
        if i >= 2 and texts[i - 1] in ("'s", "\u2019s") and texts[i - 2] in self.staff_people:
            return True
        # "my work phone", "my personal stuff", but not "my client's phone" ("'s") or "my client phone"
        return (i >= 2 and texts[i - 2] in self.own_markers and texts[i - 1].isalpha()
                and texts[i - 1] not in self.possessors)

    def match(self, tokens: list[Token]) -> ConceptHits:
        hits = ConceptHits()
        lemmas = [t.lemma for t in tokens]
        texts = [t.text for t in tokens]
        n = len(tokens)
        spans = self._neutral_spans(lemmas, texts) if self.neutral else []
        staff_refs = self._staff_pronouns(texts, lemmas) if self.staff_people else set()
        for i in range(n):
            for size in range(1, min(self.max_len, n - i) + 1):
                # a term overlapping a neutral phrase counts only if it spans the whole phrase
                if any(s < i + size and i < e and not (i <= s and e <= i + size) for s, e in spans):
                    continue
                if staff_refs.intersection(range(i, i + size)) or self._possessive_end(i, size, texts):
                    continue
                for seq in {tuple(lemmas[i:i + size]), tuple(texts[i:i + size])}:
                    names = self.terms.get(seq)
                    if not names:
                        continue
                    if size == 1 and self._modifier(i, texts, lemmas):
                        continue
                    window = set(lemmas[max(0, i - 3):i]) | set(texts[max(0, i - 3):i])
                    negated = bool(window & NEGATIONS)
                    owned = self._owned(i, texts)
                    for name in names:
                        if owned and name in self.own_sensitive:
                            name = "self_owned"
                        (hits.negated if negated else hits.positive).add(name)
                        hits.terms.setdefault(name, set()).add(" ".join(seq))
        hits.negated -= hits.positive
        return hits
