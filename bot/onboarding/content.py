"""Onboarding content (knowledge/onboarding/*.yml): schema, loading, validation.

``modules.yml`` holds the lessons, ``quiz.yml`` the scenario quiz. The schema is
checked on load; :func:`validate` also checks every quote against the policy
sources (it needs them, so it is separate and run by the tests).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import List, Mapping

import yaml
from pydantic import Field, root_validator, validator

from bot.knowledge.schema import CitationModel
from bot.knowledge.schema import Strict as _Strict
from bot.knowledge.sources import Source, check_citation, normalise

MAX_MESSAGE_CHARS = 600  # one chat bubble
MAX_LABEL_CHARS = 60  # fits on a Telegram button
_ID = r"^[a-z0-9][a-z0-9-]*$"
# A phrase in double quotes inside a message or explanation claims to be a quote.
_INLINE_QUOTE = re.compile(r'"([^"]{12,})"')


def _text(value: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    value = " ".join((value or "").split())
    if not value:
        raise ValueError("empty text")
    if len(value) > limit:
        raise ValueError(f"{len(value)} characters, more than {limit}: {value[:60]!r}...")
    return value


class Message(_Strict):
    text: str
    citations: List[CitationModel] = Field(..., min_items=1)

    _clean = validator("text", allow_reuse=True)(lambda v: _text(v))


class Module(_Strict):
    id: str = Field(..., regex=_ID, max_length=100)  # stored in onboarding_progress.module
    title: str
    messages: List[Message] = Field(..., min_items=1)

    _clean = validator("title", allow_reuse=True)(lambda v: _text(v, 100))


class Option(_Strict):
    id: str = Field(..., regex=r"^[a-z]$")
    label: str
    correct: bool = False

    _clean = validator("label", allow_reuse=True)(lambda v: _text(v, MAX_LABEL_CHARS))


class Question(_Strict):
    id: str = Field(..., regex=_ID, max_length=100)
    question: str
    options: List[Option] = Field(..., min_items=3, max_items=4)
    explanation: str
    citations: List[CitationModel] = Field(..., min_items=1)

    _clean = validator("question", "explanation", allow_reuse=True)(lambda v: _text(v))

    @root_validator(skip_on_failure=True)
    def _one_correct(cls, values):
        options = values["options"]
        if sum(o.correct for o in options) != 1:
            raise ValueError(f"{values['id']}: exactly one option must be correct")
        for attr in ("id", "label"):
            seen = [getattr(o, attr).lower() for o in options]
            if len(set(seen)) != len(seen):
                raise ValueError(f"{values['id']}: option {attr}s must be unique")
        return values

    @property
    def correct(self) -> Option:
        return next(o for o in self.options if o.correct)

    def option(self, option_id: str | None) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


class Quiz(_Strict):
    pass_mark: int = Field(..., ge=1, le=100)  # percent
    pass_mark_citation: CitationModel
    questions: List[Question] = Field(..., min_items=1)

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)


class Onboarding(_Strict):
    modules: List[Module] = Field(..., min_items=1)
    quiz: Quiz

    @root_validator(skip_on_failure=True)
    def _unique_ids(cls, values):
        for kind, ids in (
            ("module", [m.id for m in values["modules"]]),
            ("question", [q.id for q in values["quiz"].questions]),
        ):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise ValueError(f"duplicate {kind} ids: {', '.join(dupes)}")
        return values

    def module(self, module_id: str) -> Module | None:
        return next((m for m in self.modules if m.id == module_id), None)

    def all_citations(self) -> list[tuple[str, CitationModel]]:
        """(where, citation) for every citation in the modules and the quiz."""
        out = [(f"{m.id}[{n}]", c) for m in self.modules for n, msg in enumerate(m.messages) for c in msg.citations]
        out += [(f"quiz:{q.id}", c) for q in self.quiz.questions for c in q.citations]
        out.append(("quiz:pass_mark", self.quiz.pass_mark_citation))
        return out


def parse(modules: Mapping, quiz: Mapping) -> Onboarding:
    """Build and schema-check the content (raises pydantic.ValidationError)."""
    return Onboarding.parse_obj({"modules": (modules or {}).get("modules"), "quiz": quiz})


def load_onboarding(root: Path | None = None) -> Onboarding:
    """Read ``modules.yml`` and ``quiz.yml`` from ``root`` (default knowledge/onboarding)."""
    return _load(Path(root) if root else _default_root())


def _default_root() -> Path:
    from bot.paths import knowledge_dir

    return knowledge_dir() / "onboarding"


@lru_cache(maxsize=4)
def _load(root: Path) -> Onboarding:
    def read(name: str) -> Mapping:
        data = yaml.safe_load((root / name).read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{root / name}: expected a mapping")
        return data

    return parse(read("modules.yml"), read("quiz.yml"))


def _inline_quote_errors(where: str, text: str, citations: List[CitationModel]) -> list[str]:
    quotes = [normalise(c.quote) for c in citations]
    errors = []
    for phrase in _INLINE_QUOTE.findall(text):
        wanted = normalise(phrase).rstrip(".,;")
        if not any(wanted in q for q in quotes):
            errors.append(f"{where}: quoted phrase is not part of any of its citations: {phrase[:60]!r}")
    return errors


def validate(content: Onboarding, sources: Mapping[str, Source]) -> list[str]:
    """Every citation verbatim in its named section, every quoted phrase backed by a citation,
    and the quiz's pass mark matching its cited standard. Empty when all is well."""
    errors = [
        f"{where}: {err}" for where, c in content.all_citations() if (err := check_citation(sources, c.to_citation()))
    ]
    for m in content.modules:
        for n, msg in enumerate(m.messages):
            errors += _inline_quote_errors(f"{m.id}[{n}]", msg.text, msg.citations)
    for q in content.quiz.questions:
        errors += _inline_quote_errors(f"quiz:{q.id}", q.explanation, q.citations)
    if f"{content.quiz.pass_mark}%" not in content.quiz.pass_mark_citation.quote:
        errors.append(f"quiz: pass mark {content.quiz.pass_mark}% is not what its citation says")
    return errors
