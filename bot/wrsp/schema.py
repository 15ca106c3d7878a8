"""The WRSP interview schema: ``knowledge/wrsp/schema.yml`` loaded and checked.

The schema is data, read into the same strict pydantic models as every other
knowledge/ file (:mod:`bot.knowledge.schema`): a file with the wrong shape
(unknown key or type, duplicate id, choice without choices, ``ask_if`` pointing at
a later field, ...) is refused with one line naming the place. Whether the quotes
are verbatim is checked by the tests with :func:`bot.knowledge.sources.check_citation`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional, Tuple

import yaml
from pydantic import ValidationError, root_validator, validator

from bot.knowledge.schema import CitationModel, Strict
from bot.knowledge.sources import Citation

TYPES = ("text", "list", "date", "yes_no", "choice")
DATE_RULES = ("not_future", "future")
CHECKS = ("client_ref",)
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_GOAL_FIELD = re.compile(r"^([a-z][a-z0-9_]*)\.(\d+)\.([a-z][a-z0-9_]*)$")
_ATTESTATION = "I have reviewed this plan as the clinical consultant."


class SchemaError(ValueError):
    """knowledge/wrsp/schema.yml does not have the expected shape."""


def _citation(value: Any) -> Citation:
    if isinstance(value, Citation):
        return value
    if not isinstance(value, dict):
        raise ValueError("'cite' must be a mapping with source, section and quote")
    return CitationModel.parse_obj(value).to_citation()


def _words(value: Any) -> Tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError("expected a list of words")
    return tuple(v.strip() for v in value)


def _text(value: Any) -> str:
    value = str(value).strip()
    if not value:
        raise ValueError("empty text")
    return value


class _Model(Strict):
    class Config:
        arbitrary_types_allowed = True  # Citation: the one citation type the rest of the code reads
        frozen = True  # hashable, like the dataclasses they replaced


class Choice(_Model):
    value: str
    label: str
    synonyms: Tuple[str, ...] = ()

    _words = validator("synonyms", pre=True, allow_reuse=True)(_words)


class Question(_Model):
    id: str
    label: str
    ask: str
    help: str
    type: str
    cite: Citation
    required: bool = True
    synonyms: Tuple[str, ...] = ()
    choices: Tuple[Choice, ...] = ()
    dates: Optional[str] = None
    check: Optional[str] = None
    allow_none: bool = False
    ask_if: Optional[Tuple[str, Any]] = None
    yes_words: Tuple[str, ...] = ()
    no_words: Tuple[str, ...] = ()
    # Set from the enclosing section, never written in the file.
    section: str = ""
    repeat: Optional[str] = None  # the repeat key ("goal") for per-goal questions

    _cite = validator("cite", pre=True, allow_reuse=True)(_citation)
    _words = validator("synonyms", "yes_words", "no_words", pre=True, allow_reuse=True)(_words)
    _text = validator("label", "ask", "help", pre=True, allow_reuse=True)(_text)

    @root_validator(pre=True)
    def _file_shape(cls, values):
        for key in ("section", "repeat"):
            if key in values:
                raise ValueError(f"unknown keys [{key!r}]")
        if not _ID.match(str(values.get("id") or "")):
            raise ValueError(f"question {values.get('id')!r}: ids are lower_snake_case")
        if "cite" not in values:
            raise ValueError(f"question {values['id']!r}: 'cite' must be a mapping with source, section and quote")
        ask_if = values.get("ask_if")
        if isinstance(ask_if, dict):
            if not ask_if.get("field"):
                raise ValueError(f"question {values['id']!r}: ask_if needs a field")
            values = {**values, "ask_if": (str(ask_if["field"]), ask_if.get("equals"))}
        return values

    @root_validator(skip_on_failure=True)
    def _consistent(cls, values):
        where = f"question {values['id']!r}"
        qtype, dates, check = values["type"], values["dates"], values["check"]
        if qtype not in TYPES:
            raise ValueError(f"{where}: type must be one of {', '.join(TYPES)}")
        if (qtype == "choice") != bool(values["choices"]):
            raise ValueError(f"{where}: choices go with type choice, and a choice needs them")
        if (qtype == "date") != (dates is not None) or (dates is not None and dates not in DATE_RULES):
            raise ValueError(f"{where}: a date question needs dates: {' | '.join(DATE_RULES)}")
        if check is not None and check not in CHECKS:
            raise ValueError(f"{where}: check must be one of {', '.join(CHECKS)}")
        if values["allow_none"] and qtype != "list":
            raise ValueError(f"{where}: allow_none is for lists")
        return values

    @property
    def names(self) -> tuple[str, ...]:
        """Every way a peer may name this question, for field lookup."""
        return (self.id.replace("_", " "), self.label, *self.synonyms)


class Repeat(_Model):
    key: str  # field prefix: goal.<n>.<question id>
    max: int = 10
    another: Question  # "add another goal?"

    @validator("another")
    def _yes_no(cls, another):
        if another.type != "yes_no":
            raise ValueError("the 'another' question is yes_no")
        return another


class Section(_Model):
    id: str
    title: str
    questions: Tuple[Question, ...]
    repeat: Optional[Repeat] = None
    ask_again_on_review: bool = False  # a review version starts with this section unanswered

    @root_validator(skip_on_failure=True)
    def _own_questions(cls, values):
        if not values["questions"]:
            raise ValueError(f"section {values['id']!r}: no questions")
        own = {"section": values["id"], "repeat": values["repeat"].key if values["repeat"] else None}
        values["questions"] = tuple(q.copy(update=own) for q in values["questions"])
        if values["repeat"]:
            another = values["repeat"].another.copy(update=own)
            values["repeat"] = values["repeat"].copy(update={"another": another})
        return values


class Deadlines(_Model):
    plan_due_days: int
    review_every_days: int
    due_soon_days: int = 14
    cite: Citation

    _cite = validator("cite", pre=True, allow_reuse=True)(_citation)


class Signoff(_Model):
    label: str
    roles: Tuple[str, ...]
    cite: Citation
    # what the consultant confirms before signing; recorded with the signature
    attestation: str = _ATTESTATION

    _cite = validator("cite", pre=True, allow_reuse=True)(_citation)
    _words = validator("roles", pre=True, allow_reuse=True)(_words)
    _text = validator("attestation", pre=True, allow_reuse=True)(lambda v: " ".join(str(v or _ATTESTATION).split()))


class Schema(_Model):
    version: int = 1
    title: str
    cite: Citation
    deadlines: Deadlines
    signoff: Signoff
    sections: Tuple[Section, ...]

    _cite = validator("cite", pre=True, allow_reuse=True)(_citation)

    @root_validator(skip_on_failure=True)
    def _ids(cls, values):
        seen: set[str] = set()
        for section in values["sections"]:
            repeat = section.repeat
            for q in (*section.questions, *([repeat.another] if repeat else [])):
                if q.id in seen:
                    raise ValueError(f"duplicate question id {q.id!r}")
                if q.ask_if and (q.ask_if[0] not in seen or q.ask_if[0] == q.id):
                    raise ValueError(f"question {q.id!r}: ask_if must name an earlier field")
                seen.add(q.id)
        return values

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


def _first_problem(exc: ValidationError) -> str:
    """One line for the first problem pydantic found: where, then what."""
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"] if part != "__root__") or "schema"
    if error["type"] == "value_error.missing":
        parent, _, key = where.rpartition(".")
        return f"{parent or 'schema'}: missing {key!r}"
    if error["type"] == "value_error.extra":
        parent, _, key = where.rpartition(".")
        return f"{parent or 'schema'}: unknown keys [{key!r}]"
    return f"{where}: {error['msg']}"


def parse_schema(data: Any) -> Schema:
    """A Schema from the parsed YAML; raises SchemaError on any shape problem."""
    if not isinstance(data, dict):
        raise SchemaError("the schema must be a mapping")
    try:
        return Schema.parse_obj(data)
    except ValidationError as exc:
        raise SchemaError(_first_problem(exc)) from None
