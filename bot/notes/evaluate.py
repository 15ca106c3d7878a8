"""Scoring the note checker on labelled files (dev sets, risk lines)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Iterable

from .config import CATEGORIES


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass
class Report:
    categories: list[str]
    per_category: dict[str, Counts] = field(default_factory=dict)
    items: int = 0
    in_scope: int = 0
    in_scope_clean: int = 0  # no flag of a scored category
    in_scope_clean_any: int = 0  # no flag at all (risk included)
    misses: list[dict] = field(default_factory=list)
    bad_lines: list[str] = field(default_factory=list)

    def macro(self) -> dict:
        cs = [self.per_category[c] for c in self.categories]
        n = len(cs) or 1
        return {
            "precision": round(sum(c.precision for c in cs) / n, 4),
            "recall": round(sum(c.recall for c in cs) / n, 4),
            "f1": round(sum(c.f1 for c in cs) / n, 4),
        }

    def to_dict(self) -> dict:
        return {
            "items": self.items,
            "per_category": {c: self.per_category[c].to_dict() for c in self.categories},
            "macro": self.macro(),
            "in_scope_items": self.in_scope,
            "in_scope_no_flag_rate": round(self.in_scope_clean / self.in_scope, 4) if self.in_scope else None,
            "in_scope_no_flag_rate_incl_risk": round(self.in_scope_clean_any / self.in_scope, 4)
            if self.in_scope
            else None,
            "misses": self.misses,
            "bad_lines": self.bad_lines,
        }


def read_jsonl(lines: Iterable[str]):
    """Yield (line number, object or None, error message or None)."""
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield n, None, f"line {n}: not JSON ({exc.msg})"
            continue
        if not isinstance(obj, dict):
            yield n, None, f"line {n}: expected a JSON object"
            continue
        yield n, obj, None


def score_notes(checker, lines: Iterable[str]) -> Report:
    """Per-category precision/recall on lines {"id", "text", "flags": [...]}.

    The scored categories are the eight scope categories plus ``risk`` when the
    file labels any item with it (the dev set has no risk labels).
    """
    rows = []
    report = Report(categories=[])
    for n, obj, err in read_jsonl(lines):
        if err or not isinstance(obj.get("text"), str) or not isinstance(obj.get("flags"), list):
            report.bad_lines.append(err or f"line {n}: needs text and flags")
            continue
        rows.append(obj)
    labelled = {f for r in rows for f in r["flags"]}
    report.categories = [c for c in CATEGORIES if c != "risk" or "risk" in labelled]
    report.per_category = {c: Counts() for c in report.categories}
    for row in rows:
        expected = set(row["flags"])
        got_all = {f.category for f in checker.check(row["text"])}
        got = got_all & set(report.categories)
        report.items += 1
        if not expected:
            report.in_scope += 1
            report.in_scope_clean += not got
            report.in_scope_clean_any += not got_all
        for c in report.categories:
            counts = report.per_category[c]
            if c in expected and c in got:
                counts.tp += 1
            elif c in got:
                counts.fp += 1
            elif c in expected:
                counts.fn += 1
        if got != expected:
            report.misses.append(
                {"id": row.get("id"), "expected": sorted(expected), "got": sorted(got), "text": row["text"]}
            )
    return report


def note_tiers(checker):
    """The risk tiers the note checker gives a text (as `peerscope check-note` shows them)."""
    return lambda text: {f.category for f in checker.check(text)} & {"risk", "risk_possible"}


def chat_tiers(checker):
    """The risk tier the chat gives a message (``risk_in``, which every channel calls)."""
    from .risk import risk_in

    def tiers(text: str) -> set:
        finding = risk_in(text, checker)
        return {finding.tier} if finding else set()

    return tiers


def score_risk(checker, lines: Iterable[str], chat: bool = False) -> dict:
    """Risk detection on lines {"id", "text", "risk": bool}: recall counting either tier
    (``risk`` or ``risk_possible``), the precision of each tier, and how many of the
    non-risk lines were asked to be checked (``risk_possible``). ``chat`` scores each line
    as a chat message (``risk_in``) rather than as a note."""
    found = chat_tiers(checker) if chat else note_tiers(checker)
    either, alert, possible = Counts(), Counts(), Counts()
    misses, bad = [], []
    total = negatives = negatives_possible = 0
    for n, obj, err in read_jsonl(lines):
        if err or not isinstance(obj.get("text"), str) or not isinstance(obj.get("risk"), bool):
            bad.append(err or f"line {n}: needs text and a boolean risk")
            continue
        total += 1
        cats = found(obj["text"])
        tiers = {"risk": "risk" in cats, "risk_possible": "risk_possible" in cats and "risk" not in cats}
        got = tiers["risk"] or tiers["risk_possible"]
        for counts, hit in ((either, got), (alert, tiers["risk"]), (possible, tiers["risk_possible"])):
            counts.tp += obj["risk"] and hit
            counts.fp += (not obj["risk"]) and hit
            counts.fn += obj["risk"] and not hit
        if not obj["risk"]:
            negatives += 1
            negatives_possible += tiers["risk_possible"]
        if got != obj["risk"]:
            misses.append(
                {
                    "id": obj.get("id"),
                    "expected": obj["risk"],
                    "got": "risk" if tiers["risk"] else "risk_possible" if got else None,
                    "text": obj["text"],
                }
            )
    return {
        "items": total,
        **either.to_dict(),
        "alert_tier": alert.to_dict(),
        "possible_tier": possible.to_dict(),
        "non_risk_lines_possible": round(negatives_possible / negatives, 4) if negatives else None,
        "misses": misses,
        "bad_lines": bad,
    }
