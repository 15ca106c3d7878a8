"""BM25 passage retrieval over the source sections (fallback when no rule fits)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.knowledge.nlp import Lemmatiser
from bot.knowledge.sources import Source, normalise

# Words too common in these documents to say anything about a question.
DOMAIN_STOP = {"peer", "support", "client", "service", "services", "individual", "family", "specialist", "provide",
               "can", "could", "may", "allow", "ok", "okay", "need", "want", "ask", "get", "do", "go", "make", "work",
               "consumer", "member", "person", "people", "help", "i", "my", "she", "he", "they", "someone"}
_SENT = re.compile(r"(?<=[.;:!?])\s+(?=[A-Z(\"'])")


@dataclass(frozen=True)
class Passage:
    source: str
    section: str  # section title
    text: str     # normalised, verbatim


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float
    overlap: set[str]
    quote: str


class Retriever:
    def __init__(self, sources: dict[str, Source], lemmatiser: Lemmatiser):
        from rank_bm25 import BM25Okapi

        from spacy.lang.en.stop_words import STOP_WORDS

        self.stop = set(STOP_WORDS) | DOMAIN_STOP
        self.lem = lemmatiser
        self.passages: list[Passage] = []
        for src in sources.values():
            for sec in src.sections:
                for block in re.split(r"\n\s*\n|\n(?=\s*- )", sec.text):
                    text = normalise(re.sub(r"^\s*-\s+", "", block))
                    if len(text.split()) >= 4:
                        self.passages.append(Passage(src.id, sec.title, text))
        self.docs = [self.terms(p.text) for p in self.passages]
        self.bm25 = BM25Okapi([d or ["_"] for d in self.docs])

    def terms(self, text: str) -> list[str]:
        return [t.lemma for t in self.lem.tokens(text)
                if t.lemma.isalnum() and t.lemma not in self.stop and t.text not in self.stop and len(t.lemma) > 1]

    def search(self, text: str, k: int = 3) -> list[Hit]:
        query = self.terms(text)[:200]
        if not query:
            return []
        scores = self.bm25.get_scores(query)
        order = sorted(range(len(scores)), key=lambda i: -scores[i])[:k]
        hits = []
        for i in order:
            if scores[i] <= 0:
                continue
            overlap = set(query) & set(self.docs[i])
            hits.append(Hit(self.passages[i], float(scores[i]), overlap, self._best_sentence(self.passages[i].text, set(query))))
        return hits

    def _best_sentence(self, text: str, query: set[str]) -> str:
        sentences = [s for s in _SENT.split(text) if s.strip()]
        if len(sentences) <= 1:
            return text
        return max(sentences, key=lambda s: len(set(self.terms(s)) & query))
