"""Curated "can I" rules (knowledge/rules/*.yml): schema, loading, validation.

A rule file is a YAML list of rules; ``_concepts.yml`` holds the concept
vocabulary. See knowledge/rules/README.md for the format.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Literal, Optional

import yaml
from pydantic import BaseModel, Field, root_validator, validator

from bot.knowledge.sources import Citation, Source, check_citation

VERDICTS = ("allowed", "not_allowed", "depends", "info", "not_covered")
Verdict = Literal["allowed", "not_allowed", "depends", "info", "not_covered"]
Program = Literal["adult", "family", "both"]


class _Strict(BaseModel):
    class Config:
        extra = "forbid"


class CitationModel(_Strict):
    source: str
    section: str
    quote: str

    def to_citation(self) -> Citation:
        return Citation(self.source, self.section, self.quote)


class Position(_Strict):
    source: str
    verdict: Verdict
    applies_to: Program = "both"
    note: str


class Match(_Strict):
    all: List[List[str]] = Field(..., min_items=1)   # every group must be present (any concept of a group)
    any: List[str] = []                               # each present concept adds to the score
    min_any: int = 0                                  # at least this many of ``any`` must be present
    none: List[str] = []                              # any of these present vetoes the rule
    boost: float = 0.0                                # added to the score (safety rules win ties)

    def concepts(self) -> set[str]:
        return {c for g in self.all for c in g} | set(self.any) | set(self.none)


class Variant(_Strict):
    when: List[str] = []          # all present (not negated)
    when_not: List[str] = []      # none present
    when_qtype: Optional[Literal["permission", "factual"]] = None
    verdict: Verdict
    condition: Optional[str] = None
    answer: str
    citations: Optional[List[CitationModel]] = None

    @root_validator(skip_on_failure=True)
    def _has_trigger(cls, values):
        if not (values.get("when") or values.get("when_not") or values.get("when_qtype")):
            raise ValueError("a variant needs when, when_not or when_qtype")
        return values


class Rule(_Strict):
    id: str = Field(..., regex=r"^[a-z0-9][a-z0-9-]*$")
    topic: str
    question: str
    verdict: Verdict
    condition: Optional[str] = None
    answer: str
    positions: List[Position] = []
    citations: List[CitationModel]
    match: Match
    variants: List[Variant] = []

    @root_validator(skip_on_failure=True)
    def _checks(cls, values):
        verdict = values["verdict"]
        if verdict == "depends" and not values.get("condition"):
            raise ValueError(f"{values['id']}: a depends rule must state its condition")
        if verdict != "not_covered" and not values.get("citations"):
            raise ValueError(f"{values['id']}: needs at least one citation")
        for v in values.get("variants", []):
            if v.verdict == "depends" and not (v.condition or values.get("condition")):
                raise ValueError(f"{values['id']}: depends variant without a condition")
        return values

    @validator("answer")
    def _answer_not_blank(cls, v):
        if not v.strip():
            raise ValueError("empty answer")
        return v.strip()

    def all_citations(self) -> list[CitationModel]:
        out = list(self.citations)
        for v in self.variants:
            out += v.citations or []
        return out

    def concepts(self) -> set[str]:
        names = self.match.concepts()
        for v in self.variants:
            names |= set(v.when) | set(v.when_not)
        return names


def load_rule_files(root: Path) -> list[Rule]:
    rules: list[Rule] = []
    for path in sorted(root.glob("*.yml")):
        if path.name.startswith("_"):
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        if not isinstance(data, list):
            raise ValueError(f"{path.name}: expected a list of rules")
        for item in data:
            try:
                rules.append(Rule.parse_obj(item))
            except Exception as exc:
                raise ValueError(f"{path.name}: rule {item.get('id', '?')!r}: {exc}") from exc
    return rules


def load_concepts(root: Path) -> dict[str, list[str]]:
    data = yaml.safe_load((root / "_concepts.yml").read_text(encoding="utf-8")) or {}
    return {str(k): [str(w) for w in (v or [])] for k, v in data.items()}


def load_context(root: Path) -> dict:
    """knowledge/rules/_context.yml: neutral phrases, compound heads, ownership markers (optional)."""
    path = root / "_context.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    return data or {}


def validate(rules: list[Rule], concepts: dict[str, list[str]], sources: dict[str, Source]) -> list[str]:
    """Every problem found in the rules: duplicate ids, unknown concepts or
    sources, and citations whose quote is not verbatim in the named section."""
    errors: list[str] = []
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            errors.append(f"duplicate rule id {rule.id}")
        seen.add(rule.id)
        for name in sorted(rule.concepts() - set(concepts)):
            errors.append(f"{rule.id}: unknown concept {name!r}")
        for pos in rule.positions:
            if pos.source not in sources:
                errors.append(f"{rule.id}: position names unknown source {pos.source!r}")
        for cit in rule.all_citations():
            err = check_citation(sources, cit.to_citation())
            if err:
                errors.append(f"{rule.id}: {err}")
    return errors
