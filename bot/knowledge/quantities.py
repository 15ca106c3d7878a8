"""Numbers in a question, read as the quantity a rule compares (knowledge/rules/_quantities.yml).

    q = Quantities.load(root).find("caseload", "I already have 26 people on my caseload")
    q.value == 26.0

Numbers written in words are turned into digits first ("twenty-six", "a year and a
half", "a dozen"). Which phrases count as which quantity is data; this module only
applies it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import yaml

from bot.knowledge.words import QuestionWords, question_words

_NUMBER = r"(?P<n>\d+(?:\.\d+)?)"
_PER = r"(?P<d>\d+(?:\.\d+)?)"  # "{d}": the number the stated one is divided by (hours worked per hour)
_ADDED_WITHIN = 120  # characters after a stated number where an added one is looked for
_REST = re.compile(r"(?: ,)? (?:and )?(\d+(?:\.\d+)?) ([a-z]+)\b")  # "2 years[,] [and] 3 months"
# the lower end of a range just before a number: "between 10 and 15", "10 to 15", "8 or 9", "2-10"
_RANGE_FROM = re.compile(r"(?:\bbetween (?P<a>\d+(?:\.\d+)?) and|\b(?P<b>\d+(?:\.\d+)?) ?(?:-|\u2013|to|or)) ?$")


def _words_to_number(phrase: str, words: QuestionWords) -> int | None:
    total, current = 0, 0
    for word in re.split(r"[\s-]+", phrase):
        if word == "and":
            continue
        if word in words.number_values:
            current += words.number_values[word]
        elif word == words.numbers.hundred:
            current = max(current, 1) * 100
        elif word == words.numbers.thousand:
            total += max(current, 1) * 1000
            current = 0
        else:
            return None
    return total + current


def digits(text: str, words: QuestionWords | None = None) -> str:
    """Lower-case ``text`` with numbers written as digits."""
    words = words or question_words()
    units = words.time_unit_pattern
    t = " " + text.lower().replace(",", " ,").replace("\u2019", "'") + " "
    t = re.sub(r"(\d),(\d{3})\b", r"\1\2", t)

    def as_digits(m: re.Match) -> str:
        value = _words_to_number(m.group(0), words)
        return m.group(0) if value is None else str(value)

    t = words.ordinal_pattern.sub(lambda m: str(v) if (v := words.ordinal_value(m)) >= 10 else m.group(0), t)
    t = words.number_run_pattern.sub(as_digits, t)
    # a number restated in brackets is one number, as formal writing has it: "eight (8) months"
    t = re.sub(r"\b(\d+(?:\.\d+)?) ?\((\1)\)", r"\1", t)
    t = re.sub(rf"\b(?:a|an|one|1) ({units}) and a half\b", lambda m: f"1.5 {m.group(1)}", t)
    t = re.sub(rf"\b(\d+) and a half ({units})", lambda m: f"{m.group(1)}.5 {m.group(2)}", t)
    t = re.sub(rf"\b(\d+) ({units}) and a half\b", lambda m: f"{m.group(1)}.5 {m.group(2)}", t)
    t = re.sub(rf"\bhalf (?:a|an) ({units})", r"0.5 \1", t)
    for word, value in words.numbers.counts.items():  # "a couple dozen": "a couple" first, then "2 dozen"
        t = re.sub(rf"\ba {re.escape(word)}(?: of)?\b", str(value), t)
    for word, value in words.numbers.counts.items():
        t = re.sub(rf"\b(\d+) {re.escape(word)}\b", lambda m, v=value: str(int(m.group(1)) * v), t)
    t = re.sub(rf"\b(?:a|an|one) ({units})\b", r"1 \1", t)
    return re.sub(r"\s+", " ", t)


def date_span(text: str, words: QuestionWords | None = None) -> tuple[int, str] | None:
    """(days, words) between the first and last dates of a text ("admitted April 2 ... signed
    May 12" -> 40), when it gives two or more as month and day ("April 2", "2nd of April",
    "4/2"); a later date with an earlier month is read as the next year's, unless years say."""
    words = words or question_words()
    found = []
    for m in words.date_pattern.finditer(text.lower()):
        mon, day, year = _month_day_year(m.groupdict(), words)
        try:
            found.append((date(year or 2001, mon, day), bool(year), m.group(0)))
        except ValueError:
            continue
    if len(found) < 2:
        return None
    (first, y1, said1), (last, y2, said2) = found[0], found[-1]
    try:
        if y1 != y2:  # one year given: it is both dates' year
            first, last = (first, last.replace(year=first.year)) if y1 else (first.replace(year=last.year), last)
        if last < first and not (y1 and y2):
            last = last.replace(year=last.year + 1)
    except ValueError:  # February 29 in a year without one
        return None
    return (last - first).days, f"{said1} to {said2}"


