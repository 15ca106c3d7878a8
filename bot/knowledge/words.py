"""The words that decide how a question is read outside the rules themselves
(knowledge/rules/_words.yml): number words, time units, "more than" / "less than"
phrases, words too common to rank passages by, and the filler left out of a rule id."""

from __future__ import annotations

import re
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Dict, List

import yaml
from pydantic import conint, conlist, validator

from bot.knowledge.schema import Strict

Words = conlist(str, min_items=1)


class Numbers(Strict):
    ones: conlist(str, min_items=20, max_items=20)  # type: ignore[valid-type]
    tens: conlist(str, min_items=8, max_items=8)  # type: ignore[valid-type]
    hundred: str
    thousand: str
    ordinal_ones: conlist(str, min_items=19, max_items=19)  # type: ignore[valid-type]
    ordinal_tens: conlist(str, min_items=8, max_items=8)  # type: ignore[valid-type]
    ordinal_suffixes: Words  # type: ignore[valid-type]
    counts: dict[str, int]  # words that count in groups: "a dozen" 12, "3 dozen" 36


class QuestionWords(Strict):
    numbers: Numbers
    time_units: Words  # type: ignore[valid-type]
    plural_abbreviations: Words  # type: ignore[valid-type]
    more_than: Words  # type: ignore[valid-type]
    less_than: Words  # type: ignore[valid-type]
    added: Words  # type: ignore[valid-type]
    adding: Words  # type: ignore[valid-type]
    adding_fillers: Words  # type: ignore[valid-type]
    joining: Words  # type: ignore[valid-type]
    reached: Words  # type: ignore[valid-type]
    going_on: Words  # type: ignore[valid-type]
    going_on_to: Words  # type: ignore[valid-type]
    common_words: Words  # type: ignore[valid-type]
    pronouns: Words  # type: ignore[valid-type]
    rule_id_filler: Words  # type: ignore[valid-type]
    permission_patterns: Words  # type: ignore[valid-type]
    fact_question_openers: Words  # type: ignore[valid-type]
    months: conlist(str, min_items=12, max_items=12)  # type: ignore[valid-type]
    since: Words  # type: ignore[valid-type]
    since_fillers: Words  # type: ignore[valid-type]
    date_parts: Dict[str, conint(ge=1, le=28)]  # type: ignore[valid-type]

    class Config:
        keep_untouched = (cached_property,)

    @validator("*", each_item=True)
    def _lower(cls, word):
        if isinstance(word, str) and (word != word.strip().lower() or not word):
            raise ValueError(f"{word!r}: write words lower-case, without spaces around them")
        return word

    @validator("permission_patterns", each_item=True)
    def _compiles(cls, pattern):
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"{pattern!r} is not a valid pattern: {exc}") from None
        return pattern

    # --- what the readers use -------------------------------------------------------------

    @cached_property
    def number_values(self) -> dict[str, int]:
        """Number words and their values, ones and tens (hundred / thousand multiply)."""
        values = {w: i for i, w in enumerate(self.numbers.ones)}
        values.update({w: 10 * i for i, w in enumerate(self.numbers.tens, start=2)})
        return values

    @cached_property
    def number_run_pattern(self) -> re.Pattern:
        """A run of number words ("twenty-six", "one hundred and five")."""
        names = [*self.number_values, self.numbers.hundred, self.numbers.thousand]
        one = "|".join(sorted(names, key=len, reverse=True))
        return re.compile(rf"\b(?:{one})(?:[\s-]+(?:and[\s-]+)?(?:{one}))*\b")

    @cached_property
    def ordinal_pattern(self) -> re.Pattern:
        """An ordinal from "tenth" up, in words ("twenty-fifth", "thirteenth") or digits ("25th");
        group ``tens`` / ``one`` / ``digits`` says which."""
        n = self.numbers
        tens, ones = "|".join(n.tens), "|".join(n.ordinal_ones[:9])
        alone = "|".join(sorted(n.ordinal_ones[9:] + n.ordinal_tens, key=len, reverse=True))
        return re.compile(
            rf"\b(?:(?P<tens>{tens})[\s-]+(?P<one>{ones})|(?P<alone>{alone})|(?P<digits>\d+){self._suffix})\b"
        )

    @cached_property
    def _suffix(self) -> str:
        return "(?:" + "|".join(self.numbers.ordinal_suffixes) + ")"

    @cached_property
    def date_pattern(self) -> re.Pattern:
        """A date as month and day: "April 2", "april 2nd, 2026", "2nd of April", "4/2", "4/2/26";
        groups m/d/y, m2/d2/y2 or mn/dn/yn."""
        month, suffix = self.month_pattern, self._suffix
        return re.compile(
            rf"\b(?P<m>{month}) (?P<d>\d{{1,2}}){suffix}?\b(?:,? (?P<y>\d{{4}}))?"
            rf"|\b(?P<d2>\d{{1,2}}){suffix}? (?:of )?(?P<m2>{month})(?:,? (?P<y2>\d{{4}}))?"
            rf"|\b(?P<mn>\d{{1,2}})/(?P<dn>\d{{1,2}})(?:/(?P<yn>\d{{2}}|\d{{4}}))?\b"
        )

    @cached_property
    def since_pattern(self) -> re.Pattern:
        """A date a span to today starts from: "since March of last year", "clean date 6/14/24",
        "since early 2023"; groups date (a ``date_pattern`` date), or part with sm and sy / last,
        or year."""
        since = "|".join(r"\s+".join(map(re.escape, w.split())) for w in self.since)
        parts = "|".join(map(re.escape, self.date_parts))
        fillers = "|".join(map(re.escape, self.since_fillers))
        return re.compile(
            rf"\b(?:{since})(?: (?:{fillers}))* "
            rf"(?:(?P<date>{self.date_pattern.pattern})"
            rf"|(?:(?P<part>{parts})[- ](?:of )?)?"
            rf"(?:(?:last )?(?P<sm>{self.month_pattern})(?: of)?(?:,? (?P<sy>\d{{4}})| (?P<last>last) year| this year)?"
            rf"|(?P<year>(?:19|20)\d\d)))\b"
        )

    @cached_property
    def ordinal_values(self) -> dict[str, int]:
        """Ordinal words and their values, as ``number_values`` has the cardinals."""
        values = {w: i for i, w in enumerate(self.numbers.ordinal_ones, start=1)}
        values.update({w: 10 * i for i, w in enumerate(self.numbers.ordinal_tens, start=2)})
        return values

    def ordinal_value(self, m: re.Match) -> int:
        """The value of an ``ordinal_pattern`` match."""
        if m.group("digits"):
            return int(m.group("digits"))
        if m.group("alone"):
            return self.ordinal_values[m.group("alone")]
        return self.number_values[m.group("tens")] + self.ordinal_values[m.group("one")]

    @cached_property
    def month_pattern(self) -> str:
        """A regex group matching a month's name or its abbreviation."""
        names = sorted({*self.months, *(m[:3] for m in self.months), "sept"}, key=len, reverse=True)
        return "(?:" + "|".join(names) + r")\.?"

    def month_number(self, word: str) -> int:
        word = word.rstrip(".")
        return next(i for i, m in enumerate(self.months, 1) if m.startswith(word[:3]))

    @cached_property
    def time_unit_pattern(self) -> str:
        """A regex group matching one time unit word, singular or plural."""
        return "(?:" + "|".join(f"{re.escape(u)}s?" for u in self.time_units) + ")"

    @cached_property
    def more_than_pattern(self) -> re.Pattern:
        return _ending_with(self.more_than)

    @cached_property
    def less_than_pattern(self) -> re.Pattern:
        return _ending_with(self.less_than)

    @cached_property
    def reached_pattern(self) -> re.Pattern:
        return _ending_with(self.reached)

    @cached_property
    def going_on_pattern(self) -> re.Pattern:
        """Asking to go on past a limit: "keep seeing her", "through December"."""
        words = "|".join(map(re.escape, self.going_on))
        to = "|".join(map(re.escape, self.going_on_to))
        return re.compile(rf"\b(?:{words}|(?:{to}) {self.month_pattern})\b")

    @cached_property
    def added_pattern(self) -> re.Pattern:
        """A number added to a stated one, over digits: "another 2", "pick up the 3", "3 more [clients]"."""
        after = "|".join(map(re.escape, self.added))
        before = "|".join(map(re.escape, self.adding))
        filler = "|".join(map(re.escape, self.adding_fillers))
        joining = "|".join(map(re.escape, self.joining))
        return re.compile(
            rf"\b(?:(?:{before}) (?:(?:{filler}) )?(?P<a>\d+(?:\.\d+)?)"
            rf"|(?P<b>\d+(?:\.\d+)?) (?:{after}))\b(?: (?!(?:{joining})\b)(?P<w>[a-z]+))?"
        )

    @cached_property
    def permission_pattern(self) -> re.Pattern:
        return re.compile("|".join(self.permission_patterns), re.I)

    @cached_property
    def fact_question_pattern(self) -> re.Pattern:
        openers = "|".join(r"\s+".join(map(re.escape, w.split())) for w in self.fact_question_openers)
        return re.compile(rf"^\W*(?:{openers})\b", re.I)

    @cached_property
    def unimportant(self) -> set[str]:
        """Words that say nothing about what a question is about."""
        return set(self.common_words) | set(self.pronouns)


def _ending_with(phrases: List[str]) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in phrases) + r")\s*$")


def default_path() -> Path:
    from bot.paths import knowledge_dir

    return knowledge_dir() / "rules" / "_words.yml"


def question_words(path: Path | None = None) -> QuestionWords:
    """The question words (cached per file)."""
    return _load(Path(path) if path else default_path())


@lru_cache(maxsize=4)
def _load(path: Path) -> QuestionWords:
    return QuestionWords.parse_obj(yaml.safe_load(path.read_text(encoding="utf-8")))
