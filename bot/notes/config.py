"""Loading and validating the note-check data in ``knowledge/note_checks``.

Everything the checker knows (vocabulary, cue phrases, category rules, ConText
modifiers, reasons, citations and suggestions) is data. This module reads it,
checks its shape, and hands plain dictionaries to the pipeline components.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

CATEGORIES = (
    "diagnosis",
    "medication",
    "errands",
    "transport",
    "legal",
    "possessions",
    "gifts",
    "relationship",
    "risk",
)
# Flags can also be the "please check" tier of risk (reason and suggestion in risk.yml `possible`).
FLAG_CATEGORIES = CATEGORIES + ("risk_possible",)

ACTOR_MODES = ("staff", "any", "staff_and_client", "staff_or_with_staff", "not_other")
SCOPES = ("clause", "sentence", "context", "note", "overlap")

# Cue labels the checker derives from the `actors` vocabulary itself.
DERIVED_CUES = (
    "STAFF",
    "CLIENT",
    "CHILD",
    "OTHER",
    "PERSON",
    "THEM",
    "STAFF_POSS",
    "CLIENT_POSS",
    "STAFF_ANY",
    "CLIENT_ANY",
)

CONTEXT_DIRECTIONS = ("forward", "backward", "bidirectional", "terminate")

# The keys of the YAML files (see knowledge/note_checks/README.md).
RULE_FIELDS = (
    "id",
    "match",
    "gap",
    "actor",
    "requires",
    "requires_scope",
    "unless",
    "unless_scope",
    "force",
    "helped_counts",
    "anchor",
    "passive",
)
CATEGORY_FIELDS = ("category", "title", "reason", "suggestion", "citations", "cues", "rules")
CITATION_FIELDS = ("source", "section", "quote")
LEXICON_SECTIONS = ("normalizer", "lists", "actors", "clause_breaks", "cues", "drugs", "sentences", "grammar", "chat")
ACTOR_ROLES = ("staff", "ambiguous_peer", "client", "child", "other")  # lexicon.yml `actors`
SENTENCE_KEYS = ("end_punctuation", "cell_marks", "abbreviations")  # lexicon.yml `sentences`
GRAMMAR_KEYS = (  # lexicon.yml `grammar`
    "staff_possessive",
    "client_possessive",
    "staff_object",
    "staff_and_client",
    "possessive_or_object",
    "relative",
    "staff_pronouns",
    "object_followers",
    "determiners",
    "coordinators",
    "subject_joiners",
    "be",
    "agent",
    "possessive",
    "negation",
    "deferral",
    "with_person",
    "for_person",
    "clause_openers",
    "name_particles",
    "name_joiners",
)
CHAT_KEYS = ("capitals_only", "first_person", "third_person")  # lexicon.yml `chat`

# Names of the schema, not words of notes: tests/unit/test_notes_words_in_data.py allows
# literal lists of these in bot/notes (and no other word lists).
SCHEMA_NAMES = frozenset(
    CATEGORIES
    + FLAG_CATEGORIES
    + ACTOR_MODES
    + SCOPES
    + DERIVED_CUES
    + CONTEXT_DIRECTIONS
    + RULE_FIELDS
    + CATEGORY_FIELDS
    + CITATION_FIELDS
    + LEXICON_SECTIONS
    + ACTOR_ROLES
    + SENTENCE_KEYS
    + GRAMMAR_KEYS
    + CHAT_KEYS
)


class NoteCheckDataError(ValueError):
    """The YAML in knowledge/note_checks does not have the expected shape."""


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    match: tuple[str, ...]
    gap: int | None = None
    actor: str = "staff"
    requires: tuple[str, ...] = ()
    requires_scope: str = "sentence"
    unless: tuple[str, ...] = ()
    unless_scope: str = "clause"
    force: tuple[str, ...] = ()
    helped_counts: bool = False
    anchor: int = 0
    passive: bool = False


@dataclass(frozen=True)
class Category:
    name: str
    title: str
    reason: str
    suggestion: str
    citations: tuple[dict, ...]
    cues: dict[str, tuple[str, ...]]
    rules: tuple[Rule, ...]


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


def _require(cond: bool, where: str, msg: str) -> None:
    if not cond:
        raise NoteCheckDataError(f"{where}: {msg}")


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    _require(
        isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value),
        where,
        "expected a list of non-empty strings",
    )
    return tuple(value)


def _parse_rule(raw: Any, category: str, where: str, known: set[str]) -> Rule:
    _require(isinstance(raw, dict), where, "a rule must be a mapping")
    extra = set(raw) - set(RULE_FIELDS)
    _require(not extra, where, f"unknown rule fields {sorted(extra)}")
    _require(isinstance(raw.get("id"), str) and raw["id"], where, "rule needs an id")
    where = f"{where} ({raw['id']})"
    match = _str_list(raw.get("match"), f"{where} match")
    unless_labels = []
    for item in raw.get("unless") or []:
        label, _, scope = str(item).partition("@")
        _require(not scope or scope in SCOPES, where, f"unless {item!r}: scope must be one of {SCOPES}")
        unless_labels.append(label)
    labels = list(match) + list(raw.get("requires") or []) + unless_labels + list(raw.get("force") or [])
    for label in labels:
        _require(label in known, where, f"unknown cue label {label!r}")
    gap = raw.get("gap")
    _require(gap is None or (isinstance(gap, int) and gap >= 0), where, "gap must be an int >= 0")
    anchor = raw.get("anchor", 0)
    _require(isinstance(anchor, int) and 0 <= anchor < len(match), where, "anchor must index a cue in match")
    actor = raw.get("actor", "staff")
    _require(actor in ACTOR_MODES, where, f"actor must be one of {ACTOR_MODES}")
    for key in ("requires_scope", "unless_scope"):
        _require(raw.get(key, "sentence") in SCOPES, where, f"{key} must be one of {SCOPES}")
    return Rule(
        id=raw["id"],
        category=category,
        match=match,
        gap=gap,
        actor=actor,
        requires=tuple(raw.get("requires") or ()),
        requires_scope=raw.get("requires_scope", "sentence"),
        unless=tuple(raw.get("unless") or ()),
        unless_scope=raw.get("unless_scope", "clause"),
        force=tuple(raw.get("force") or ()),
        helped_counts=bool(raw.get("helped_counts", False)),
        anchor=int(raw.get("anchor", 0)),
        passive=bool(raw.get("passive", False)),
    )


def _parse_category(raw: Any, path: Path, shared: set[str]) -> Category:
    where = path.name
    _require(isinstance(raw, dict), where, "expected a mapping")
    for key in CATEGORY_FIELDS:
        _require(key in raw, where, f"missing {key!r}")
    name = raw["category"]
    _require(name in CATEGORIES, where, f"category must be one of {CATEGORIES}")
    _require(path.stem == name, where, "file name must be <category>.yml")
    for key in ("title", "reason", "suggestion"):
        _require(isinstance(raw[key], str) and raw[key].strip(), where, f"{key} must be text")
    cits = raw["citations"]
    _require(isinstance(cits, list) and cits, where, "citations must be a non-empty list")
    for c in cits:
        _require(
            isinstance(c, dict)
            and set(c) == set(CITATION_FIELDS)
            and all(isinstance(v, str) and v.strip() for v in c.values()),
            where,
            "each citation needs exactly source, section and quote",
        )
    cues = raw["cues"]
    _require(isinstance(cues, dict) and cues, where, "cues must be a mapping")
    local = {label: _str_list(phrases, f"{where} cue {label}") for label, phrases in cues.items()}
    known = set(local) | shared | set(DERIVED_CUES)
    rules = raw["rules"]
    _require(isinstance(rules, list) and rules, where, "rules must be a non-empty list")
    parsed = tuple(_parse_rule(r, name, f"{where} rule {i}", known) for i, r in enumerate(rules))
    ids = [r.id for r in parsed]
    _require(len(ids) == len(set(ids)), where, "rule ids must be unique")
    return Category(
        name,
        raw["title"].strip(),
        " ".join(raw["reason"].split()),
        " ".join(raw["suggestion"].split()),
        tuple(dict(c) for c in cits),
        local,
        parsed,
    )


def _check_lexicon(lex: Any) -> None:
    where = "lexicon.yml"
    _require(isinstance(lex, dict), where, "expected a mapping")
    for key in LEXICON_SECTIONS:
        _require(key in lex, where, f"missing {key!r}")
    for name, words in lex["lists"].items():
        _str_list(words, f"{where} list {name}")
        _require(all(" " not in w for w in words), where, f"list {name} must hold single words")
    for role in ACTOR_ROLES:
        _str_list(lex["actors"].get(role), f"{where} actors.{role}")
    for section, keys in (("sentences", SENTENCE_KEYS), ("grammar", GRAMMAR_KEYS), ("chat", CHAT_KEYS)):
        _require(isinstance(lex[section], dict), where, f"{section} must be a mapping")
        extra = set(lex[section]) - set(keys)
        _require(not extra, where, f"unknown {section} keys {sorted(extra)}")
        for key in keys:
            words = _str_list(lex[section].get(key), f"{where} {section}.{key}")
            _require(all(w.isspace() or " " not in w for w in words), where, f"{section}.{key} must hold single words")
    for label, phrases in lex["cues"].items():
        _str_list(phrases, f"{where} cue {label}")


def _check_context(ctx: Any) -> None:
    where = "context.yml"
    _require(isinstance(ctx, dict) and "rules" in ctx and "blocks" in ctx, where, "needs `blocks` and `rules`")
    for cat, blocked in ctx["blocks"].items():
        _require(
            blocked == "all" or (isinstance(blocked, list) and set(blocked) <= set(CATEGORIES)),
            where,
            f"blocks.{cat} must be 'all' or a list of categories",
        )
    for i, rule in enumerate(ctx["rules"]):
        _require(isinstance(rule, dict) and isinstance(rule.get("phrase"), str), where, f"rule {i} needs a phrase")
        _require(rule.get("direction") in CONTEXT_DIRECTIONS, where, f"rule {i}: bad direction")
        cat = rule.get("category")
        _require(cat == "TERMINATE" or cat in ctx["blocks"], where, f"rule {i}: unknown category {cat}")
        only = rule.get("only")
        _require(only is None or set(only) <= set(CATEGORIES), where, f"rule {i}: bad `only`")


def load_data(root: Path | None = None) -> NoteCheckData:
    """Read and validate every file in ``knowledge/note_checks``."""
    root = Path(root) if root else default_dir()
    lexicon = yaml.safe_load((root / "lexicon.yml").read_text(encoding="utf-8"))
    _check_lexicon(lexicon)
    context = yaml.safe_load((root / "context.yml").read_text(encoding="utf-8"))
    _check_context(context)
    shared = set(lexicon["cues"])
    categories = {}
    for name in CATEGORIES:
        path = root / f"{name}.yml"
        _require(path.exists(), str(root), f"missing {name}.yml")
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        categories[name] = _parse_category(raw, path, shared)
        if name == "risk":
            possible = raw.get("possible") or {}
            for key in ("reason", "suggestion"):
                _require(
                    isinstance(possible.get(key), str) and possible[key].strip(),
                    path.name,
                    f"possible.{key} must be text",
                )
            risk = categories["risk"]
            categories["risk_possible"] = Category(
                "risk_possible",
                "Possible risk of harm: please check",
                " ".join(possible["reason"].split()),
                " ".join(possible["suggestion"].split()),
                risk.citations,
                {},
                (),
            )
    return NoteCheckData(lexicon=lexicon, context=context, categories=categories)


@lru_cache(maxsize=4)
def cached_data(root: str | None = None) -> NoteCheckData:
    return load_data(Path(root) if root else None)
