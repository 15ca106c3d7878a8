"""Onboarding for new family peer supporters: lessons, the scenario quiz, and status.

Every step and answer is saved in PeerScope's tables as it happens (one transaction
per turn, in bot/onboarding/service.py), so leaving and coming back, or a server restart,
resumes at the same step.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import entity, require_staff
from bot.onboarding import flow, render, service
from bot.store.access import AccessDenied, NotFound

NOT_LINKED = {"response": "utter_onboarding_not_linked"}


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
        dispatcher.utter_message(
            response="utter_quiz_intro_retake" if step.retake else "utter_quiz_intro",
            question_count=step.question_count,
            pass_mark=step.pass_mark,
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
        dispatcher.utter_message(response="utter_onboarding_done")


class _OnboardingMixin:
    """Refuses unlinked accounts, then runs ``act`` with the staff member's id (each
    service call is one saved turn). A mixin, not an Action: rasa_sdk registers every
    Action subclass by name."""

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        staff = require_staff(tracker, dispatcher, **NOT_LINKED)
        if staff is not None:
            self.act(dispatcher, tracker, staff.id)
        return []


class ActionOnboardingContinue(_OnboardingMixin, Action):
    def name(self) -> str:
        return "action_onboarding_continue"

    def act(self, dispatcher, tracker, staff_id):
        show_step(dispatcher, service.continue_for(staff_id, at=entity(tracker, "onb_at")))


class ActionOnboardingQuiz(_OnboardingMixin, Action):
    def name(self) -> str:
        return "action_onboarding_quiz"

    def act(self, dispatcher, tracker, staff_id):
        show_step(dispatcher, service.start_quiz_for(staff_id))


class ActionOnboardingAnswer(_OnboardingMixin, Action):
    def name(self) -> str:
        return "action_onboarding_answer"

    def act(self, dispatcher, tracker, staff_id):
        outcome = service.answer_for(
            staff_id, entity(tracker, "quiz_option") or "", question_id=entity(tracker, "quiz_question")
        )
        if outcome.result is not None:
            dispatcher.utter_message(text=render.result(outcome.result))
            if not outcome.result.passed:
                dispatcher.utter_message(response="utter_quiz_retake")
            return
        if not outcome.recorded:
            dispatcher.utter_message(response="utter_quiz_pick_an_option")
        show_step(dispatcher, outcome.next)


class ActionOnboardingStatus(_OnboardingMixin, Action):
    def name(self) -> str:
        return "action_onboarding_status"

    def act(self, dispatcher, tracker, staff_id):
        try:
            team, statuses = service.status_for(staff_id)
        except (AccessDenied, NotFound) as exc:
            dispatcher.utter_message(text=str(exc))
            return
        if team and not statuses:
            dispatcher.utter_message(response="utter_onboarding_team_not_started")
        else:
            dispatcher.utter_message(text="\n\n".join(render.status(s) for s in statuses))
