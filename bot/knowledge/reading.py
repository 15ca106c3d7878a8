"""Reading a question before it is answered: normalising it, keeping the end of a long
message, telling a can-I question from a factual one or a follow-up, and the words that
name a program or a document."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import yaml

from bot.knowledge.sources import Source
from bot.knowledge.words import question_words

MAX_CHARS = 20_000  # longer questions are truncated (head and tail kept)
FOCUS_WORDS = 120  # a longer message is read from its last sentences, where the question is


def focus(text: str) -> str:
    """The end of a long message: the last sentences, up to FOCUS_WORDS words (a long
    backstory ends with the question; the encoder reads only the first 256 tokens)."""
    if len(text.split()) <= FOCUS_WORDS:
        return text
    kept: list[str] = []
    for sentence in reversed(re.split(r"(?<=[.!?])\s+", text)):
        if kept and sum(len(k.split()) for k in kept) + len(sentence.split()) > FOCUS_WORDS:
            break
        kept.insert(0, sentence)
    tail = " ".join(kept)
    return " ".join(tail.split()[-FOCUS_WORDS:])


def normalise_question(text: str) -> str:
    text = unicodedata.normalize("NFKC", text if isinstance(text, str) else str(text or ""))
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc") or ch in "\n\t")
    if len(text) > MAX_CHARS:
        text = text[: MAX_CHARS // 2] + " " + text[-MAX_CHARS // 2 :]
    return text.strip()


def asks_permission(question: str) -> bool:
    """Whether the question (its last sentence) asks whether something may, must or should
    be done ("Can I...", "Is it OK to...", "Do I have to..."), rather than asking for a
    fact ("How many...", "What is...", "Is there a limit..."). A guard on the form of the
    question only: a can-I question without a rule never gets a verdict from a passage."""
    last = _last_asked(question)
    words = question_words()
    if words.fact_question_pattern.match(last):
        return False
    return bool(words.permission_pattern.search(last))


def asks_for_fact(question: str) -> bool:
    """Whether the question (its last sentence that asks) asks for a figure or a fact
    ("How often...", "What's the most...") rather than whether something may be done:
    a number in the backstory is then context, and the answer gives the rule's figures."""
    return bool(question_words().fact_question_pattern.match(_last_asked(question)))


def _last_asked(question: str) -> str:
    """The last sentence that ends with a question mark (or the last sentence)."""
    parts = [p for p in re.split(r"(?<=[.!?])\s+", question.strip()) if p.strip()]
    asked = [p for p in parts if p.rstrip().endswith("?")]
    return (asked or parts or [""])[-1]


def _is_followup(text: str) -> bool:
    q = text.strip().lower()
    return len(q.split()) <= 14 and bool(re.match(r"^(what|how) about|^and if|^what if|^if |^even if|^but if|^and ", q))


def _load_mentions(path: Path, sources: dict[str, Source]) -> dict:
    """Words that name a program, a stage in it, or a document (knowledge/rules/_programs.yml
    and each source's ``aliases``), as case-insensitive whole-word patterns; and how answers
    name each stage (``stage_says``)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}

    def pattern(words):
        return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b", re.I) if words else None

    programs = {p: pattern(ws) for p, ws in ((data or {}).get("programs") or {}).items() if ws}
    named = {sid: pattern(src.meta.get("aliases") or []) for sid, src in sources.items()}
    stages = (data or {}).get("stages") or {}
    return {
        "programs": programs,
        "sources": {k: v for k, v in named.items() if v is not None},
        "stages": {st: pattern(spec["words"]) for st, spec in stages.items()},
        "stage_says": {st: spec["says"] for st, spec in stages.items()},
    }
