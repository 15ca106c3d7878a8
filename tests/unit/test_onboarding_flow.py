"""The onboarding state machine, answer parsing and scoring, without a database."""

from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.onboarding import flow
from bot.onboarding.content import load_onboarding
from bot.store.onboarding import Attempt, ModuleProgress, Progress

NOW = datetime(2024, 5, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def content():
    return load_onboarding()


def _read_all(content, upto: int | None = None) -> dict:
    modules = content.modules if upto is None else content.modules[:upto]
    return {m.id: ModuleProgress(m.id, len(m.messages), NOW) for m in modules}


def _attempt(id_, answers, score=None, total=None, passed=None, finished=False):
    return Attempt(id_, answers, score, total, passed, NOW, NOW if finished else None)


def test_fresh_start_is_the_first_message(content):
    step = flow.next_step(content, Progress(1))
    assert isinstance(step, flow.MessageStep)
    assert (step.module.id, step.index, step.module_number) == (content.modules[0].id, 0, 1)


def test_resume_mid_module_and_move_to_next_module(content):
    first, second = content.modules[0], content.modules[1]
    step = flow.next_step(content, Progress(1, {first.id: ModuleProgress(first.id, 1, None)}))
    assert (step.module.id, step.index) == (first.id, 1)
    step = flow.next_step(content, Progress(1, _read_all(content, 1)))
    assert (step.module.id, step.index, step.module_number) == (second.id, 0, 2)


def test_quiz_after_modules_then_done_when_passed(content):
    step = flow.next_step(content, Progress(1, _read_all(content)))
    assert isinstance(step, flow.QuizIntro) and not step.retake and step.pass_mark == 80
    failed = _attempt(1, {}, 3, 20, False, finished=True)
    step = flow.next_step(content, Progress(1, _read_all(content), (failed,)))
    assert isinstance(step, flow.QuizIntro) and step.retake and step.last == failed
    passed = _attempt(2, {}, 19, 20, True, finished=True)
    step = flow.next_step(content, Progress(1, _read_all(content), (failed, passed)))
    assert isinstance(step, flow.Done) and step.best == passed


def test_open_attempt_comes_first_and_resumes_at_first_unanswered(content):
    q = content.quiz.questions
    attempt = _attempt(7, {q[0].id: "a", q[1].id: "b"})
    step = flow.next_step(content, Progress(1, {}, (attempt,)))
    assert isinstance(step, flow.QuestionStep)
    assert (step.attempt_id, step.question.id, step.number, step.total) == (7, q[2].id, 3, len(q))
    complete = _attempt(7, {x.id: "a" for x in q})
    assert isinstance(flow.next_step(content, Progress(1, {}, (complete,))), flow.ScoreDue)


def test_scoring_and_pass_mark(content):
    quiz = content.quiz
    right = {q.id: q.correct.id for q in quiz.questions}
    res = flow.score(quiz, right)
    assert (res.score, res.total, res.passed, res.wrong) == (len(quiz.questions), len(quiz.questions), True, ())
    wrong_one = next(o for o in quiz.questions[0].options if not o.correct)
    res = flow.score(quiz, {**right, quiz.questions[0].id: wrong_one.id, quiz.questions[1].id: "z"})
    assert res.score == len(quiz.questions) - 2
    assert [(w.question.id, w.chosen) for w in res.wrong] == [
        (quiz.questions[0].id, wrong_one),
        (quiz.questions[1].id, None),
    ]
    assert res.wrong[0].correct == quiz.questions[0].correct and res.wrong[0].citations
    assert flow.passes(12, 15, 80) and not flow.passes(11, 15, 80) and not flow.passes(0, 0, 80)
    assert flow.passes(16, 20, 80) and not flow.passes(15, 20, 80)


def test_status_counts_modules_and_best_attempt(content):
    attempts = (_attempt(1, {}, 10, 20, False, True), _attempt(2, {}, 15, 20, False, True), _attempt(3, {}))
    first = content.modules[0]
    st_ = flow.status(content, Progress(5, {first.id: ModuleProgress(first.id, len(first.messages), NOW)}, attempts))
    assert st_.modules_done == 1 and not st_.complete
    assert (st_.quiz.attempts, st_.quiz.best_score, st_.quiz.in_progress, st_.quiz.passed) == (2, 15, True, False)
    assert st_.to_dict()["quiz"]["best_percent"] == 75


@pytest.mark.parametrize(
    "text,expected",
    [
        ("b", "b"),
        ("B", "b"),
        (" b) ", "b"),
        ("(b)", "b"),
        ("option B", "b"),
        ("2", "b"),
        ("2.", "b"),
        ("21", "b"),
        ("21!", "b"),
        ("18", "a"),
        ("z", None),
        ("9", None),
        ("", None),
        ("maybe", None),
    ],
)
def test_parse_choice(content, text, expected):
    question = content.quiz.question("minimum-age")
    assert flow.parse_choice(question, text) == expected


def test_parse_choice_by_label(content):
    question = content.quiz.question("stop-medication-before-school")
    assert flow.parse_choice(question, question.correct.label.upper() + "  ") == question.correct.id


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.none(), st.integers(), st.binary()))
def test_parse_choice_never_raises(text):
    content = load_onboarding()
    for question in content.quiz.questions[:3]:
        result = flow.parse_choice(question, text)
        assert result is None or question.option(result) is not None
