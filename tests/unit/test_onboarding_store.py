"""Onboarding in the store: resume after reload, quiz attempts, and who may see whose status."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot import cli
from bot.onboarding import flow, service
from bot.onboarding.content import load_onboarding
from bot.store import access, session_scope, staff
from bot.store import onboarding as repo
from bot.store.models import AuditLog, QuizAttempt
from tests.acting import as_argv


@pytest.fixture
def team(db_url):
    with session_scope() as s:
        boss = staff.add(s, "Dana Boss", role="supervisor")
        other_boss = staff.add(s, "Eli Other", role="supervisor")
        peer = staff.add(s, "Pat Peer", program="family", supervisor_id=boss.id)
        peer2 = staff.add(s, "Quinn Peer", program="family", supervisor_id=boss.id)
        outsider = staff.add(s, "Rae Elsewhere", program="family", supervisor_id=other_boss.id)
        admin = staff.add(s, "Ada Admin", role="admin")
        return {
            "boss": boss.id,
            "other_boss": other_boss.id,
            "peer": peer.id,
            "peer2": peer2.id,
            "outsider": outsider.id,
            "admin": admin.id,
        }


@pytest.fixture(scope="module")
def content():
    return load_onboarding()


def turn(staff_id, fn, *args, **kwargs):
    """One chat turn: its own session, committed at the end (as the adapter will do)."""
    with session_scope() as s:
        return fn(s, access.actor(s, staff_id), *args, **kwargs)


def _audit(action: str) -> list[tuple[int, str]]:
    with session_scope() as s:
        return [(a.actor_id, a.outcome) for a in s.scalars(select(AuditLog).where(AuditLog.action == action))]


def _read_modules(staff_id, content) -> flow.Step:
    step = turn(staff_id, service.current)
    for _ in range(sum(len(m.messages) for m in content.modules)):
        assert isinstance(step, flow.MessageStep)
        step = turn(staff_id, service.advance, (step.module.id, step.index))
    return step


def _take_quiz(staff_id, content, wrong: set[str] = frozenset()) -> service.AnswerOutcome:
    step = turn(staff_id, service.start_quiz)
    outcome = None
    while isinstance(step, flow.QuestionStep):
        q = step.question
        option = next(o for o in q.options if o.correct != (q.id in wrong))
        outcome = turn(staff_id, service.answer, option.label if q.id in wrong else option.id, q.id)
        assert outcome.recorded and outcome.chosen == option
        step = outcome.next
    return outcome


def test_steps_are_saved_and_resume_after_reload(team, content):
    peer = team["peer"]
    first = turn(peer, service.current)
    assert (first.module.id, first.index) == (content.modules[0].id, 0)
    second = turn(peer, service.advance, (first.module.id, first.index))
    assert second.index == 1
    # "continue onboarding" later, in a new session: the same message, nothing skipped
    again = turn(peer, service.current)
    assert (again.module.id, again.index) == (second.module.id, second.index)
    # a repeated "next" on the old message does not skip ahead
    assert turn(peer, service.advance, (first.module.id, first.index)).index == 1
    # finishing a module records completion and moves on to the next module
    step = again
    while step.module.id == content.modules[0].id:
        step = turn(peer, service.advance, (step.module.id, step.index))
    assert (step.module.id, step.index) == (content.modules[1].id, 0)
    with session_scope() as s:
        progress = repo.get_progress(s, peer)
    row = progress.modules[content.modules[0].id]
    assert row.step == len(content.modules[0].messages) and row.completed_at is not None
    assert progress.step(content.modules[1].id) == 0


def test_quiz_answers_are_saved_immediately_and_resume(team, content):
    peer = team["peer"]
    q1 = turn(peer, service.start_quiz)
    assert q1.number == 1
    outcome = turn(peer, service.answer, "b")
    assert outcome.recorded and outcome.next.number == 2
    with session_scope() as s:
        attempt = s.get(QuizAttempt, q1.attempt_id)
        assert attempt.answers == {q1.question.id: "b"} and attempt.finished_at is None
    # resuming (continue onboarding, or start_quiz again) gives question 2 of the same attempt
    assert turn(peer, service.current).question.id == content.quiz.questions[1].id
    resumed = turn(peer, service.start_quiz)
    assert (resumed.attempt_id, resumed.number) == (q1.attempt_id, 2)
    # an answer for a question that is no longer current (a double press) is ignored
    stale = turn(peer, service.answer, "a", q1.question.id)
    assert not stale.recorded and stale.next.number == 2


def test_full_pass(team, content):
    peer = team["peer"]
    assert isinstance(_read_modules(peer, content), flow.QuizIntro)
    outcome = _take_quiz(peer, content)
    res = outcome.result
    assert (res.score, res.total, res.passed, res.wrong) == (len(content.quiz.questions),) * 2 + (True, ())
    assert isinstance(outcome.next, flow.Done)
    st_ = turn(peer, service.status)
    assert st_.complete and st_.modules_done == len(content.modules)
    assert (st_.quiz.attempts, st_.quiz.best_score, st_.quiz.passed) == (1, res.total, True)
    assert [o for _, o in _audit("onboarding.quiz_finish")] == ["ok"]


def test_fail_explains_wrong_answers_then_retake_passes(team, content):
    peer = team["peer"]
    _read_modules(peer, content)
    wrong = {q.id for q in content.quiz.questions[:5]}
    outcome = _take_quiz(peer, content, wrong)
    res = outcome.result
    assert not res.passed and res.score == len(content.quiz.questions) - 5
    assert {w.question.id for w in res.wrong} == wrong
    for w in res.wrong:
        assert w.chosen is not None and not w.chosen.correct and w.correct.correct
        assert w.explanation and w.citations
    assert isinstance(outcome.next, flow.QuizIntro) and outcome.next.retake
    assert turn(peer, service.last_result).wrong == res.wrong

    retake = _take_quiz(peer, content)
    assert retake.result.passed
    with session_scope() as s:
        attempts = repo.get_progress(s, peer).attempts
    assert [(a.score, a.passed) for a in attempts] == [(res.score, False), (res.total, True)]
    st_ = turn(peer, service.status)
    assert (st_.quiz.attempts, st_.quiz.best_score, st_.quiz.passed) == (2, res.total, True)


def test_supervisor_sees_both_supervisees(team, content):
    _read_modules(team["peer"], content)
    _take_quiz(team["peer"], content, {content.quiz.questions[0].id})
    turn(team["peer2"], service.advance)
    statuses = {s.staff_id: s for s in turn(team["boss"], service.team_status)}
    assert set(statuses) == {team["peer"], team["peer2"]}
    pat, quinn = statuses[team["peer"]], statuses[team["peer2"]]
    assert pat.modules_done == len(content.modules) and pat.quiz.passed
    assert pat.quiz.best_score == len(content.quiz.questions) - 1
    assert quinn.modules_done == 0 and quinn.modules[0].read == 1 and quinn.quiz.attempts == 0
    assert turn(team["boss"], service.status, team["peer2"]).modules[0].read == 1
    assert (team["boss"], "ok") in _audit("onboarding.team")
    assert {s.staff_id for s in turn(team["admin"], service.team_status)} == {
        team["peer"],
        team["peer2"],
        team["outsider"],
    }


def test_peer_cannot_see_another_peers_status(team):
    with pytest.raises(access.AccessDenied):
        turn(team["peer"], service.status, team["peer2"])
    with pytest.raises(access.AccessDenied):
        turn(team["other_boss"], service.status, team["peer"])
    with pytest.raises(access.AccessDenied):
        turn(team["peer"], service.team_status)
    denied = sorted(a for a, outcome in _audit("onboarding.read") if outcome == "denied")
    assert denied == sorted([team["peer"], team["other_boss"]])
    assert _audit("onboarding.team") == [(team["peer"], "denied")]
    with pytest.raises(access.NotFound):
        turn(team["boss"], service.status, 9999)


def _cli(monkeypatch, capsys, *argv) -> tuple[int, str, str]:
    modules = cli.FEATURE_MODULES
    if "bot.onboarding.commands" not in modules:
        monkeypatch.setattr(cli, "FEATURE_MODULES", modules + ("bot.onboarding.commands",))
    code = cli.main(as_argv(list(argv)))  # the command acts as the OS login: point it at --as
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_status(team, content, monkeypatch, capsys):
    turn(team["peer"], service.advance)
    code, out, _ = _cli(monkeypatch, capsys, "onboarding", "status", "--as", str(team["boss"]))
    assert code == 0 and "Pat Peer" in out and "Quinn Peer" in out and "Rae" not in out
    assert f"0/{len(content.modules)} modules done" in out
    code, out, _ = _cli(monkeypatch, capsys, "onboarding", "status", "--as", str(team["peer"]), "--json")
    data = json.loads(out)
    assert code == 0 and [d["staff_id"] for d in data] == [team["peer"]]
    assert data[0]["modules"][0]["read"] == 1 and data[0]["quiz"]["attempts"] == 0
    code, out, err = _cli(
        monkeypatch, capsys, "onboarding", "status", "--as", str(team["peer"]), "--staff", str(team["peer2"])
    )
    assert code == 3 and not out and "don't have access" in err
    code = cli.main(["onboarding", "status", "--as", "9999"])  # not who the login is (the peer)
    assert code == 3 and f"is staff #{team['peer']}" in capsys.readouterr().err
    code, out, _ = _cli(monkeypatch, capsys, "onboarding", "status", "--as", str(team["other_boss"]))
    assert code == 0 and "Rae Elsewhere" in out


_TEXT = st.one_of(st.text(max_size=200), st.sampled_from(["a", "B)", "2", "", " ", "\x00", "🙂", "option z"]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(_TEXT, min_size=1, max_size=4))
def test_answering_arbitrary_text_never_raises(team, texts):
    peer = team["peer"]
    turn(peer, service.start_quiz)
    for text in texts:
        outcome = turn(peer, service.answer, text)
        # after the last answer of an attempt: the result, then lessons not yet read (the quiz
        # may be started before them), the quiz again, or done
        assert isinstance(outcome.next, (flow.QuestionStep, flow.QuizIntro, flow.Done, flow.MessageStep))
        if not outcome.recorded:
            assert outcome.chosen is None
    # arbitrary text outside a quiz is harmless too
    turn(team["peer2"], service.answer, texts[0])


def test_racing_first_step_does_not_fail(team, monkeypatch):
    """Two turns creating the same progress row at once: the loser reuses the winner's row."""
    peer = team["peer"]
    with session_scope() as s:
        real_scalar, calls = s.scalar, []

        def scalar_missing_once(statement, *args, **kwargs):
            calls.append(1)
            if len(calls) == 1:  # this turn's first look finds nothing; then another turn wins the insert
                with session_scope() as other:
                    repo.record_step(other, peer, "what-is-fps", 2, completed=False)
                return None
            return real_scalar(statement, *args, **kwargs)

        monkeypatch.setattr(s, "scalar", scalar_missing_once)
        row = repo.record_step(s, peer, "what-is-fps", 1, completed=False)
    assert row.step == 2
    with session_scope() as s:
        assert repo.get_progress(s, peer).step("what-is-fps") == 2
