"""The pieces of a note the models read: sentences, clauses, the passages the risk
model scores (a sentence, its clauses, two neighbouring sentences, a short note whole),
and runs of words across a long sentence, which it scores too but which can only ask
to check (``risk_possible``), never raise an alert."""

from __future__ import annotations

import re
from typing import Sequence

# after end punctuation, and after a closing quote or bracket that follows it ('"I'm fine." Then')
_SPLIT = re.compile(r"(?:(?<=[.!?;])|(?<=[.!?;][\"'\u201d\u2019)\]]))\s+(?=[A-Z\"'(0-9\u201c\u2018])|\n+")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of a text's sentences (also used when no spaCy doc is at hand)."""
    spans, pos = [], 0
    for part in _SPLIT.split(text):
        start = text.find(part, pos)
        if part.strip():
            spans.append((start, start + len(part)))
        pos = start + len(part)
    return spans or [(0, len(text))]


_CLAUSE = re.compile(r";\s*|\s+[-\u2013\u2014]+\s+")


def clauses(text: str, span: tuple[int, int]) -> list[tuple[int, int]]:
    """The clauses of a sentence joined by semicolons or dashes, when it has several
    ("reported SI with intent; writer stayed with her and called the crisis team")."""
    start, end = span
    out, pos = [], start
    for m in _CLAUSE.finditer(text, start, end):
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, end))
    out = [(a, b) for a, b in out if len(text[a:b].split()) >= 2]
    return out if len(out) > 1 else []


WINDOW = 12  # words in each run read across a long sentence (one of more than twice as many words)
_WORD = re.compile(r"\S+")


def windows(text: str, span: tuple[int, int]) -> list[tuple[int, int]]:
    """Runs of ``WINDOW`` words, each starting half a run after the last, across a sentence of
    more than twice that: a risk stated at the end of a long sentence about something else
    ("we worked on her resume and she seemed upbeat, but as she left she said she'd end it")
    is diluted in the whole sentence's embedding. A run lacks the rest of its sentence, which
    may settle it ("... she said she'd kill him, laughing about the dog eating her sandwich"),
    so it can ask to check (``risk_possible``) but not raise an alert."""
    start, end = span
    words = [m.span() for m in _WORD.finditer(text, start, end)]
    if len(words) <= 2 * WINDOW:
        return []
    step = WINDOW // 2
    firsts = list(range(0, len(words) - WINDOW, step)) + [len(words) - WINDOW]
    return [(words[i][0], words[i + WINDOW - 1][1]) for i in firsts]


def runs(text: str, sents: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The ``windows`` of every long sentence."""
    return [w for span in sents for w in windows(text, span)]


def passages(text: str, sents: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Units the risk model reads whole: each sentence, its clauses, each pair of neighbouring
    sentences, and the whole text when it is short (risk often spans two sentences, and a
    clause stating it can share a sentence with the peer's response)."""
    out = list(sents)
    out += [c for span in sents for c in clauses(text, span)]
    out += [(a[0], b[1]) for a, b in zip(sents, sents[1:])]
    if 2 < len(sents) <= 4 and len(text) <= 600:
        out.append((sents[0][0], sents[-1][1]))
    return out
