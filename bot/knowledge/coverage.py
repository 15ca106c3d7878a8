"""`peerscope knowledge coverage`: normative sentences of the sources that no rule cites.

A sentence is normative when it contains one of the words listed in
knowledge/rules/_coverage.yml (must, shall, may not, ...; phrases such as "not limited
to" are ignored); a list item is normative when the sentence that introduces the list
is ("A licensee shall not:" -> each of its items). A sentence is covered when a rule
cites it, or cites a passage that shares a long run of words with it. What remains
must be listed in _coverage.yml with the reason it needs no rule: by its own words
(`quote`) or, for a list of descriptions, by the list's introduction (`list`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.knowledge.sources import Source, normalise

_ITEM = re.compile(r"^\s*(?:[-•]|\(?[a-zA-Z0-9]{1,4}[.)])\s+")
_SPLIT = re.compile(r"(?<=[.;])\s+(?=[A-Z(\"])")


@dataclass(frozen=True)
class Sentence:
    source: str
    section: str
    text: str
    lead_in: str | None  # the normative sentence introducing the list this item belongs to


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", normalise(text).lower())


def _longest_run(a: list[str], b: list[str]) -> int:
    best, prev = 0, [0] * (len(b) + 1)
    for x in a:
        cur = [0] * (len(b) + 1)
        for j, y in enumerate(b, 1):
            if x == y:
                cur[j] = prev[j - 1] + 1
                best = max(best, cur[j])
        prev = cur
    return best


def sentences(source: Source, normative: re.Pattern, ignore: re.Pattern | None = None) -> list[Sentence]:
    out: list[Sentence] = []

    def is_normative(text: str) -> bool:
        return bool(normative.search(ignore.sub(" ", text) if ignore else text))

    for sec in source.sections:
        lead: str | None = None
        for line in sec.text.split("\n"):
            if not line.strip():
                continue
            is_item = bool(_ITEM.match(line))
            for part in _SPLIT.split(normalise(line)):
                part = part.strip()
                if len(_words(part)) < 3:
                    continue
                if is_normative(part) or (is_item and lead):
                    out.append(Sentence(source.id, sec.title, part, lead if is_item else None))
                if part.endswith(":"):  # a new list: normative if its introduction is
                    lead = part if is_normative(part) else None
    return out


def uncovered(sources: dict[str, Source], rules: list, config_path: Path) -> tuple[list[Sentence], list[dict]]:
    """(sentences no rule covers and no reason exempts, exemptions that match nothing)."""
    config = yaml.safe_load(Path(config_path).read_text(encoding="utf-8")) or {}
    normative = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in config["normative_words"]) + r")\b")
    ignore = re.compile("|".join(re.escape(w) for w in config.get("not_normative") or ["\0"]))
    quotes: dict[str, list[list[str]]] = {}
    for rule in rules:
        for c in rule.all_citations():
            quotes.setdefault(c.source, []).append(_words(c.quote))
    exempt = list(config.get("no_rule_needed") or [])
    used = [False] * len(exempt)
    left: list[Sentence] = []
    for sid, src in sources.items():
        for s in sentences(src, normative, ignore):
            words = _words(s.text)
            need = min(8, max(3, int(0.6 * len(words))))
            if any(_longest_run(words, q) >= need for q in quotes.get(sid, [])):
                continue
            text = normalise(s.text)
            hit = next(
                (
                    i
                    for i, e in enumerate(exempt)
                    if e["source"] == sid and "quote" in e and normalise(e["quote"]) in text
                ),
                None,
            )
            if hit is None and s.lead_in:
                hit = next(
                    (
                        i
                        for i, e in enumerate(exempt)
                        if e["source"] == sid and "list" in e and normalise(e["list"]) in normalise(s.lead_in)
                    ),
                    None,
                )
            if hit is not None:
                used[hit] = True
                continue
            left.append(s)
    stale = [e for e, u in zip(exempt, used) if not u]
    return left, stale
