"""Risk-of-harm detection for any chat message, reusing the note checker.

    from bot.notes.risk import risk_in
    finding = risk_in("my client said she wants to end it all")
    if finding:                     # a RiskFinding is truthy, None means no risk
        finding.about               # "self" | "client" | "unknown"
        finding.citations           # the risk category's citations (knowledge/note_checks/risk.yml)

Detection is exactly the note checker's ``risk`` category: the same cues, rules,
negation and context handling from knowledge/note_checks, so an improvement there
improves chat detection too. Nothing here logs, stores or raises with the text.

``about`` says whose risk the message describes, using the checker's own actor
index (knowledge/note_checks/lexicon.yml): in chat, "I" is the staff member who
is writing, and the people they name ("member", "client", "she", "my son") are
the people they support or their family.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

SELF, CLIENT, UNKNOWN = "self", "client", "unknown"

logger = logging.getLogger("peerscope.risk")


@dataclass(frozen=True)
class RiskFinding:
    about: str  # self | client | unknown
    rules: tuple[str, ...]  # ids of the risk rules that fired ("model": the classifier; never text)
    citations: tuple[dict, ...]  # {"source", "section", "quote"} from risk.yml
    reason: str
    tier: str = "risk"  # risk (alert) | risk_possible (please check: no alert on its own)

    def __bool__(self) -> bool:
        return True


CRISIS_LINE = (
    "If you or someone you support may be at risk of harm: call or text 988 (Suicide & Crisis "
    "Lifeline), any time. If anyone is in immediate danger, call 911, and tell your supervisor."
)


def normalise(text: str) -> str:
    """NFKC, without format characters ("ki\u00adll" with a soft hyphen) and with control
    characters turned into spaces, so neither can hide a word."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(
        "" if unicodedata.category(ch) == "Cf" else " " if unicodedata.category(ch) == "Cc" else ch for ch in text
    )


def safe_risk_in(text: object) -> RiskFinding | None:
    """``risk_in`` for channels: a failing check logs its failure (never the text) and finds nothing."""
    try:
        return risk_in(text)
    except Exception:  # the check failing must not stop a reply; the text is never logged
        logger.error("risk check failed")
        return None


def missed_risk(sender_id: str | None, text: object) -> bool:
    """For a reply given because the assistant could not answer (a failure, a timeout, an
    action error): True when ``text`` has risk language, so the caller adds CRISIS_LINE.
    A ``risk``-tier message from a known staff member also records the alert the assistant
    would have raised (unless one was just recorded). Never raises."""
    finding = safe_risk_in(text)
    if finding is None:
        return False
    if finding.tier == "risk" and sender_id:
        try:
            from bot.store import alerts, session_scope
            from bot.store import staff as staff_repo

            with session_scope() as session:
                staff = staff_repo.from_sender(session, sender_id)
                if staff is not None:
                    alerts.raise_unless_recent(session, staff.id, finding.about)
        except Exception as exc:  # e.g. the database is down: the crisis line still goes out
            logger.error("could not record a missed risk alert (%s)", type(exc).__name__)
    return True


def risk_in(text: object, checker=None) -> RiskFinding | None:
    """The risk finding for ``text``, or None. Never raises on odd input."""
    if not isinstance(text, str) or not text.strip():
        return None
    text = normalise(text)
    if checker is None:
        from .checker import get_checker

        checker = get_checker()
    flags = [f for f in checker.check(text, risk_only=True) if f.category in TIERS]
    if not flags or only_a_date(text):  # the date parser only when the classifier spoke
        return None
    doc = checker.nlp(text)
    flags = _chat_flags(doc, flags, checker)
    if not flags:
        return None
    tier = "risk" if any(f.category == "risk" for f in flags) else "risk_possible"
    flags = [f for f in flags if f.category == tier]
    citations = tuple(flags[0].to_dict()["citations"])
    return RiskFinding(
        about=_about(doc, flags, chat_words(checker)),
        rules=tuple(sorted({f.rule for f in flags})),
        citations=citations,
        reason=flags[0].reason,
        tier=tier,
    )


TIERS = ("risk", "risk_possible")


def only_a_date(text: str) -> bool:
    """A message that is nothing but a date with digits ("March 3 2026", "3/15/27"): the answer
    to a form's date question, which holds no words that could describe harm. Read by the
    interview's own date parser, which takes a whole message or nothing ("3/15 is the day"
    is not a date), so the classifier's score on a bare date never asks to check for risk."""
    if len(text) > 40 or not any(ch.isdigit() for ch in text):
        return False
    from datetime import date

    from bot.wrsp.validators import parse_date

    return parse_date(text, today=date.today()) is not None


@dataclass(frozen=True)
class ChatWords:
    """``chat`` in knowledge/note_checks/lexicon.yml."""

    capitals_only: frozenset  # everyday words in chat that are risk cues only in capitals ("hi", "si")
    first_person: re.Pattern  # whole words: the writer
    third_person: re.Pattern  # whole words: someone the writer supports


def _whole_words(words) -> re.Pattern:
    return re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b", re.I)


@lru_cache(maxsize=4)
def _chat_words_of(data_id: int, capitals: tuple, first: tuple, third: tuple) -> ChatWords:
    return ChatWords(frozenset(w.lower() for w in capitals), _whole_words(first), _whole_words(third))


