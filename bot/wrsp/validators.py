"""Pure validators for WRSP answers: text in, ``(value, error_message)`` out.

Each returns a :class:`Validated`, which unpacks as ``value, error = ...`` and also
carries a ``confirmation`` to echo back ("Target date: Monday, March 15, 2027").
``value`` is what gets stored (JSON: str, list of str, bool, ISO date string).
No validator raises on any input; a failure is an ``error`` message safe to show.
The words they read as none, done, yes, no or a record label are data:
knowledge/wrsp/chat_words.yml (bot/wrsp/words.py).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Iterable, Iterator, Sequence

from bot.wrsp.words import chat_words

MAX_TEXT = 2000
MAX_ITEMS = 30
MAX_REF = 32
_DATE_WINDOW_YEARS = 10


@dataclass(frozen=True)
class Validated:
    value: Any = None
    error: str | None = None
    confirmation: str = ""

    def __iter__(self) -> Iterator[Any]:  # value, error = validate_...(text)
        return iter((self.value, self.error))

    @property
    def ok(self) -> bool:
        return self.error is None


def _fail(message: str) -> Validated:
    return Validated(None, message)


def clean(text: Any) -> str:
    """Text with control characters removed and whitespace tidied (newlines kept)."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch if ch in "\n\t" or unicodedata.category(ch)[0] != "C" else " " for ch in text)
    lines = [" ".join(line.split()) for line in text.replace("\t", " ").split("\n")]
    return "\n".join(line for line in lines).strip()


def _plain(text: str) -> str:
    """Lower-case words only, for matching yes/no and choices."""
    return " ".join(re.findall(r"[a-z0-9]+(?:'[a-z]+)?", clean(text).lower().replace("\u2019", "'")))


# --- text ---------------------------------------------------------------------------------


def validate_text(text: Any, *, max_len: int = MAX_TEXT) -> Validated:
    value = clean(text)
    if not value:
        return _fail("I didn't get an answer there. Could you type it out?")
    if len(value) > max_len:
        return _fail(f"That is longer than {max_len} characters. Could you shorten it?")
    return Validated(value, None, value)


# --- client reference ---------------------------------------------------------------------

_VOWELS = set("aeiouy")


def looks_like_full_name(text: str) -> bool:
    """True for text that reads like a person's name ("John Doe", "mary", "Ann Lee"),
    False for initials ("J.D.", "jmd") and record numbers ("MRN 12345", "A-1042")."""
    labels = chat_words().ref_label_set  # "MRN", "client", ... (knowledge/wrsp/chat_words.yml)
    words = [w for w in re.findall(r"[^\W\d_]+", text or "") if w.lower() not in labels]
    name_like = []
    for w in words:
        if len(w) == 1:
            continue  # an initial
        if w.isupper() and (len(w) <= 3 or not _VOWELS & set(w.lower())):
            continue  # "JD", "MRN", "JMD"
        if len(w) <= 3 and not _VOWELS & set(w.lower()):
            continue  # "jd", "jmd"
        name_like.append(w)
    return len(name_like) >= 2 or any(len(w) >= 3 for w in name_like)


def validate_client_ref(text: Any) -> Validated:
    """Initials or a record number, never a full name."""
    value = " ".join(clean(text).split())
    if not value or not re.search(r"[^\W_]", value):
        return _fail("Please give the person's initials (like J.D.) or a record number.")
    if len(value) > MAX_REF:
        return _fail(f"That is longer than {MAX_REF} characters. Please use initials or a record number.")
    if looks_like_full_name(value):
        return _fail(
            "That looks like a name. To protect privacy, please use initials (like J.D.) " "or a record number instead."
        )
    return Validated(value, None, f"Plan for {value}")


def ref_key(text: str) -> str:
    """A comparison key for client references: "J. D." == "jd" == "J.D."."""
    return re.sub(r"[\W_]+", "", clean(text)).upper()


# --- lists --------------------------------------------------------------------------------

