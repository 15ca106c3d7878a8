"""Onboarding for new family peer supporters: lessons, the scenario quiz, and status.

Every step and answer is saved in PeerScope's tables as it happens (one session per
turn), so leaving and coming back, or a server restart, resumes at the same step.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import current_staff, staff_row
from bot.onboarding import flow, render, service
from bot.store import session_scope
from bot.store.access import AccessDenied, NotFound

NOT_LINKED = "Onboarding is saved per person, so it needs a linked staff account. Ask your admin for an invite code."


def _entity(tracker: Tracker, name: str) -> str | None:
    return next(tracker.get_latest_entity_values(name), None)


def show_step(dispatcher: CollectingDispatcher, step: flow.Step) -> None:
    if isinstance(step, flow.MessageStep):
        text = render.message(step)
        if step.citations:
            text += "\n\n" + "\n".join(f"— {render.citation(c)}" for c in step.citations)
        at = f"{step.module.id}|{step.index}"
        dispatcher.utter_message(
            text=text, buttons=[{"title": "Next", "payload": f'/onboarding_next{{"onb_at": "{at}"}}'}]
        )
    elif isinstance(step, flow.QuizIntro):
        lead = "Ready to try the quiz again?" if step.retake else "You've read every module."
        dispatcher.utter_message(
            text=f"{lead} The scenario quiz has {step.question_count} questions; the pass mark is "
            f"{step.pass_mark}%, as for the toolkit's training exam.",
            buttons=[{"title": "Start the quiz", "payload": "/onboarding_quiz"}],
        )
    elif isinstance(step, flow.QuestionStep):
        q = step.question
        dispatcher.utter_message(
            text=render.question(step),
            buttons=[
                {
                    "title": f"{o.id}) {o.label}",
                    "payload": f'/onboarding_answer{{"quiz_question": "{q.id}", "quiz_option": "{o.id}"}}',
                }
                for o in q.options
            ],
        )
    else:  # Done
        dispatcher.utter_message(
            text="You've finished onboarding and passed the quiz. " 'Type "onboarding status" to see your record.'
        )


class _OnboardingMixin:
    """Loads the member, runs ``act`` in one database session (so every step is saved),
    and refuses unlinked accounts. A mixin, not an Action: rasa_sdk registers every
    Action subclass by name."""

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        staff = current_staff(tracker)
        if staff is None:
            dispatcher.utter_message(text=NOT_LINKED)
            return []
        with session_scope() as session:
            self.act(dispatcher, tracker, session, staff_row(session, staff))
        return []


class ActionOnboardingContinue(_OnboardingMixin, Action):
    def name(self) -> str:
        return "action_onboarding_continue"

    def act(self, dispatcher, tracker, session, member):
        at = _entity(tracker, "onb_at")
        if at and "|" in at:
            module, _, index = at.rpartition("|")
            step = service.advance(session, member, at=(module, int(index)) if index.isdigit() else None)
        else:
            step = service.current(session, member)
        show_step(dispatcher, step)


class ActionOnboardingQuiz(_OnboardingMixin, Action):
    def name(self) -> str:
        return "action_onboarding_quiz"

    def act(self, dispatcher, tracker, session, member):
        show_step(dispatcher, service.start_quiz(session, member))


class ActionOnboardingAnswer(_OnboardingMixin, Action):
    def name(self) -> str:
        return "action_onboarding_answer"

    def act(self, dispatcher, tracker, session, member):
        outcome = service.answer(
            session, member, _entity(tracker, "quiz_option") or "", question_id=_entity(tracker, "quiz_question")
        )
        if outcome.result is not None:
            dispatcher.utter_message(text=render.result(outcome.result))
            if not outcome.result.passed:
                dispatcher.utter_message(
                    text="You can retake it whenever you're ready.",
                    buttons=[{"title": "Retake the quiz", "payload": "/onboarding_quiz"}],
                )
            return
        if not outcome.recorded:
            dispatcher.utter_message(text="Please pick one of the options for this question.")
        show_step(dispatcher, outcome.next)


class ActionOnboardingStatus(_OnboardingMixin, Action):
    def name(self) -> str:
        return "action_onboarding_status"

    def act(self, dispatcher, tracker, session, member):
        try:
            if member.role.value in ("supervisor", "admin"):
                team = service.team_status(session, member)
                text = "\n\n".join(render.status(s) for s in team) or "None of your supervisees has started yet."
            else:
                text = render.status(service.status(session, member))
        except (AccessDenied, NotFound) as exc:
            text = str(exc)
        dispatcher.utter_message(text=text)
