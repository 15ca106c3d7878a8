"""Greeting, menu, cancel and fallback."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, AllSlotsReset, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.common import current_staff
from actions.policy import reply_with_answer
from bot.review.service import outcome_messages


class ActionGreet(Action):
    """A personal greeting (the menu follows as utter_menu in the rules)."""

    def name(self) -> str:
        return "action_greet"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        staff = current_staff(tracker)
        if staff is not None:
            dispatcher.utter_message(response="utter_greet_staff", first_name=staff.first_name)
            for line in outcome_messages(staff.id):
                dispatcher.utter_message(text=line, phi=True)  # may quote the reviewer's comment
        else:
            dispatcher.utter_message(response="utter_greet_unlinked")
        return []


class ActionCancel(Action):
    def name(self) -> str:
        return "action_cancel"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        return [ActiveLoop(None), AllSlotsReset()]


class ActionDefaultFallback(Action):
    """When NLU is unsure: a question may still be one the policies answer; otherwise show the menu."""

    def name(self) -> str:
        return "action_default_fallback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        if reply_with_answer(dispatcher, tracker, only_if_grounded=True):
            return []
        dispatcher.utter_message(response="utter_not_understood")
        dispatcher.utter_message(response="utter_menu")
        return [UserUtteranceReverted()]