def _month_day_year(g: dict, words: QuestionWords) -> tuple[int, int, int | None]:
    """Month, day and year (None when not said; "26" is 2026) of a ``date_pattern`` match's groups."""
    mon = words.month_number(g["m"] or g["m2"]) if (g["m"] or g["m2"]) else int(g["mn"])
    year = g["y"] or g["y2"] or g["yn"]
    return mon, int(g["d"] or g["d2"] or g["dn"]), (int(year) + (2000 if len(year) == 2 else 0)) if year else None


def since_span(text: str, today: date, words: QuestionWords | None = None) -> tuple[int, str] | None:
    """(days, words) from a date a span starts at to ``today``: "sober since March of last
    year", "clean date 6/14/24", "since early 2023" (a month without a day is taken at its
    middle, a year without a month at its middle, unless "early" or "late" say otherwise);
    None when there is none, or it is not in the past."""
    words = words or question_words()
    m = words.since_pattern.search(text.lower())
    if m is None:
        return None
    g = m.groupdict()
    part = words.date_parts.get(g["part"] or "", 15)
    try:
        if g["date"]:
            month, day, year = _month_day_year(g, words)
            when, year_said = date(year or today.year, month, day), year is not None
        elif g["sm"]:
            year = int(g["sy"]) if g["sy"] else today.year - 1 if g["last"] else today.year
            when, year_said = date(year, words.month_number(g["sm"]), part), bool(g["sy"] or g["last"])
        else:
            when, year_said = date(int(g["year"]), max(1, round(part * 12 / 30)), 1), True
    except ValueError:
        return None
    if when > today and not year_said:  # "since March", said in February: last March
        when = when.replace(year=when.year - 1)
    return ((today - when).days, f"{m.group(0).strip()}, to today") if when <= today else None


@dataclass(frozen=True)
class Quantity:
    kind: str
    value: float  # in the kind's unit
    unit: str
    said: str  # the words it was read from
    low: float | None = None  # the lower end, when a range was given ("10 to 15 people")


@dataclass(frozen=True)
class Kind:
    name: str
    unit: str
    units: dict
    patterns: tuple
    cues: tuple
    dates: bool = False  # the span between two dates in the question counts (unit: days)
    adds: bool = False  # "22 clients and two more" counts 24
    periods: dict | None = None  # a ratio's time words -> length ("a week": 1, "a month": 4.33)


