"""Passage retrieval over the source sections: BM25 and the shared sentence encoder.

Passages are a section's paragraphs and list items (a paragraph longer than
PASSAGE_WORDS words is cut between sentences), normalised but verbatim, so any
sentence of a passage is a valid quote of its section.

- :meth:`Retriever.search`: BM25 over lemmas (spaCy lookup lemmas), the nearest passages
  by shared words.
- :meth:`Retriever.hybrid`: BM25's best candidates re-ranked with the sentence encoder
  (bot/nlp), each with the sentence of the passage closest in meaning to the question
  as its quote and that sentence's cosine similarity. Only the candidates are encoded,
  so the cost of a question does not grow with the size of the documents.

The lemmas of every passage are cached per source under ``$PEERSCOPE_VAR_DIR/cache/retrieval``
(keyed by a hash of the passages), so a long document is lemmatised once, when it is
imported, not on every start.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from bot.knowledge.nlp import Lemmatiser
from bot.knowledge.sources import Source, normalise
from bot.knowledge.words import question_words

_SENT = re.compile(r"(?<=[.;:!?])\s+(?=[A-Z(\"'])")
PASSAGE_WORDS = 80  # longer paragraphs are cut into runs of whole sentences
POOL = 24  # BM25 candidates the encoder re-ranks
RERANK = 5  # the best of them whose sentences are compared with the question
BM25_WEIGHT = 0.3  # share of the (pool-normalised) BM25 score in the hybrid ranking
INDEX_VERSION = 3


@dataclass(frozen=True)
class Passage:
    source: str
    section: str  # section title
    text: str  # normalised, verbatim


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float
    overlap: set[str]
    quote: str
    similarity: float = 0.0  # cosine of the question and the quote (hybrid only)
    terms: frozenset = field(default=frozenset())  # the question's content lemmas


def passages_of(src: Source) -> list[Passage]:
    out = []
    for sec in src.sections:
        for block in re.split(r"\n\s*\n|\n(?=\s*- )", sec.text):
            text = normalise(re.sub(r"^\s*-\s+", "", block))
            if len(text.split()) < 4:
                continue
            for piece in _cut(text):
                out.append(Passage(src.id, sec.title, piece))
    return out


def _cut(text: str) -> list[str]:
    if len(text.split()) <= PASSAGE_WORDS:
        return [text]
    pieces, cur = [], []
    for sentence in _SENT.split(text):
        if cur and sum(len(s.split()) for s in cur) + len(sentence.split()) > PASSAGE_WORDS:
            pieces.append(" ".join(cur))
            cur = []
        cur.append(sentence)
    if cur:
        pieces.append(" ".join(cur))
    return [p for p in pieces if len(p.split()) >= 4] or [text]


def cache_dir() -> Path:
    from bot.paths import var_dir

    return var_dir() / "cache" / "retrieval"


class Retriever:
    def __init__(
        self,
        sources: dict[str, Source],
        lemmatiser: Lemmatiser,
        cache: Path | None | bool = None,
        progress: Callable[[Iterable], Iterable] | None = None,
    ):
        """``cache``: the directory of cached lemmas (default under var/), or False for none;
        ``progress``: wraps the passages being lemmatised (a progress bar for long documents)."""
        from rank_bm25 import BM25Okapi
        from spacy.lang.en.stop_words import STOP_WORDS

        # Words too common to say anything about a question (knowledge/rules/_words.yml): left
        # out of the question for `search`, and not counted as shared words by `hybrid` (which
        # still uses them to find candidates, so a question made only of them can be answered).
        words = question_words()
        self.generic = set(STOP_WORDS) | set(words.pronouns)
        self.stop = self.generic | words.unimportant
        self.lem = lemmatiser
        self.passages: list[Passage] = []
        self.docs: list[list[str]] = []
        folder = None if cache is False else Path(cache) if cache else cache_dir()
        for src in sources.values():
            passages = passages_of(src)
            self.passages += passages
            self.docs += self._terms_of(src.id, passages, folder, progress)
        self.bm25 = BM25Okapi([d or ["_"] for d in self.docs]) if self.docs else None
        self._sources = np.array([p.source for p in self.passages]) if self.passages else np.array([], dtype=str)

    def _terms_of(self, source_id: str, passages: list[Passage], folder: Path | None, progress) -> list[list[str]]:
        digest = hashlib.sha256(f"{INDEX_VERSION}\n".encode())
        for p in passages:
            digest.update(p.text.encode("utf-8") + b"\n")
        path = folder / f"{source_id}-{digest.hexdigest()[:16]}.json" if folder else None
        if path is not None and path.is_file():
            try:
                terms = json.loads(path.read_text(encoding="utf-8"))
                if len(terms) == len(passages):
                    return terms
            except (OSError, ValueError):
                pass
        items = progress(passages) if progress else passages
        terms = [self.terms(p.text, domain=True) for p in items]
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                for old in path.parent.glob(f"{source_id}-*.json"):
                    old.unlink()
                tmp = path.with_suffix(".tmp")
                tmp.write_text(json.dumps(terms), encoding="utf-8")
                tmp.replace(path)
            except OSError:
                pass  # a read-only data directory: lemmatise again next time
        return terms

    def terms(self, text: str, domain: bool = False) -> list[str]:
        """Content lemmas of ``text``; with ``domain``, the words common in these documents too."""
        stop = self.generic if domain else self.stop
        return [
            t.lemma
            for t in self.lem.tokens(text)
            if t.lemma.isalnum() and t.lemma not in stop and t.text not in stop and len(t.lemma) > 1
        ]

    def search(self, text: str, k: int = 3) -> list[Hit]:
        query = self.terms(text)[:200]
        if not query or self.bm25 is None:
            return []
        scores = self.bm25.get_scores(query)
        order = sorted(range(len(scores)), key=lambda i: -scores[i])[:k]
        hits = []
        for i in order:
            if scores[i] <= 0:
                continue
            overlap = set(query) & set(self.docs[i])
            hits.append(
                Hit(self.passages[i], float(scores[i]), overlap, self._best_sentence(self.passages[i].text, set(query)))
            )
        return hits

    def hybrid(self, text: str, k: int = 3, sources: set[str] | None = None, pool: int = POOL) -> list[Hit]:
        """The ``k`` passages nearest to ``text`` by BM25 and meaning together (only from
        ``sources`` when given), each quoted by its sentence nearest in meaning."""
        from bot.nlp.encoder import get_encoder

        query = self.terms(text, domain=True)[:200]
        if not query or self.bm25 is None:
            return []
        scores = np.asarray(self.bm25.get_scores(query), dtype=np.float64)
        if sources is not None:
            scores = np.where(np.isin(self._sources, list(sources)), scores, 0.0)
        order = [int(i) for i in np.argsort(-scores, kind="stable")[:pool] if scores[i] > 0]
        if not order:
            return []
        encoder = get_encoder()
        vectors = encoder.encode([text] + [self.passages[i].text for i in order])
        q, dense = vectors[0], vectors[1:] @ vectors[0]
        top = scores[order[0]]
        combined = dense + BM25_WEIGHT * scores[order] / top
        wanted = set(self.terms(text))  # shared words that count: not the documents' common words
        hits = []
        for j in np.argsort(-combined, kind="stable")[: max(k, RERANK)]:
            i = order[int(j)]
            passage = self.passages[i]
            quote, similarity = self._nearest_sentence(encoder, q, passage.text)
            score = similarity + BM25_WEIGHT * scores[i] / top  # the quote's meaning decides, words help
            hits.append(
                Hit(passage, float(score), wanted & set(self.terms(quote)), quote, similarity, frozenset(wanted))
            )
        hits.sort(key=lambda h: -h.score)
        return hits[:k]

    def _nearest_sentence(self, encoder, q: np.ndarray, text: str) -> tuple[str, float]:
        """The sentence of ``text`` nearest in meaning to the question (or two sentences
        together, when the first introduces the second: "must meet the following criteria:")."""
        sentences = [s for s in _SENT.split(text) if s.strip()]
        spans = [s for s in sentences if len(s.split()) >= 5] or [text]
        spans += [f"{a} {b}" for a, b in zip(sentences, sentences[1:]) if a.rstrip().endswith(":")]
        sims = encoder.encode(spans) @ q
        best = int(np.argmax(sims))
        return spans[best], float(sims[best])

    def _best_sentence(self, text: str, query: set[str]) -> str:
        sentences = [s for s in _SENT.split(text) if s.strip()]
        if len(sentences) <= 1:
            return text
        return max(sentences, key=lambda s: len(set(self.terms(s)) & query))
