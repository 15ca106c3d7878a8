"""The onboarding state machine, answer parsing and quiz scoring: pure functions.

Given the content and a stored :class:`~bot.store.onboarding.Progress`, :func:`next_step`
says what to show now. The order is:

1. an open quiz attempt: its first unanswered question (the member chose to start it);
2. the first module not read to the end: its next message;
3. no passed attempt yet: the quiz, ready to start (or retake);
4. otherwise: done.

Nothing here touches the database; bot/onboarding/service.py does.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Union

from bot.knowledge.sources import Citation
from bot.onboarding.content import Message, Module, Onboarding, Option, Question, Quiz

if TYPE_CHECKING:
    from bot.store.onboarding import Attempt, Progress


# ---------------------------------------------------------------- steps


@dataclass(frozen=True)
class MessageStep:
    """Message ``index`` (0-based) of ``module``; module ``module_number`` of ``module_count``."""

    module: Module
    index: int
    module_number: int
    module_count: int
    kind: str = "message"

    @property
    def message(self) -> Message:
        return self.module.messages[self.index]

    @property
    def text(self) -> str:
        return self.message.text

    @property
    def citations(self) -> list[Citation]:
        return [c.to_citation() for c in self.message.citations]

    @property
    def last_in_module(self) -> bool:
        return self.index == len(self.module.messages) - 1


@dataclass(frozen=True)
class QuizIntro:
    """All modules read, no open attempt and not passed yet: offer the quiz (a retake after a fail)."""

    question_count: int
    pass_mark: int
    last: "Attempt | None" = None
    kind: str = "quiz_intro"

    @property
    def retake(self) -> bool:
        return self.last is not None


@dataclass(frozen=True)
class QuestionStep:
    """Question ``number`` (1-based) of ``total`` in the open attempt."""

    attempt_id: int
    question: Question
    number: int
    total: int
    kind: str = "question"


@dataclass(frozen=True)
class ScoreDue:
    """An open attempt with every question answered: score it (service.finish does)."""

    attempt_id: int
    kind: str = "score_due"


@dataclass(frozen=True)
class Done:
    best: "Attempt"
    kind: str = "done"


Step = Union[MessageStep, QuizIntro, QuestionStep, ScoreDue, Done]


def next_question(quiz: Quiz, attempt: "Attempt") -> QuestionStep | ScoreDue:
    answers = attempt.answers or {}
    for number, question in enumerate(quiz.questions, 1):
        if question.id not in answers:
            return QuestionStep(attempt.id, question, number, len(quiz.questions))
    return ScoreDue(attempt.id)


def next_step(content: Onboarding, progress: "Progress") -> Step:
    """What to show now. Asking again without recording anything gives the same step,
    so "continue onboarding" resumes exactly where the member left off."""
    attempt = progress.open_attempt
    if attempt is not None:
        return next_question(content.quiz, attempt)
    for number, module in enumerate(content.modules, 1):
        index = progress.step(module.id)
        if index < len(module.messages):
            return MessageStep(module, index, number, len(content.modules))
    best = best_attempt(progress.attempts)
    if best is not None and best.passed:
        return Done(best)
    finished = [a for a in progress.attempts if a.finished]
    return QuizIntro(len(content.quiz.questions), content.quiz.pass_mark, finished[-1] if finished else None)


# ---------------------------------------------------------------- answers

_SPACE = re.compile(r"\s+")
_CHOICE = re.compile(r"^(?:option\s+|answer\s+)?\(?([a-z]|\d{1,2})\)?[.):]?$")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    return _SPACE.sub(" ", text).strip().strip(" .!?")


def parse_choice(question: Question, text: object) -> str | None:
    """The option id meant by ``text`` ("b", "B)", "2", "option b" or the label itself),
    or None when it names no option. Never raises, whatever it is given."""
    if not isinstance(text, str) or len(text) > 500:
        return None
    folded = _fold(text)
    if not folded:
        return None
    for option in question.options:  # the label first: "21" is a label, not option 21
        if _fold(option.label) == folded:
            return option.id
    match = _CHOICE.match(folded)
    if match:
        token = match.group(1)
        if token.isdigit():
            n = int(token)
            return question.options[n - 1].id if 1 <= n <= len(question.options) else None
        return token if question.option(token) else None
    return None


# ---------------------------------------------------------------- scoring


@dataclass(frozen=True)
class WrongAnswer:
    question: Question
    chosen: Option | None  # None: left unanswered
    correct: Option

    @property
    def explanation(self) -> str:
        return self.question.explanation

    @property
    def citations(self) -> list[Citation]:
        return [c.to_citation() for c in self.question.citations]


@dataclass(frozen=True)
class QuizResult:
    score: int
    total: int
    pass_mark: int
    wrong: tuple[WrongAnswer, ...]

    @property
    def passed(self) -> bool:
        return passes(self.score, self.total, self.pass_mark)

    @property
    def percent(self) -> int:
        return percent(self.score, self.total)

    def to_dict(self) -> dict:
        return {
            "score": self.score,
            "total": self.total,
            "percent": self.percent,
            "passed": self.passed,
            "pass_mark": self.pass_mark,
            "wrong": [
                {
                    "question_id": w.question.id,
                    "question": w.question.question,
                    "chosen": w.chosen.label if w.chosen else None,
                    "correct": w.correct.label,
                    "explanation": w.explanation,
                    "citations": [c.to_dict() for c in w.citations],
                }
                for w in self.wrong
            ],
        }


def passes(score: int, total: int, pass_mark: int) -> bool:
    """At least ``pass_mark`` percent, in exact integer arithmetic (12/15 is 80%)."""
    return total > 0 and score * 100 >= pass_mark * total


def percent(score: int | None, total: int | None) -> int:
    return (100 * score) // total if score is not None and total else 0


def score(quiz: Quiz, answers: Mapping[str, str]) -> QuizResult:
    """Score answers (question id -> option id) against the current questions."""
    wrong = []
    for question in quiz.questions:
        chosen = question.option((answers or {}).get(question.id))
        if chosen is None or not chosen.correct:
            wrong.append(WrongAnswer(question, chosen, question.correct))
    total = len(quiz.questions)
    return QuizResult(total - len(wrong), total, quiz.pass_mark, tuple(wrong))


# ---------------------------------------------------------------- status


def best_attempt(attempts) -> "Attempt | None":
    """The finished attempt with the highest share right (the latest one on a tie)."""
    best = None
    for a in attempts:
        if a.finished and a.total:
            if best is None or a.score * best.total >= best.score * a.total:
                best = a
    return best


@dataclass(frozen=True)
class ModuleStatus:
    id: str
    title: str
    read: int
    total: int

    @property
    def done(self) -> bool:
        return self.read >= self.total


@dataclass(frozen=True)
class QuizStatus:
    attempts: int  # finished attempts
    in_progress: bool
    best_score: int | None
    best_total: int | None
    passed: bool


@dataclass(frozen=True)
class Status:
    staff_id: int
    name: str | None
    modules: tuple[ModuleStatus, ...]
    quiz: QuizStatus
    next: str  # the kind of the next step

    @property
    def modules_done(self) -> int:
        return sum(m.done for m in self.modules)

    @property
    def complete(self) -> bool:
        return self.modules_done == len(self.modules) and self.quiz.passed

    def to_dict(self) -> dict:
        q = self.quiz
        return {
            "staff_id": self.staff_id,
            "name": self.name,
            "complete": self.complete,
            "next": self.next,
            "modules": [
                {"id": m.id, "title": m.title, "done": m.done, "read": m.read, "total": m.total} for m in self.modules
            ],
            "quiz": {
                "attempts": q.attempts,
                "in_progress": q.in_progress,
                "best_score": q.best_score,
                "best_total": q.best_total,
                "best_percent": percent(q.best_score, q.best_total) if q.best_total else None,
                "passed": q.passed,
            },
        }


def status(content: Onboarding, progress: "Progress", name: str | None = None) -> Status:
    modules = tuple(
        ModuleStatus(m.id, m.title, min(progress.step(m.id), len(m.messages)), len(m.messages)) for m in content.modules
    )
    best = best_attempt(progress.attempts)
    quiz = QuizStatus(
        attempts=sum(a.finished for a in progress.attempts),
        in_progress=progress.open_attempt is not None,
        best_score=best.score if best else None,
        best_total=best.total if best else None,
        passed=any(a.finished and a.passed for a in progress.attempts),
    )
    return Status(progress.staff_id, name, modules, quiz, next_step(content, progress).kind)
