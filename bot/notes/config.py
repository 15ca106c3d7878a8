"""Loading and validating the note-check data in ``knowledge/note_checks``.

Everything the checker knows (vocabulary, cue phrases, category rules, ConText
modifiers, reasons, citations and suggestions) is data. This module reads it into the
models of :mod:`bot.notes.schema` and hands it to the pipeline components.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .schema import (
    CATEGORIES,
    DERIVED_CUES,
    FLAG_CATEGORIES,
    Category,
    Context,
    Lexicon,
    NoteCheckDataError,
    Rule,
    _one_line,
)

__all__ = ["CATEGORIES", "FLAG_CATEGORIES", "NoteCheckData", "NoteCheckDataError", "cached_data", "load_data"]


@dataclass(frozen=True)
class NoteCheckData:
    lexicon: dict[str, Any]
    context: dict[str, Any]
    categories: dict[str, Category] = field(default_factory=dict)

    @property
    def lists(self) -> dict[str, list[str]]:
        lists = dict(self.lexicon.get("lists") or {})
        lists["DRUG"] = list(self.lexicon.get("drugs") or [])
        return lists

    def all_cues(self) -> dict[str, tuple[str, ...]]:
        """Shared cues plus every category's cues (category cues win on clash)."""
        cues = {k: tuple(v) for k, v in (self.lexicon.get("cues") or {}).items()}
        for cat in self.categories.values():
            for label, phrases in cat.cues.items():
                cues[f"{cat.name}:{label}"] = phrases
        return cues


def default_dir() -> Path:
    from bot.paths import knowledge_dir

    return knowledge_dir() / "note_checks"


def _problem(exc: ValidationError) -> str:
    """One line for the first problem pydantic found: where, then what."""
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"] if p != "__root__")
    if error["type"] == "value_error.extra":
        return f"unknown {where.rpartition('.')[0] or 'top-level'} keys [{where.rpartition('.')[2]!r}]"
    return f"{where}: {error['msg']}" if where else error["msg"]


def _parse(model, raw: Any, where: str):
    if not isinstance(raw, dict):
        raise NoteCheckDataError(f"{where}: expected a mapping")
    try:
        return model.parse_obj(raw)
    except ValidationError as exc:
        raise NoteCheckDataError(f"{where}: {_problem(exc)}") from None


def _check_labels(category: Category, shared: set[str], where: str) -> None:
    known = set(category.cues) | shared | set(DERIVED_CUES)
    for rule in category.rules:
        unknown = [label for label in rule.labels() if label not in known]
        if unknown:
            raise NoteCheckDataError(f"{where} ({rule.id}): unknown cue label {unknown[0]!r}")


def _parse_rule(raw: Any, category: str, where: str, known: set[str]) -> Rule:
    """One rule on its own (the tests of the rule language use it)."""
    rule = _parse(Rule, raw, where).copy(update={"category": category})
    unknown = [label for label in rule.labels() if label not in known]
    if unknown:
        raise NoteCheckDataError(f"{where} ({rule.id}): unknown cue label {unknown[0]!r}")
    return rule


def load_data(root: Path | None = None) -> NoteCheckData:
    """Read and validate every file in ``knowledge/note_checks``."""
    root = Path(root) if root else default_dir()
    lexicon = yaml.safe_load((root / "lexicon.yml").read_text(encoding="utf-8"))
    _parse(Lexicon, lexicon, "lexicon.yml")
    context = yaml.safe_load((root / "context.yml").read_text(encoding="utf-8"))
    _parse(Context, context, "context.yml")
    shared = set(lexicon["cues"])
    categories = {}
    for name in CATEGORIES:
        path = root / f"{name}.yml"
        if not path.exists():
            raise NoteCheckDataError(f"{root}: missing {name}.yml")
        category = _parse(Category, yaml.safe_load(path.read_text(encoding="utf-8")), path.name)
        if category.name != name:
            raise NoteCheckDataError(f"{path.name}: file name must be <category>.yml")
        _check_labels(category, shared, path.name)
        categories[name] = category
        if name == "risk":
            possible = category.possible or {}
            for key in ("reason", "suggestion"):
                if not (possible.get(key) or "").strip():
                    raise NoteCheckDataError(f"{path.name}: possible.{key} must be text")
            categories["risk_possible"] = category.copy(
                update={
                    "name": "risk_possible",
                    "title": "Possible risk of harm: please check",
                    "reason": _one_line(possible["reason"]),
                    "suggestion": _one_line(possible["suggestion"]),
                    "cues": {},
                    "rules": (),
                    "possible": None,
                }
            )
    return NoteCheckData(lexicon=lexicon, context=context, categories=categories)


@lru_cache(maxsize=4)
def cached_data(root: str | None = None) -> NoteCheckData:
    return load_data(Path(root) if root else None)