_BULLET = re.compile(r"^\s*(?:[-*\u2022\u2023\u25e6]|\d{1,2}[.)])\s+")


def split_items(text: Any) -> list[str]:
    """Items from one message: newlines, semicolons or commas separate them; bullets and
    numbering ("1.", "-", "•") are dropped; duplicates (ignoring case) are removed."""
    value = clean(text)
    parts = [p for line in value.split("\n") for p in re.split(r"[;,]", line)]
    items: list[str] = []
    seen: set[str] = set()
    for part in parts:
        item = _BULLET.sub("", part).strip(" .")
        item = re.sub(r"^(?:and|or)\s+", "", item, flags=re.I).strip()
        if item and item.lower() not in seen:
            seen.add(item.lower())
            items.append(item[:MAX_TEXT])
    return items


def is_done(text: Any) -> bool:
    """Whether a follow-up message to a list question means "no more items"."""
    return _plain(text) in chat_words().done_set


def validate_list(text: Any, *, allow_none: bool = False) -> Validated:
    if allow_none and _plain(text) in chat_words().none_set:
        return Validated([], None, "None")
    items = split_items(text)
    if not items:
        return _fail("I didn't catch any items. Separate them with commas, or send one per message.")
    if len(items) > MAX_ITEMS:
        return _fail(f"That is more than {MAX_ITEMS} items. Could you group some of them?")
    return Validated(items, None, _list_confirmation(items))


def merge_list(existing: Sequence[str] | None, text: Any) -> Validated:
    """``existing`` plus the items in ``text`` (one more message for a list question)."""
    base = [str(x) for x in existing or []]
    more = validate_list(text)
    if not more.ok:
        return more
    merged = base + [i for i in more.value if i.lower() not in {b.lower() for b in base}]
    if len(merged) > MAX_ITEMS:
        return _fail(f"That makes more than {MAX_ITEMS} items. Could you group some of them?")
    return Validated(merged, None, _list_confirmation(merged))


def _list_confirmation(items: Sequence[str]) -> str:
    return f"{len(items)} item{'s' if len(items) != 1 else ''}: " + "; ".join(items)


# --- yes / no -----------------------------------------------------------------------------


def validate_yes_no(text: Any, *, yes_words: Iterable[str] = (), no_words: Iterable[str] = ()) -> Validated:
    """True/False from yes/no and their variants ("yep", "not yet", "they refused");
    ``yes_words``/``no_words`` add a question's own phrases."""
    said = _plain(text)
    words = chat_words()  # knowledge/wrsp/chat_words.yml
    yes = words.yes_set | {_plain(w) for w in yes_words}
    no = words.no_set | {_plain(w) for w in no_words}
    if said in no:
        return Validated(False, None, "No")
    if said in yes:
        return Validated(True, None, "Yes")
    padded, said_words = f" {said} ", set(said.split())
    negative = bool(said_words & words.negator_set) or any(f" {p} " in padded for p in no)
    affirmed = bool(said_words & words.affirmer_set)
    positive = affirmed or any(f" {p} " in padded for p in yes)
    if negative and not affirmed:
        return Validated(False, None, "No")  # "he has not signed": the negation wins over "signed"
    if positive and not negative:
        return Validated(True, None, "Yes")
    return _fail("Please answer yes or no.")


# --- choices ------------------------------------------------------------------------------


def validate_choice(text: Any, choices: Sequence[Any]) -> Validated:
    """One of ``choices`` (objects with value, label, synonyms), by number, word or near-miss."""
    from rapidfuzz import fuzz

    said = _plain(text)
    options = ", ".join(c.label for c in choices)
    if not said:
        return _fail(f"Please choose one: {options}.")
    if said.isdigit() and 1 <= int(said) <= len(choices):
        chosen = choices[int(said) - 1]
        return Validated(chosen.value, None, chosen.label)
    scores = []
    for choice in choices:
        names = {_plain(n) for n in (choice.value, choice.label, *choice.synonyms)}
        exact = max((len(n) for n in names if n and f" {n} " in f" {said} "), default=0)
        fuzzy = max(fuzz.ratio(said, n) for n in names)
        scores.append((100 + exact if exact else fuzzy, choice))
    scores.sort(key=lambda s: -s[0])
    best, chosen = scores[0]
    runner_up = scores[1][0] if len(scores) > 1 else 0
    if runner_up > 100:  # named two options ("adult or family"): ask, don't guess
        best = 0
    if best >= 80 and best > runner_up:
        return Validated(chosen.value, None, chosen.label)
    return _fail(f"I couldn't tell which you meant. Please choose one: {options}.")


