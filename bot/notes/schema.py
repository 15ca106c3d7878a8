"""The shape of the note-check data in ``knowledge/note_checks``: its names and the strict
pydantic models every file is read into (rules and categories; lexicon.yml and context.yml
are checked by models and handed on as the plain mappings they are)."""

from __future__ import annotations

from typing import Any, Dict, List, Literal, Optional, Tuple, Union

from pydantic import BaseModel, Field, StrictStr, ValidationError, conint, create_model, root_validator, validator

from bot.knowledge.schema import CitationModel, Strict
from bot.knowledge.sources import Citation

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
SENTENCE_KEYS = ("end_punctuation", "cell_marks", "abbreviations", "closing_marks")  # lexicon.yml `sentences`
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


def _words(value: Any) -> Tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError("expected a list of non-empty strings")
    return tuple(value)


def _single_words(value: Any) -> Tuple[str, ...]:
    words = _words(value)
    if not all(w.isspace() or " " not in w for w in words):
        raise ValueError("must hold single words")
    return words


def _one_line(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be text")
    return " ".join(value.split())


class Rule(Strict):
    """One cue rule of a category (the rule language: knowledge/note_checks/README.md)."""

    id: StrictStr
    category: str = ""  # set from the file, never written in a rule
    match: Tuple[str, ...]
    gap: Optional[conint(ge=0, strict=True)] = None  # type: ignore[valid-type]
    actor: str = "staff"
    requires: Tuple[str, ...] = ()
    requires_scope: str = "sentence"
    unless: Tuple[str, ...] = ()
    unless_scope: str = "clause"
    force: Tuple[str, ...] = ()
    helped_counts: bool = False
    anchor: int = 0
    passive: bool = False

    class Config:
        frozen = True

    _words = validator("match", "requires", "unless", "force", pre=True, allow_reuse=True)(_words)

    @validator("actor")
    def _actor(cls, actor):
        if actor not in ACTOR_MODES:
            raise ValueError(f"actor must be one of {ACTOR_MODES}")
        return actor

    @validator("requires_scope", "unless_scope")
    def _scope(cls, scope, field):
        if scope not in SCOPES:
            raise ValueError(f"{field.name} must be one of {SCOPES}")
        return scope

    @validator("unless")
    def _unless_scopes(cls, unless):
        for item in unless:
            scope = item.partition("@")[2]
            if scope and scope not in SCOPES:
                raise ValueError(f"unless {item!r}: scope must be one of {SCOPES}")
        return unless

    @root_validator(skip_on_failure=True)
    def _anchor(cls, values):
        if not 0 <= values["anchor"] < len(values["match"]):
            raise ValueError("anchor must index a cue in match")
        return values

    def labels(self) -> list[str]:
        """Every cue label the rule names."""
        return [*self.match, *self.requires, *(u.partition("@")[0] for u in self.unless), *self.force]


class Category(Strict):
    name: str = Field(..., alias="category")
    title: str
    reason: str
    suggestion: str
    citations: Tuple[Citation, ...]
    cues: Dict[str, Tuple[str, ...]]
    rules: Tuple[Rule, ...]
    possible: Optional[Dict[str, str]] = None  # risk.yml only: the "please check" tier's words

    class Config:
        arbitrary_types_allowed = True  # Citation: the one citation type the rest of the code reads
        allow_population_by_field_name = True

    _text = validator("title", "reason", "suggestion", pre=True, allow_reuse=True)(_one_line)

    @validator("citations", pre=True)
    def _citations(cls, value):
        if not isinstance(value, list) or not value:
            raise ValueError("citations must be a non-empty list")
        try:
            return tuple(c if isinstance(c, Citation) else CitationModel.parse_obj(c).to_citation() for c in value)
        except ValidationError as exc:
            problem = exc.errors()[0]["msg"]
            raise ValueError(f"each citation needs exactly source, section and quote ({problem})") from None

    @validator("cues", pre=True)
    def _cues(cls, value):
        if not isinstance(value, dict) or not value:
            raise ValueError("cues must be a mapping")
        return {label: _words(phrases) for label, phrases in value.items()}

    @validator("rules", pre=True)
    def _some_rules(cls, value):
        if not isinstance(value, (list, tuple)) or not value:
            raise ValueError("rules must be a non-empty list")
        return value

    @root_validator(skip_on_failure=True)
    def _own_rules(cls, values):
        if values["name"] not in CATEGORIES:
            raise ValueError(f"category must be one of {CATEGORIES}")
        ids = [r.id for r in values["rules"]]
        if len(ids) != len(set(ids)):
            raise ValueError("rule ids must be unique")
        values["rules"] = tuple(r.copy(update={"category": values["name"]}) for r in values["rules"])
        return values


class _WordSection(Strict):
    """A lexicon.yml section of single-word lists."""

    _single = validator("*", pre=True, allow_reuse=True)(_single_words)


Sentences = create_model("Sentences", __base__=_WordSection, **{k: (Tuple[str, ...], ...) for k in SENTENCE_KEYS})
Grammar = create_model("Grammar", __base__=_WordSection, **{k: (Tuple[str, ...], ...) for k in GRAMMAR_KEYS})
Chat = create_model("Chat", __base__=_WordSection, **{k: (Tuple[str, ...], ...) for k in CHAT_KEYS})
Actors = create_model("Actors", __base__=Strict, **{k: (Tuple[str, ...], ...) for k in ACTOR_ROLES})


class Lexicon(BaseModel):
    """lexicon.yml: checked here, handed to the components as the plain mapping it is."""

    normalizer: Any
    lists: Dict[str, Tuple[str, ...]]
    actors: Actors  # type: ignore[valid-type]
    clause_breaks: Any
    cues: Dict[str, Tuple[str, ...]]
    drugs: Any
    sentences: Sentences  # type: ignore[valid-type]
    grammar: Grammar  # type: ignore[valid-type]
    chat: Chat  # type: ignore[valid-type]

    _words = validator("actors", pre=True, allow_reuse=True)(
        lambda v: {k: _words(w) for k, w in v.items()} if isinstance(v, dict) else v
    )

    @validator("lists", pre=True)
    def _lists(cls, value):
        return {name: _single_words(words) for name, words in (value or {}).items()}

    @validator("cues", pre=True)
    def _cues(cls, value):
        return {label: _words(phrases) for label, phrases in (value or {}).items()}


class ContextRule(BaseModel):
    phrase: StrictStr
    direction: str
    category: str
    only: Optional[List[str]] = None

    @validator("direction")
    def _direction(cls, value):
        if value not in CONTEXT_DIRECTIONS:
            raise ValueError("bad direction")
        return value

    @validator("only")
    def _only(cls, value):
        if value is not None and not set(value) <= set(CATEGORIES):
            raise ValueError("bad `only`")
        return value


class Context(BaseModel):
    """context.yml: the ConText modifiers and which categories each one blocks."""

    blocks: Dict[str, Union[Literal["all"], List[str]]]
    rules: List[ContextRule]

    @root_validator(skip_on_failure=True)
    def _known(cls, values):
        for cat, blocked in values["blocks"].items():
            if blocked != "all" and not set(blocked) <= set(CATEGORIES):
                raise ValueError(f"blocks.{cat} must be 'all' or a list of categories")
        for i, rule in enumerate(values["rules"]):
            if rule.category != "TERMINATE" and rule.category not in values["blocks"]:
                raise ValueError(f"rule {i}: unknown category {rule.category}")
        return values
