"""Greeting, menu, cancel and fallback."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, AllSlotsReset, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.common import current_staff
from actions.policy import reply_with_answer
from actions.review import outcome_messages


class ActionGreet(Action):
    """A personal greeting (the menu follows as utter_menu in the rules)."""

    def name(self) -> str:
        return "action_greet"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        staff = current_staff(tracker)
        if staff is not None:
            dispatcher.utter_message(text=f"Hi {staff.name.split()[0]}.")
            for line in outcome_messages(staff.id):
                dispatcher.utter_message(text=line, phi=True)  # may quote the reviewer's comment
        else:
            dispatcher.utter_message(
                text="Hi. Your chat account isn't linked to a staff record yet, so I can answer "
                "policy questions but can't save notes or plans. Ask your admin for an invite code."
            )
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
        dispatcher.utter_message(text="Sorry, I didn't quite get that.")
        dispatcher.utter_message(response="utter_menu")
        return [UserUtteranceReverted()]