# --- dates --------------------------------------------------------------------------------

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@lru_cache(maxsize=4)
def _weekday_phrase(ahead: tuple[str, ...], back: tuple[str, ...]) -> re.Pattern:
    """ "next friday", "last mon": group 1 the word before the day (chat_words.yml date_next,
    date_last), group 2 the day's stem."""
    which = "|".join(re.escape(w) for w in ahead + back)
    return re.compile(r"^(?:on\s+)?(?:(" + which + r")\s+)?(mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*$")


def _weekday(said: str, today: date, prefer_future: bool) -> date | None:
    """ "next friday", "this friday", "last monday", "friday" (dateparser misses some of these)."""
    words = chat_words()
    match = _weekday_phrase(tuple(words.date_next), tuple(words.date_last)).match(said)
    if not match:
        return None
    which, stem = match.groups()
    target = next(i for i, name in enumerate(_WEEKDAYS) if name.startswith(stem[:3]))
    if which in words.date_last or (which is None and not prefer_future):
        back = (today.weekday() - target) % 7 or 7
        return today - timedelta(days=back)
    ahead = (target - today.weekday()) % 7 or 7
    return today + timedelta(days=ahead)


def parse_date(text: Any, *, today: date, prefer_future: bool = True) -> date | None:
    """A calendar date from common forms ("next friday", "3/15", "March 15 2027",
    "2027-03-15", "in 3 months"); month/day order is US (3/4 is March 4). None if unclear."""
    said = " ".join(clean(text).lower().split()).strip(" .!?")
    if not said or len(said) > 60:
        return None
    weekday = _weekday(said, today, prefer_future)
    if weekday:
        return weekday
    if said in chat_words().date_today:
        return today
    try:
        import dateparser

        parsed = dateparser.parse(
            said,
            languages=["en"],
            settings={
                "PREFER_DATES_FROM": "future" if prefer_future else "past",
                "RETURN_AS_TIMEZONE_AWARE": False,
                "RELATIVE_BASE": datetime.combine(today, time(12)),
                "DATE_ORDER": "MDY",
                "REQUIRE_PARTS": ["day", "month"],
            },
        )
    except Exception:  # dateparser is not meant to raise, but this is user text
        return None
    return parsed.date() if parsed else None


def format_date(value: date) -> str:
    """A date in words for PEERSCOPE_LOCALE ("Friday, March 15, 2027" in en_US): bot.settings.show_date."""
    from bot.settings import show_date

    return show_date(value)


def validate_date(text: Any, *, today: date, rule: str | None = None) -> Validated:
    """A date stored as ISO text. ``rule``: "future" (target dates: today or later) or
    "not_future" (admission: today or earlier)."""
    when = parse_date(text, today=today, prefer_future=rule != "not_future")
    if when is None:
        return _fail(
            "I couldn't read that as a date. Try a form like 3/15, March 15 2027, 2027-03-15 " "or next friday."
        )
    shown = format_date(when)
    if abs(when.year - today.year) > _DATE_WINDOW_YEARS:
        return _fail(f"I read that as {shown}, which seems too far off. Could you give the full date with " "the year?")
    if rule == "future" and when < today:
        return _fail(
            f"{shown} is already in the past. A target date has to be ahead of us: when do you hope " "to reach this?"
        )
    if rule == "not_future" and when > today:
        return _fail(f"{shown} is in the future, and an admission date can't be. When were services started?")
    return Validated(when.isoformat(), None, shown)
