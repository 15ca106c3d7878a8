"""Plain-text renderings of onboarding steps, results and status, for the command line,
the terminal chat and (if it likes them) the Rasa adapter."""

from __future__ import annotations

from bot.knowledge.sources import Citation
from bot.onboarding import flow


def citation(c: Citation) -> str:
    return f'{c.source}, "{c.section}": "{c.quote}"'


def message(step: flow.MessageStep) -> str:
    head = f"[{step.module.title}: {step.index + 1}/{len(step.module.messages)}]"
    return f"{head}\n{step.text}"


def question(step: flow.QuestionStep) -> str:
    options = "\n".join(f"{o.id}) {o.label}" for o in step.question.options)
    return f"Question {step.number} of {step.total}: {step.question.question}\n{options}"


def result(res: flow.QuizResult) -> str:
    verdict = "You passed" if res.passed else f"Not this time: the pass mark is {res.pass_mark}%"
    lines = [f"{verdict}. You scored {res.score} of {res.total} ({res.percent}%)."]
    for w in res.wrong:
        chosen = f'you answered "{w.chosen.label}"' if w.chosen else "not answered"
        lines += [
            "",
            f"- {w.question.question}",
            f'  {chosen}; the answer is "{w.correct.label}".',
            f"  {w.explanation}",
        ]
        lines += [f"  Source: {citation(c)}" for c in w.citations]
    return "\n".join(lines)


def status(st: flow.Status) -> str:
    who = f"#{st.staff_id} {st.name}" if st.name else f"#{st.staff_id}"
    lines = [
        f"{who}: {st.modules_done}/{len(st.modules)} modules done" f"{', onboarding complete' if st.complete else ''}"
    ]
    for m in st.modules:
        mark = "done " if m.done else "to do"
        lines.append(f"  [{mark}] {m.title} ({m.read}/{m.total})")
    q = st.quiz
    if q.attempts:
        best = f"best {q.best_score}/{q.best_total} ({flow.percent(q.best_score, q.best_total)}%)"
        lines.append(
            f"  quiz: {q.attempts} attempt(s), {best}, {'passed' if q.passed else 'not passed yet'}"
            f"{', one in progress' if q.in_progress else ''}"
        )
    else:
        lines.append(f"  quiz: {'in progress' if q.in_progress else 'not taken yet'}")
    return "\n".join(lines)
