"""Onboarding for one staff member: the API the chat adapters call.

Each function takes an open session (call it inside ``bot.store.session_scope()``,
one scope per chat turn, so every step and every answer is committed as soon as it
is handled) and the acting :class:`~bot.store.models.Staff`; the ``*_for`` functions at
the end do that for a chat turn, given the staff id. They return steps and
results from :mod:`bot.onboarding.flow`; none of them returns or logs health data.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.onboarding import flow
from bot.onboarding.content import Onboarding, Option, Question, load_onboarding
from bot.store import onboarding as repo
from bot.store import session_scope
from bot.store.models import Staff


def _content(content: Onboarding | None) -> Onboarding:
    return content or load_onboarding()


def _settle(session: Session, member: Staff, content: Onboarding) -> tuple[flow.Step, flow.QuizResult | None]:
    """The next step, first scoring an attempt whose questions are all answered."""
    step = flow.next_step(content, repo.get_progress(session, member.id))
    result = None
    if isinstance(step, flow.ScoreDue):
        result = _finish(session, member, content, step.attempt_id)
        step = flow.next_step(content, repo.get_progress(session, member.id))
    return step, result


def _finish(session: Session, member: Staff, content: Onboarding, attempt_id: int) -> flow.QuizResult:
    attempt = next(a for a in repo.get_progress(session, member.id).attempts if a.id == attempt_id)
    result = flow.score(content.quiz, attempt.answers)
    repo.finish_attempt(session, member.id, attempt_id, result.score, result.total, result.passed)
    return result


def current(session: Session, member: Staff, content: Onboarding | None = None) -> flow.Step:
    """Where the member is: the step to show for "start" or "continue onboarding"."""
    return _settle(session, member, _content(content))[0]


def advance(
    session: Session, member: Staff, at: tuple[str, int] | None = None, content: Onboarding | None = None
) -> flow.Step:
    """Mark the current module message as read (saved) and return the next step.

    ``at`` = (module id, message index) of the message the member is answering "next" to;
    when given and it is not the current message (a repeated button press, an old
    message), nothing is recorded and the current step is returned. Outside the modules
    (quiz, done) this records nothing."""
    content = _content(content)
    step = current(session, member, content)
    if not isinstance(step, flow.MessageStep):
        return step
    if at is not None and tuple(at) != (step.module.id, step.index):
        return step
    repo.record_step(session, member.id, step.module.id, step.index + 1, completed=step.last_in_module)
    return current(session, member, content)


def start_quiz(session: Session, member: Staff, content: Onboarding | None = None) -> flow.QuestionStep:
    """Start the quiz (or a retake; resumes an attempt already open) and return its next question."""
    content = _content(content)
    attempt = repo.start_attempt(session, member.id)
    step = flow.next_question(content.quiz, attempt)
    if isinstance(step, flow.ScoreDue):  # an old open attempt was already complete
        _finish(session, member, content, attempt.id)
        step = flow.next_question(content.quiz, repo.start_attempt(session, member.id))
    return step


@dataclass(frozen=True)
class AnswerOutcome:
    recorded: bool  # False: the text named no option, or no question was open
    question: Question | None  # the question the text was taken as an answer to
    chosen: Option | None
    next: flow.Step  # what to show now (the same question when not recorded)
    result: flow.QuizResult | None = None  # set when this answer finished the attempt


def answer(
    session: Session, member: Staff, text: object, question_id: str | None = None, content: Onboarding | None = None
) -> AnswerOutcome:
    """Take ``text`` as the answer to the open question. The answer is saved at once; the
    last answer scores the attempt. Never raises for any text: an answer naming no
    option is not recorded and the same question comes back. ``question_id`` (from a
    button payload) guards against answering a question that is no longer current."""
    content = _content(content)
    step, _ = _settle(session, member, content)
    if not isinstance(step, flow.QuestionStep):
        return AnswerOutcome(False, None, None, step)
    question = step.question
    if question_id is not None and question_id != question.id:
        return AnswerOutcome(False, None, None, step)
    option_id = flow.parse_choice(question, text)
    if option_id is None:
        return AnswerOutcome(False, question, None, step)
    repo.record_answer(session, member.id, step.attempt_id, question.id, option_id)
    nxt = flow.next_question(
        content.quiz, next(a for a in repo.get_progress(session, member.id).attempts if a.id == step.attempt_id)
    )
    result = None
    if isinstance(nxt, flow.ScoreDue):
        result = _finish(session, member, content, step.attempt_id)
        nxt = flow.next_step(content, repo.get_progress(session, member.id))
    return AnswerOutcome(True, question, question.option(option_id), nxt, result)


def last_result(session: Session, member: Staff, content: Onboarding | None = None) -> flow.QuizResult | None:
    """The member's latest finished attempt, scored with its wrong answers explained."""
    finished = [a for a in repo.get_progress(session, member.id).attempts if a.finished]
    return flow.score(_content(content).quiz, finished[-1].answers) if finished else None


def status(
    session: Session, actor: Staff, staff_id: int | None = None, content: Onboarding | None = None
) -> flow.Status:
    """A member's status: the actor's own, or (supervisors, admins) a supervisee's.
    Access-checked and audited; raises bot.store.access.AccessDenied / NotFound."""
    owner, progress = repo.progress_for(session, actor, actor.id if staff_id is None else staff_id)
    return flow.status(_content(content), progress, owner.name)


def team_status(session: Session, actor: Staff, content: Onboarding | None = None) -> list[flow.Status]:
    """Every supervisee's status for a supervisor (all peers for an admin). Audited;
    raises AccessDenied for anyone else."""
    content = _content(content)
    team = repo.supervisee_progress(session, actor)
    return [flow.status(content, progress, member.name) for member, progress in team]


# One chat turn each: a session of its own, committed when the turn is handled.


def continue_for(staff_id: int, at: str | None = None) -> flow.Step:
    """ "Next" (``at`` = "module|index" from the button) or "continue onboarding" (no ``at``)."""
    with session_scope() as session:
        member = session.get(Staff, staff_id)
        if at and "|" in at:
            module, _, index = at.rpartition("|")
            return advance(session, member, at=(module, int(index)) if index.isdigit() else None)
        return current(session, member)


def start_quiz_for(staff_id: int) -> flow.QuestionStep:
    with session_scope() as session:
        return start_quiz(session, session.get(Staff, staff_id))


def answer_for(staff_id: int, text: object, question_id: str | None = None) -> AnswerOutcome:
    with session_scope() as session:
        return answer(session, session.get(Staff, staff_id), text, question_id=question_id)


def status_for(staff_id: int) -> tuple[bool, list[flow.Status]]:
    """(is a team view, statuses): a supervisor's or admin's team, or a peer's own status.
    Raises AccessDenied / NotFound like :func:`status`."""
    with session_scope() as session:
        member = session.get(Staff, staff_id)
        if member.role.value in ("supervisor", "admin"):
            return True, team_status(session, member)
        return False, [status(session, member)]
