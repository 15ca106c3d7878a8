"""The words the WRSP interview reads as commands, none/done, yes/no, record labels and
filler, from knowledge/wrsp/chat_words.yml (data, not code: a new way to say "skip" is a
YAML edit, checked by tests/unit/test_wrsp_schema.py).

    words = chat_words()
    words.command("skip this one")     # "skip"
    "yep" in words.yes_words           # True
"""

from __future__ import annotations

import re
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Dict, List, Literal

import yaml
from pydantic import BaseModel, StrictInt, StrictStr, root_validator, validator

MAX_COMMAND_CHARS = 60  # a longer message is an answer, never a command
_PATTERN_END = {"start": r"\b", "whole": r"\W*$"}


class _Strict(BaseModel):
    class Config:
        extra = "forbid"
        keep_untouched = (cached_property,)


def _nonempty(values: List[str]) -> List[str]:
    if not values or any(not v.strip() for v in values):
        raise ValueError("needs at least one entry, and no empty ones")
    return values


class Command(_Strict):
    name: StrictStr
    match: Literal["start", "whole"]
    phrases: List[StrictStr]
    examples: List[StrictStr]

    _filled = validator("phrases", "examples", allow_reuse=True)(_nonempty)

    @validator("phrases")
    def _compiles(cls, phrases):
        for phrase in phrases:
            try:
                re.compile(phrase)
            except re.error as exc:
                raise ValueError(f"{phrase!r} is not a valid pattern: {exc}") from None
        return phrases

    @cached_property
    def pattern(self) -> re.Pattern:
        return re.compile("^(?:" + "|".join(f"(?:{p})" for p in self.phrases) + ")" + _PATTERN_END[self.match])


class ChatWords(_Strict):
    commands: List[Command]
    list_none: List[StrictStr]
    list_done: List[StrictStr]
    yes_words: List[StrictStr]
    no_words: List[StrictStr]
    negators: List[StrictStr]
    affirmers: List[StrictStr]
    client_ref_labels: List[StrictStr]
    change_filler: List[StrictStr]
    ordinals: Dict[StrictStr, StrictInt]
    date_today: List[StrictStr]
    date_next: List[StrictStr]
    date_last: List[StrictStr]

    _filled = validator(
        "list_none",
        "list_done",
        "yes_words",
        "no_words",
        "negators",
        "affirmers",
        "client_ref_labels",
        "change_filler",
        "date_today",
        "date_next",
        "date_last",
        allow_reuse=True,
    )(_nonempty)

    @root_validator(skip_on_failure=True)
    def _distinct_commands(cls, values):
        names = [c.name for c in values["commands"]]
        if len(set(names)) != len(names):
            raise ValueError(f"command names must be distinct: {names}")
        return values

    def command(self, text: str) -> str | None:
        """The command a chat message is (the first that matches, in file order), or None."""
        said = " ".join(text.lower().split())
        if len(said) > MAX_COMMAND_CHARS:
            return None
        return next((c.name for c in self.commands if c.pattern.match(said)), None)

    # the lists as sets, for membership tests (built once per load)
    @cached_property
    def none_set(self) -> frozenset[str]:
        return frozenset(self.list_none)

    @cached_property
    def done_set(self) -> frozenset[str]:
        return frozenset(self.list_done)

    @cached_property
    def yes_set(self) -> frozenset[str]:
        return frozenset(self.yes_words)

    @cached_property
    def no_set(self) -> frozenset[str]:
        return frozenset(self.no_words)

    @cached_property
    def negator_set(self) -> frozenset[str]:
        return frozenset(self.negators)

    @cached_property
    def affirmer_set(self) -> frozenset[str]:
        return frozenset(self.affirmers)

    @cached_property
    def ref_label_set(self) -> frozenset[str]:
        return frozenset(self.client_ref_labels)

    @cached_property
    def filler_set(self) -> frozenset[str]:
        return frozenset(self.change_filler)

    @cached_property
    def goal_number(self) -> re.Pattern:
        """ "goal 2", "goal number 2", "second goal": group 1 the digits, group 2 the ordinal."""
        ordinals = "|".join(re.escape(o) for o in self.ordinals)
        return re.compile(r"\bgoals? (?:number |no |# ?)?(\d{1,2})\b|\b(" + ordinals + r") goals?\b")


def parse_chat_words(data) -> ChatWords:
    return ChatWords.parse_obj(data)


def default_path() -> Path:
    from bot.paths import knowledge_dir

    return knowledge_dir() / "wrsp" / "chat_words.yml"


def chat_words(path: Path | str | None = None) -> ChatWords:
    """The chat words (cached per file)."""
    return _load(Path(path) if path else default_path())


@lru_cache(maxsize=4)
def _load(path: Path) -> ChatWords:
    return parse_chat_words(yaml.safe_load(path.read_text(encoding="utf-8")))
