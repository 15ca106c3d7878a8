"""Curated "can I" rules (knowledge/rules/*.yml): schema, loading, validation.

A rule file is a YAML list of rules (see knowledge/rules/README.md). Rules are the
only source of a verdict and its citations; which rule a question is about, and
which of its variants applies, is learned from the example bank
(knowledge/banks/questions, bot/knowledge/model.py). Quantities a rule can compare
("26 on my caseload") are ``thresholds``; the quantity kinds and their units are
data too (knowledge/rules/_quantities.yml).
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Literal, Optional

import yaml
from pydantic import Field, root_validator, validator

from bot.knowledge.schema import CitationModel
from bot.knowledge.schema import Strict as _Strict
from bot.knowledge.sources import Citation, Source, check_citation

VERDICTS = ("allowed", "not_allowed", "depends", "info", "not_covered")
Verdict = Literal["allowed", "not_allowed", "depends", "info", "not_covered"]
Program = Literal["adult", "family", "both"]


class Position(_Strict):
    """Where documents or programs differ: one document's verdict and a short note."""

    source: str
    verdict: Verdict
    applies_to: Program = "both"
    note: str


class Variant(_Strict):
    """Another verdict of the same rule, for questions that state a condition as met
    or not met, or ask the can-I reading of a factual rule. ``when`` says in words
    when it applies; which variant a question gets is learned from the bank."""

    verdict: Verdict
    when: str
    condition: Optional[str] = None
    answer: str
    citations: Optional[List[CitationModel]] = None


class Threshold(_Strict):
    """A number a document sets, compared with the number a question states."""

    quantity: str  # a kind from knowledge/rules/_quantities.yml
    min: Optional[float] = None  # in the kind's unit, inclusive
    max: Optional[float] = None
    source: str
    section: str
    quote: str  # verbatim: the sentence that sets the number
    applies_to: Program = "both"
    label: str  # what the number is, in answers ("the caseload limit")
    inside: Verdict = "allowed"  # verdict when the stated number is within the bounds
    outside: Verdict = "not_allowed"  # ... and when it is not
    condition: Optional[str] = None  # required when inside or outside is depends
    # a stage of the program the figure is for (``stages`` in knowledge/rules/_programs.yml:
    # a candidate's figure and a certified worker's): when the question does not say which,
    # and the stages' outcomes differ, the answer depends on it
    stage: Optional[str] = None

    @root_validator(skip_on_failure=True)
    def _has_bound(cls, values):
        if values.get("min") is None and values.get("max") is None:
            raise ValueError("a threshold needs min or max")
        if "depends" in (values.get("inside"), values.get("outside")) and not values.get("condition"):
            raise ValueError("a threshold with a depends outcome needs its condition")
        return values

    def outcome(self, value: float, low: float | None = None) -> str:
        """The verdict for a stated number; for a range ("10 to 15") whose ends fall on either
        side of the limit, depends (on whether the number stays within it)."""
        if self.across(value, low):
            return "depends"
        ok = (self.min is None or value >= self.min) and (self.max is None or value <= self.max)
        return self.inside if ok else self.outside

    def across(self, value: float, low: float | None) -> bool:
        """Whether a range's two ends fall on either side of the limit."""
        return low is not None and self.outcome(low) != self.outcome(value)

    def to_citation(self) -> Citation:
        return Citation(self.source, self.section, self.quote)


class Rule(_Strict):
    id: str = Field(..., regex=r"^[a-z0-9][a-z0-9-]*$")
    topic: str
    question: str  # the canonical question
    option: Optional[str] = None  # a short label when PeerScope asks which one you mean
    # Example questions for a rule the policy model was not trained on (`peerscope knowledge
    # rule new`): a question close to one of them (or to `question`) is answered by the rule.
    examples: List[str] = []
    verdict: Verdict
    condition: Optional[str] = None
    answer: str
    positions: List[Position] = []
    citations: List[CitationModel] = []
    variants: List[Variant] = []
    thresholds: List[Threshold] = []

    @root_validator(skip_on_failure=True)
    def _checks(cls, values):
        rid, verdict = values["id"], values["verdict"]
        if verdict == "depends" and not values.get("condition"):
            raise ValueError(f"{rid}: a depends rule must state its condition")
        if verdict != "not_covered" and not values.get("citations"):
            raise ValueError(f"{rid}: needs at least one citation")
        seen = {verdict}
        for v in values.get("variants", []):
            if v.verdict in seen:
                raise ValueError(f"{rid}: two variants give {v.verdict}; a verdict names one variant")
            seen.add(v.verdict)
            if v.verdict == "depends" and not (v.condition or values.get("condition")):
                raise ValueError(f"{rid}: depends variant without a condition")
        return values

    @validator("answer")
    def _answer_not_blank(cls, v):
        if not v.strip():
            raise ValueError("empty answer")
        return v.strip()

    @property
    def verdicts(self) -> tuple[str, ...]:
        """Every verdict this rule can give, the default first."""
        return (self.verdict,) + tuple(v.verdict for v in self.variants)

    def variant(self, verdict: str) -> Variant | None:
        return next((v for v in self.variants if v.verdict == verdict), None)

    def all_citations(self) -> list:
        out: list = list(self.citations)
        for v in self.variants:
            out += v.citations or []
        out += list(self.thresholds)
        return out

    @property
    def label(self) -> str:
        return (self.option or self.question).strip()


def load_rule_files(root: Path) -> list[Rule]:
    rules: list[Rule] = []
    for path in sorted(Path(root).glob("*.yml")):
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


def validate(
    rules: list[Rule], sources: dict[str, Source], quantities: dict | None = None, stages: dict | None = None
) -> list[str]:
    """Every problem found in the rules: duplicate ids, unknown sources, quantity kinds or
    stages, and citations whose quote is not verbatim in the named section."""
    errors: list[str] = []
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            errors.append(f"duplicate rule id {rule.id}")
        seen.add(rule.id)
        for pos in rule.positions:
            if pos.source not in sources:
                errors.append(f"{rule.id}: position names unknown source {pos.source!r}")
        for t in rule.thresholds:
            if quantities is not None and t.quantity not in quantities:
                errors.append(f"{rule.id}: unknown quantity {t.quantity!r}")
            if stages is not None and t.stage is not None and t.stage not in stages:
                errors.append(f"{rule.id}: unknown stage {t.stage!r}")
        for cit in rule.all_citations():
            err = check_citation(sources, cit.to_citation())
            if err:
                errors.append(f"{rule.id}: {err}")
    return errors
