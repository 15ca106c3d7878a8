"""Where a WRSP interview stands, computed from the stored answers alone.

An :class:`Interview` is built from the schema and a plan's answers (field id ->
stored value) plus the fields skipped in this conversation. It is immutable and
knows nothing about Rasa or the database: the adapter rebuilds it after every
saved answer, so resuming after a restart is just "load the answers again".

    iv = Interview(schema, answers, skipped={"areas"})
    step = iv.next_step()            # first unanswered, not skipped
    iv.previous_step(step.field)     # "go back"
    iv.find_fields("change the triggers answer")
    iv.progress().summary()          # "5 of 20 answered; next: triggers"
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date
from typing import Any, Iterable, Mapping

from bot.wrsp import validators as v
from bot.wrsp.schema import Question, Schema, goal_field, load_schema
from bot.wrsp.words import chat_words


@dataclass(frozen=True)
class Step:
    """One question as asked in this plan: ``field`` is where its answer is stored."""

    field: str
    question: Question
    goal: int | None = None  # 1-based goal number for per-goal questions
    value: Any = None  # the stored answer, None when unanswered

    @property
    def answered(self) -> bool:
        return self.value is not None

    @property
    def type(self) -> str:
        return self.question.type

    @property
    def required(self) -> bool:
        return self.question.required

    @property
    def label(self) -> str:
        """A short name for summaries: "triggers", "goal 2", "goal 2 target date"."""
        if not self.goal:
            return self.question.label
        if self.question.id == "goal":
            return f"goal {self.goal}"
        if self.question.repeat and self.question.id == "another":
            return f"add a goal after goal {self.goal}"
        return f"goal {self.goal} {self.question.label}"

    @property
    def prompt(self) -> str:
        return self._fill(self.question.ask)

    @property
    def help(self) -> str:
        return self._fill(self.question.help)

    def _fill(self, text: str) -> str:
        n = self.goal or 1
        return text.replace("{n}", str(n)).replace("{next}", str(n + 1))


@dataclass(frozen=True)
class Progress:
    answered: int
    total: int
    next: Step | None
    skipped: tuple[Step, ...] = ()
    missing_required: tuple[Step, ...] = dc_field(default=())

    @property
    def complete(self) -> bool:
        """Every required question answered: the plan can be completed."""
        return not self.missing_required

    def summary(self) -> str:
        text = f"{self.answered} of {self.total} answered"
        if self.next:
            text += f"; next: {self.next.label}"
        if self.skipped:
            text += "; skipped for now: " + ", ".join(s.label for s in self.skipped)
        if not self.next and not self.skipped:
            text += "; every required question is answered" if self.complete else ""
        return text


class Interview:
    def __init__(self, schema: Schema | None, answers: Mapping[str, Any], skipped: Iterable[str] = ()):
        self.schema = schema or load_schema()
        self.answers = dict(answers)
        self.skipped = frozenset(skipped)
        self._steps = tuple(self._walk())

    # --- the sequence -----------------------------------------------------------------------

    def _applies(self, q: Question, prefix: str = "") -> bool:
        if q.ask_if is None:
            return True
        other, wanted = q.ask_if
        return self.answers.get(prefix + other) == wanted

    def _walk(self) -> Iterable[Step]:
        for section in self.schema.sections:
            rep = section.repeat
            if rep is None:
                for q in section.questions:
                    if self._applies(q):
                        yield Step(q.id, q, None, self.answers.get(q.id))
                continue
            n = 1
            while True:
                prefix = f"{rep.key}.{n}."
                for q in section.questions:
                    if self._applies(q, prefix):
                        yield Step(prefix + q.id, q, n, self.answers.get(prefix + q.id))
                if n >= rep.max:
                    break
                another = goal_field(rep.key, n, rep.another.id)
                yield Step(another, rep.another, n, self.answers.get(another))
                if self.answers.get(another) is not True:
                    break
                n += 1

    def steps(self) -> tuple[Step, ...]:
        """Every question that applies to this plan as answered so far, in interview order."""
        return self._steps

    def step(self, field: str) -> Step | None:
        return next((s for s in self._steps if s.field == field), None)

    @property
    def goals(self) -> int:
        """How many goals the plan has (started) so far."""
        return max((s.goal for s in self._steps if s.goal), default=0)

    # --- navigation -------------------------------------------------------------------------

    def next_step(self) -> Step | None:
        """The first unanswered question not skipped in this conversation (None: nothing left
        but skipped questions, see ``progress().skipped``)."""
        return next((s for s in self._steps if not s.answered and s.field not in self.skipped), None)

    def previous_step(self, current: str | None) -> Step | None:
        """The question before ``current`` ("go back"); from the end of the interview
        (``current`` None or unknown), the last question."""
        fields = [s.field for s in self._steps]
        if current in fields:
            i = fields.index(current)
            return self._steps[i - 1] if i > 0 else None
        return self._steps[-1] if self._steps else None

    def skip(self, field: str) -> "Interview":
        """The same interview with ``field`` skipped for now (keep the set in the conversation)."""
        return Interview(self.schema, self.answers, self.skipped | {field})

    def with_answer(self, field: str, value: Any) -> "Interview":
        answers = dict(self.answers)
        answers[field] = value
        return Interview(self.schema, answers, self.skipped - {field})

    def progress(self) -> Progress:
        answered = sum(1 for s in self._steps if s.answered)
        skipped = tuple(s for s in self._steps if not s.answered and s.field in self.skipped)
        missing = tuple(s for s in self._steps if s.required and not s.answered)
        return Progress(answered, len(self._steps), self.next_step(), skipped, missing)

    def missing_required(self) -> list[Step]:
        return list(self.progress().missing_required)

    # --- answers ----------------------------------------------------------------------------

    def validate(self, field: str, text: Any, today: date) -> v.Validated:
        """Check one message as the answer to ``field`` (the value to store, or an error)."""
        step = self.step(field)
        if step is None:
            return v.Validated(None, "That question isn't part of this plan right now.")
        return validate_answer(step.question, text, today)

    # --- "change the triggers answer" -------------------------------------------------------

    def find_fields(self, text: str) -> list[Step]:
        """The question(s) a peer names: [] none, [one] found, several = ask which (e.g. the
        target date when there are two goals and no goal number was given)."""
        said = _words(text)
        goal_no = _goal_number(said)
        said = " ".join(chat_words().goal_number.sub(" goal ", said).split())
        best: list[tuple[float, Question]] = []
        for q in _unique(s.question for s in self._steps):
            score = _name_score(said, q)
            if score:
                best.append((score, q))
        if not best:
            return []
        top = max(score for score, _ in best)
        wanted = [q for score, q in best if score == top]
        out = []
        for q in wanted:
            matches = [s for s in self._steps if s.question is q]
            if q.repeat and goal_no is not None:
                matches = [s for s in matches if s.goal == goal_no]
            out.extend(matches)
        return out


def validate_answer(question: Question, text: Any, today: date) -> v.Validated:
    """Dispatch to the validator for the question's type and checks."""
    if question.check == "client_ref":
        return v.validate_client_ref(text)
    if question.type == "list":
        return v.validate_list(text, allow_none=question.allow_none)
    if question.type == "date":
        return v.validate_date(text, today=today, rule=question.dates)
    if question.type == "yes_no":
        return v.validate_yes_no(text, yes_words=question.yes_words, no_words=question.no_words)
    if question.type == "choice":
        return v.validate_choice(text, question.choices)
    return v.validate_text(text)


