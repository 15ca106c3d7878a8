"""The WRSP interview schema: ``knowledge/wrsp/schema.yml`` loaded and checked.

The schema is data. This module turns it into frozen dataclasses and refuses a
file with the wrong shape (unknown type, duplicate id, choice without choices,
``ask_if`` pointing at a later field, ...). Whether the quotes are verbatim is
checked by the tests with :func:`bot.knowledge.sources.check_citation`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import yaml

from bot.knowledge.sources import Citation

TYPES = ("text", "list", "date", "yes_no", "choice")
DATE_RULES = ("not_future", "future")
CHECKS = ("client_ref",)
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_GOAL_FIELD = re.compile(r"^([a-z][a-z0-9_]*)\.(\d+)\.([a-z][a-z0-9_]*)$")


class SchemaError(ValueError):
    """knowledge/wrsp/schema.yml does not have the expected shape."""


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Question:
    id: str
    section: str
    label: str
    ask: str
    help: str
    type: str
    cite: Citation
    required: bool = True
    synonyms: tuple[str, ...] = ()
    choices: tuple[Choice, ...] = ()
    dates: str | None = None
    check: str | None = None
    allow_none: bool = False
    ask_if: tuple[str, Any] | None = None
    yes_words: tuple[str, ...] = ()
    no_words: tuple[str, ...] = ()
    repeat: str | None = None  # the repeat key ("goal") for per-goal questions

    @property
    def names(self) -> tuple[str, ...]:
        """Every way a peer may name this question, for field lookup."""
        return (self.id.replace("_", " "), self.label, *self.synonyms)


@dataclass(frozen=True)
class Repeat:
    key: str  # field prefix: goal.<n>.<question id>
    max: int
    another: Question  # "add another goal?"


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    questions: tuple[Question, ...]
    repeat: Repeat | None = None
    ask_again_on_review: bool = False  # a review version starts with this section unanswered


@dataclass(frozen=True)
class Deadlines:
    plan_due_days: int
    review_every_days: int
    due_soon_days: int
    cite: Citation


@dataclass(frozen=True)
class Signoff:
    label: str
    roles: tuple[str, ...]
    cite: Citation
    # what the consultant confirms before signing; recorded with the signature
    attestation: str = "I have reviewed this plan as the clinical consultant."


@dataclass(frozen=True)
class Schema:
    version: int
    title: str
    cite: Citation
    deadlines: Deadlines
    signoff: Signoff
    sections: tuple[Section, ...]

    def section(self, section_id: str) -> Section:
        for section in self.sections:
            if section.id == section_id:
                return section
        raise KeyError(section_id)

    def questions(self) -> list[Question]:
        """Every question once (per-goal questions and "another goal?" once each)."""
        out: list[Question] = []
        for section in self.sections:
            out.extend(section.questions)
            if section.repeat:
                out.append(section.repeat.another)
        return out

    def citations(self) -> list[Citation]:
        return [self.cite, self.deadlines.cite, self.signoff.cite] + [q.cite for q in self.questions()]

    def question_for(self, field: str) -> Question:
        """The question behind a stored field id (``areas``, ``goal.2.target_date``)."""
        match = _GOAL_FIELD.match(field or "")
        for section in self.sections:
            if section.repeat is None:
                for q in section.questions:
                    if q.id == field:
                        return q
            elif match and match.group(1) == section.repeat.key and 1 <= int(match.group(2)) <= section.repeat.max:
                qid = match.group(3)
                for q in (*section.questions, section.repeat.another):
                    if q.id == qid:
                        return q
        raise KeyError(field)

    def renewed_on_review(self, field: str) -> bool:
        """Whether a review version asks this field again instead of copying it."""
        try:
            question = self.question_for(field)
        except KeyError:
            return False
        return self.section(question.section).ask_again_on_review

    def is_field(self, field: str) -> bool:
        try:
            self.question_for(field)
        except KeyError:
            return False
        return True


def goal_field(key: str, n: int, question_id: str) -> str:
    return f"{key}.{n}.{question_id}"


def split_field(field: str) -> tuple[str, int | None, str]:
    """``goal.2.target_date`` -> ("goal", 2, "target_date"); ``areas`` -> ("", None, "areas")."""
    match = _GOAL_FIELD.match(field or "")
    if match:
        return match.group(1), int(match.group(2)), match.group(3)
    return "", None, field


# --- loading -------------------------------------------------------------------------------


def _default_path() -> Path:
    from bot.paths import knowledge_dir

    return knowledge_dir() / "wrsp" / "schema.yml"


def load_schema(path: Path | str | None = None) -> Schema:
    """The interview schema (cached per file)."""
    return _load(Path(path) if path else _default_path())


@lru_cache(maxsize=4)
def _load(path: Path) -> Schema:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SchemaError(f"cannot read {path}: {exc}") from exc
    return parse_schema(data)


def _need(data: Mapping, key: str, where: str) -> Any:
    if not isinstance(data, Mapping) or data.get(key) in (None, ""):
        raise SchemaError(f"{where}: missing {key!r}")
    return data[key]


def _cite(data: Any, where: str) -> Citation:
    if not isinstance(data, Mapping):
        raise SchemaError(f"{where}: 'cite' must be a mapping with source, section and quote")
    for key in ("source", "section", "quote"):
        _need(data, key, f"{where} cite")
    return Citation.from_dict(data)


def _words(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise SchemaError(f"{where}: expected a list of words")
    return tuple(v.strip() for v in value)


_QUESTION_KEYS = {
    "id",
    "label",
    "ask",
    "help",
    "type",
    "required",
    "synonyms",
    "choices",
    "dates",
    "check",
    "allow_none",
    "ask_if",
    "yes_words",
    "no_words",
    "cite",
}


def _question(data: Mapping, section: str, repeat: str | None) -> Question:
    qid = _need(data, "id", f"section {section}")
    where = f"question {qid!r}"
    if not isinstance(qid, str) or not _ID.match(qid):
        raise SchemaError(f"{where}: ids are lower_snake_case")
    unknown = set(data) - _QUESTION_KEYS
    if unknown:
        raise SchemaError(f"{where}: unknown keys {sorted(unknown)}")
    qtype = _need(data, "type", where)
    if qtype not in TYPES:
        raise SchemaError(f"{where}: type must be one of {', '.join(TYPES)}")
    choices = []
    for c in data.get("choices") or []:
        choices.append(
            Choice(str(_need(c, "value", where)), str(_need(c, "label", where)), _words(c.get("synonyms"), where))
        )
    if (qtype == "choice") != bool(choices):
        raise SchemaError(f"{where}: choices go with type choice, and a choice needs them")
    dates = data.get("dates")
    if (qtype == "date") != (dates is not None) or (dates is not None and dates not in DATE_RULES):
        raise SchemaError(f"{where}: a date question needs dates: {' | '.join(DATE_RULES)}")
    check = data.get("check")
    if check is not None and check not in CHECKS:
        raise SchemaError(f"{where}: check must be one of {', '.join(CHECKS)}")
    ask_if = data.get("ask_if")
    if ask_if is not None:
        ask_if = (str(_need(ask_if, "field", where)), ask_if.get("equals"))
    if data.get("allow_none") and qtype != "list":
        raise SchemaError(f"{where}: allow_none is for lists")
    return Question(
        id=qid,
        section=section,
        label=str(_need(data, "label", where)),
        ask=str(_need(data, "ask", where)).strip(),
        help=str(_need(data, "help", where)).strip(),
        type=qtype,
        cite=_cite(data.get("cite"), where),
        required=bool(data.get("required", True)),
        synonyms=_words(data.get("synonyms"), where),
        choices=tuple(choices),
        dates=dates,
        check=check,
        allow_none=bool(data.get("allow_none", False)),
        ask_if=ask_if,
        yes_words=_words(data.get("yes_words"), where),
        no_words=_words(data.get("no_words"), where),
        repeat=repeat,
    )


def parse_schema(data: Any) -> Schema:
    """A Schema from the parsed YAML; raises SchemaError on any shape problem."""
    if not isinstance(data, Mapping):
        raise SchemaError("the schema must be a mapping")
    deadlines = _need(data, "deadlines", "schema")
    signoff = _need(data, "signoff", "schema")
    sections: list[Section] = []
    seen: set[str] = set()
    for raw in _need(data, "sections", "schema"):
        sid = _need(raw, "id", "section")
        repeat = None
        rep = raw.get("repeat")
        key = str(_need(rep, "key", f"section {sid} repeat")) if rep else None
        questions = tuple(_question(q, sid, key) for q in _need(raw, "questions", f"section {sid}"))
        if rep:
            repeat = Repeat(
                key=key,
                max=int(rep.get("max", 10)),
                another=_question(_need(rep, "another", f"section {sid} repeat"), sid, key),
            )
            if repeat.another.type != "yes_no":
                raise SchemaError(f"section {sid}: the 'another' question is yes_no")
        for q in (*questions, *([repeat.another] if repeat else [])):
            if q.id in seen:
                raise SchemaError(f"duplicate question id {q.id!r}")
            if q.ask_if and (q.ask_if[0] not in seen or q.ask_if[0] == q.id):
                raise SchemaError(f"question {q.id!r}: ask_if must name an earlier field")
            seen.add(q.id)
        sections.append(
            Section(
                id=sid,
                title=str(_need(raw, "title", f"section {sid}")),
                questions=questions,
                repeat=repeat,
                ask_again_on_review=bool(raw.get("ask_again_on_review", False)),
            )
        )
    return Schema(
        version=int(data.get("version", 1)),
        title=str(_need(data, "title", "schema")),
        cite=_cite(data.get("cite"), "schema"),
        deadlines=Deadlines(
            int(_need(deadlines, "plan_due_days", "deadlines")),
            int(_need(deadlines, "review_every_days", "deadlines")),
            int(deadlines.get("due_soon_days", 14)),
            _cite(deadlines.get("cite"), "deadlines"),
        ),
        signoff=Signoff(
            str(_need(signoff, "label", "signoff")),
            _words(signoff.get("roles"), "signoff"),
            _cite(signoff.get("cite"), "signoff"),
            str(signoff.get("attestation") or Signoff.attestation).strip(),
        ),
        sections=tuple(sections),
    )