def chat_words(checker=None) -> ChatWords:
    """The chat words of ``checker``'s data (default: knowledge/note_checks)."""
    if checker is None:
        from .config import cached_data

        data = cached_data()
    else:
        data = checker.data
    chat = data.lexicon["chat"]
    return _chat_words_of(
        id(data), tuple(chat["capitals_only"]), tuple(chat["first_person"]), tuple(chat["third_person"])
    )


def _only_lowercase_abbreviations(doc, flag, capitals_only) -> bool:
    """True when every word the classifier's flag covers is one of the capitals-only
    abbreviations written in lower or title case (a one-word "si" or "hi")."""
    words = [t for t in doc if t.is_alpha and flag.start <= t.idx < flag.end]
    return bool(words) and all(t.lower_ in capitals_only and not t.text.isupper() for t in words)


def _chat_flags(doc, flags, checker=None) -> list:
    """Drop the flags raised only by one word that is not really a risk cue in chat: an
    abbreviation above written in lower or title case, or a word that is not among the
    risk cues' own words at all (a lemma-table artefact: "hello" matching "hi")."""
    try:
        from .pipeline import TARGETS

        targets = list(zip(doc.spans.get(TARGETS, []), doc._.ps_meta or []))
        words = _risk_words(checker)
        capitals_only = chat_words(checker).capitals_only
    except Exception:
        return flags
    keep = []
    for flag in flags:
        if flag.rule == "model" and _only_lowercase_abbreviations(doc, flag, capitals_only):
            continue  # "si" is Spanish for "yes"; only "SI" is suicidal ideation
        spans = [
            span
            for span, rule in targets
            if span.label_ == "risk" and rule == flag.rule and flag.start <= span.start_char < flag.end
        ]
        if spans and all(len(span) == 1 and _not_a_cue(span[0], words, capitals_only) for span in spans):
            continue
        keep.append(flag)
    return keep


def _not_a_cue(token, words: frozenset, capitals_only: frozenset) -> bool:
    low = token.text.lower()
    if low in capitals_only and not token.text.isupper():
        return True
    return bool(words) and low not in words and token.lemma_.lower() not in words


@lru_cache(maxsize=4)
def _risk_words_of(data_id: int, cues: tuple) -> frozenset:
    return frozenset(
        w.lower() for phrase in cues for part in phrase.split() for w in part.split("|") if w and w[0].isalnum()
    )


def _risk_words(checker) -> frozenset:
    """Every literal word of the risk cues (knowledge/note_checks/risk.yml)."""
    if checker is None:
        return frozenset()
    cues = checker.data.all_cues()
    phrases = tuple(p for label, ps in cues.items() if label.startswith("risk:") and label != "risk:IDIOM" for p in ps)
    return _risk_words_of(id(checker.data), phrases)


def _about(doc, flags, words: ChatWords) -> str:
    """Whose risk: the doer of each risk passage, as the note checker's actor index sees it."""
    try:
        from .pipeline import TARGETS
        from .pipeline.actor_index import CHILD, OTHER, STAFF
        from .pipeline.actor_index import CLIENT as CLIENT_ROLE

        index = doc._.ps_actors
        flagged = [(f.start, f.end) for f in flags]
        others = {CLIENT_ROLE, CHILD, OTHER}
        found: set[str] = set()
        for span in doc.spans.get(TARGETS, []):
            if span.label_ != "risk":
                continue
            if not any(s <= span.start_char < e or span.start_char <= s < span.end_char for s, e in flagged):
                continue
            sent = index.sents[index.sentence_of(span.start)]
            found.add(_whose(index, span, sent, others, STAFF))
        found.discard(UNKNOWN)
        if not found:  # a classifier flag with no cue: whom the flagged words are about
            text = " ".join(f.text for f in flags)
            found = (
                {CLIENT} if words.third_person.search(text) else {SELF} if words.first_person.search(text) else set()
            )
        if CLIENT in found:  # a client at risk needs the supervisor even if "I" appear too
            return CLIENT
        if SELF in found:
            return SELF
    except Exception:  # the actor index is a refinement; detection already happened
        pass
    return UNKNOWN


def risk_citations(checker=None) -> tuple[dict, ...]:
    """The risk category's citations (knowledge/note_checks/risk.yml), as dicts."""
    if checker is None:
        from .checker import get_checker

        checker = get_checker()
    out = []
    for c in checker.data.categories["risk"].citations:
        c = c if isinstance(c, dict) else {"source": c.source, "section": c.section, "quote": c.quote}
        out.append({"source": c["source"], "section": c["section"], "quote": c["quote"]})
    return tuple(out)


def _whose(index, span, sent, others, staff) -> str:
    """self / client / unknown for one risk passage. In order: the passage's own words
    ("kill myself" is about the writer, "kill herself" about someone else); a sentence
    where only "I" is named before the passage ("I wrote goodbye letters to my kids");
    then anyone named in the sentence ("she said she wants to die")."""
    in_span = {r for m in index.mentions_in(span.start, span.end) for r in m.roles}
    if staff in in_span:
        return SELF
    before = [m.roles for m in index.mentions_in(sent.start, span.start)]
    if before and all(staff in roles and not roles & others for roles in before):
        return SELF
    named = {r for m in index.mentions_in(sent.start, sent.end) for r in m.roles}
    if in_span & others or named & others:
        return CLIENT
    if staff in named:
        return SELF
    return UNKNOWN