# --- field lookup helpers -------------------------------------------------------------------

# the filler and ordinal words are data: knowledge/wrsp/chat_words.yml (bot/wrsp/words.py)


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9#]+", v.clean(text).lower().replace("'", "")))


def _goal_number(said: str) -> int | None:
    words = chat_words()
    match = words.goal_number.search(said)
    if not match:
        return None
    return int(match.group(1)) if match.group(1) else words.ordinals[match.group(2)]


def _unique(items: Iterable[Question]) -> list[Question]:
    out: list[Question] = []
    for item in items:
        if all(item is not o for o in out):
            out.append(item)
    return out


def _name_score(said: str, q: Question) -> float:
    """How well ``said`` names question ``q``: a whole-phrase hit scores 100 plus the phrase
    length (longer, more specific names win); otherwise a close spelling of the remaining
    words ("trigers") scores its similarity when it is 85 or more."""
    from rapidfuzz import fuzz

    padded = f" {said} "
    names = {_words(n) for n in q.names} - {""}
    hits = [len(n) for n in names if f" {n} " in padded]
    if hits:
        return 100.0 + max(hits)
    filler = chat_words().filler_set
    rest = " ".join(w for w in said.split() if w not in filler and not w.isdigit())
    if not rest:
        return 0.0
    score = max(fuzz.ratio(rest, n) for n in names)
    return score if score >= 85 else 0.0