class Quantities:
    def __init__(self, kinds: dict[str, Kind], words: QuestionWords | None = None):
        self.kinds = kinds
        self.words = words or question_words()  # read once, not on every question

    @classmethod
    def load(cls, rules_dir: Path) -> "Quantities":
        path = Path(rules_dir) / "_quantities.yml"
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}
        kinds = {}
        for name, spec in ((data or {}).get("kinds") or {}).items():
            patterns = tuple(re.compile(p.replace("{n}", _NUMBER).replace("{d}", _PER)) for p in spec["patterns"])
            kinds[name] = Kind(
                name,
                spec["unit"],
                {str(k): float(v) for k, v in (spec.get("units") or {}).items()},
                patterns,
                tuple(spec.get("cues") or ()),
                bool(spec.get("dates")),
                bool(spec.get("adds")),
                {str(k): float(v) for k, v in (spec.get("periods") or {}).items()},
            )
        words_file = Path(rules_dir) / "_words.yml"
        return cls(kinds, question_words(words_file) if words_file.is_file() else None)

    def __contains__(self, name: str) -> bool:
        return name in self.kinds

    def differ(self, thresholds, text: str, named: set[str], program: str | None) -> bool:
        """Whether the documents that may apply (``applicable``) set different figures for what
        a question that states no number asks about: the quantity its cue words name (any, if
        none). Then the answer depends on which program's rule applies. (Figures for two stages
        of one program, a candidate's and a certified worker's, are both in the rule's answer.)"""
        relevant = [th for th in applicable(thresholds, named, program) if th.stage is None]
        t = digits(text, self.words) if text else ""
        cued = {
            th.quantity
            for th in relevant
            if th.quantity in self.kinds
            and any(re.search(rf"\b{re.escape(c)}\b", t) for c in self.kinds[th.quantity].cues)
        }
        figures: dict[str, set] = {}
        for th in relevant:
            if not cued or th.quantity in cued:
                figures.setdefault(th.quantity, set()).add((th.min, th.max))
        return any(len(values) > 1 for values in figures.values())

    def find(self, kind_name: str, text: str, today: date | None = None) -> Quantity | None:
        """The quantity of this kind the text states, or None."""
        kind = self.kinds.get(kind_name)
        if kind is None or not text:
            return None
        words = self.words
        if kind.dates and (span := date_span(text, words)):
            return self._span(kind, span)
        t = digits(text, words)
        found: list[tuple[int, Quantity]] = []
        second_parts: set[int] = set()  # where "3 months" of "2 years and 3 months" starts
        additions = {a.start("a"): a for a in words.added_pattern.finditer(t) if a.group("a")} if kind.adds else {}
        ratios: set[int] = set()  # where two numbers read together start: they say more than one
        totals: set[int] = set()  # where a number that already counts what is added starts ("so 27")
        for pattern in kind.patterns:
            for m in pattern.finditer(t):
                value = _number(m.group("n"))
                if value is None:
                    continue
                if m.groupdict().get("u"):
                    unit = m.group("u")
                    if _singular(unit, words) not in kind.units:
                        continue
                    rest, at = self._rest(kind, t, m.end())
                    value = value * factor_of(m, kind, words) + rest
                    second_parts.add(at)
                said = m.group(0).strip()
                if m.groupdict().get("d"):  # "60 hours worked ... 3 hours of supervision": 20 to 1
                    value = self._ratio(kind, m, value)
                    if value is None:
                        continue
                    said = f"{m.group('n')} and {m.group('d')}, {value:g} {kind.unit} to 1"
                    ratios.add(m.start())
                for added in self._added(t, m) if kind.adds else ():
                    value += float(added.group("a") or added.group("b"))
                    said = f"{said} and {added.group(0)}"
                before = t[max(0, m.start() - 20) : m.start()]
                above, below = words.more_than_pattern.search(before), words.less_than_pattern.search(before)
                above = above or (words.reached_pattern.search(before) and words.going_on_pattern.search(t))
                below = below or m.groupdict().get("soon")  # "turning 19": not 19 yet
                value *= 1 + 0.01 * (bool(above) - bool(below))
                low = None
                if m.start() not in ratios and (r := _RANGE_FROM.search(t, max(0, m.start("n") - 25), m.start("n"))):
                    low = float(r.group("a") or r.group("b")) * factor_of(m, kind, words)
                    low, said = (round(low, 3), f"{r.group(0)}{said}") if low < value else (None, said)
                if m.groupdict().get("total") is not None:
                    totals.add(m.start())
                found.append((m.start(), Quantity(kind.name, round(value, 3), kind.unit, said, low)))
        found = [f for f in found if f[0] not in second_parts]
        found = [f for f in found if f[0] in ratios] or found
        found = self._with_earlier_additions(found, additions, totals)
        if not found:  # "sober since March of last year": from then to today
            span = kind.dates and since_span(text, today or date.today(), words)
            return self._span(kind, span) if span else None
        if len(found) > 1 and kind.cues:
            cue_at = [m.start() for c in kind.cues for m in re.finditer(rf"\b{re.escape(c)}", t)]
            if cue_at:
                found.sort(key=lambda f: min(abs(f[0] - c) for c in cue_at))
        return found[0][1]

    def _ratio(self, kind: Kind, m: re.Match, value: float) -> float | None:
        """``value`` divided by the match's ``d``, both over the same time ("20 hours a week ... 1
        hour a month": 86.6 to 1); None when ``d`` is zero."""
        per = float(m.group("d"))
        if not per:
            return None
        g, periods = m.groupdict(), kind.periods or {}
        n_time = periods.get(_singular(g.get("np") or "", self.words))
        d_time = periods.get(_singular(g.get("dp") or "", self.words))
        if n_time and d_time:
            value *= d_time / n_time
        return round(value / per, 3)

    @staticmethod
    def _span(kind: Kind, span: tuple[int, str]) -> Quantity:
        days, said = span
        return Quantity(kind.name, round(days * kind.units.get("day", 1.0), 3), kind.unit, said)

    def _added(self, t: str, m: re.Match) -> list[re.Match]:
        """Numbers added after a match, within the next sentence or so ("416 units ... about 8
        more units"; "24 on my list ... pick up three ... plus two transfers"), but not one whose
        unit is a time unit the match was not in ("3 more weeks" adds nothing to "22 clients")."""
        found = self.words.added_pattern.finditer(t, m.end(), m.end() + _ADDED_WITHIN)
        units = self.words.time_unit_pattern
        return [a for a in found if not (re.fullmatch(units, a.group("w") or "") and a.group("w") not in m.group(0))]

    def _with_earlier_additions(self, found: list, additions: dict[int, re.Match], totals: set[int]) -> list:
        """The stated numbers, each with the added ones ("pick up three families") that come
        before it within ``_ADDED_WITHIN`` characters and after no other stated number (those
        were added to that one); an added number is not itself the quantity while another is
        stated ("can I pick up 3 families? I have 24 on my list": 27)."""
        stated = [(at, q) for at, q in found if at not in additions]
        if not additions or not stated:
            return found
        first = min(at for at, _ in stated)
        units = self.words.time_unit_pattern  # "another 2 years" adds nothing to 24 clients
        out = []
        for at, q in stated:
            if at in totals:
                out.append((at, q))
                continue
            earlier = [
                a
                for s, a in additions.items()
                if max(at - _ADDED_WITHIN, 0) <= s < first and not re.fullmatch(units, a.group("w") or "")
            ]
            for a in earlier:
                q = replace(q, value=round(q.value + float(a.group("a")), 3), said=f"{q.said} and {a.group(0)}")
            out.append((at, q))
        return out

    def _rest(self, kind: Kind, t: str, at: int) -> tuple[float, int]:
        """The second part of a duration in two ("2 years and 3 months") that follows ``at``, in
        the kind's unit, and where it starts (0 and -1 when none follows): the duration is read
        whole, not as its last part."""
        m = _REST.match(t, at)
        unit = _singular(m.group(2), self.words) if m else None
        if unit not in kind.units:
            return 0.0, -1
        return float(m.group(1)) * kind.units[unit], m.start(1)


def applicable(thresholds, named: set[str], program: str | None, stage: str | None = None) -> list:
    """The thresholds of the documents the question names, else those of the asker's
    program (every one when the program is not said); of those set for a stage of a
    program, only the stage's the question names (every one when it names none)."""
    chosen = [t for t in thresholds if t.source in named] or [
        t for t in thresholds if program is None or t.applies_to in (program, "both")
    ]
    return [t for t in chosen if stage is None or t.stage in (None, stage)]


def factor_of(m: re.Match, kind: Kind, words: QuestionWords) -> float:
    """The unit factor of a match (1 when the pattern has no unit group)."""
    unit = m.groupdict().get("u")
    if not unit:
        return 1.0
    return kind.units.get(_singular(unit, words), 1.0)


def _singular(unit: str, words: QuestionWords) -> str:
    return unit[:-1] if unit in words.plural_abbreviations else unit.rstrip("s")


def _number(raw: str) -> float | None:
    if raw in ("once", "one time"):
        return 1.0
    if raw == "other":
        return 2.0
    try:
        return float(raw)
    except ValueError:
        return None
