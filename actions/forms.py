"""One validation base class for the forms that take a whole message as free text: the
progress note, the reviewer's comment and the WRSP interview's answers."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import latest_intent, latest_text, message_inside_loop


class FreeTextFormValidation(FormValidationAction, ABC):
    """A form whose slot is filled by the user's whole message, in an ``extract_<slot>``
    method that calls :meth:`free_text` and then one service function.

    - The message that opened the form is not an answer, and neither is an empty one or a
      short one NLU reads as one of ``command_intents`` (the rules handle "cancel"), unless
      :meth:`is_own_command` says the form handles that word itself.
    - Repeated failures, as in Rasa's financial-demo: :meth:`failed` counts consecutive
      failed answers in ``failure_slot`` and, from the ``max_failures``-th on, adds the
      explanation of what the form needs to the error; :meth:`succeeded` resets the count.
    - ``carried_slots``: other slots the extraction may set (the form's own bookkeeping,
      such as the interview's current question); validation keeps them, where
      FormValidationAction would drop every slot that is not a required slot of the form.
    """

    command_intents: tuple[str, ...] = ("cancel",)
    command_length = 40  # a longer message is an answer, whatever NLU thinks it is
    failure_slot: str | None = None
    max_failures = 2
    carried_slots: tuple[str, ...] = ()

    @abstractmethod
    def name(self) -> str:
        """validate_<form name>. Abstract, so the action server does not register this base
        class as an action of its own (rasa_sdk skips abstract Action subclasses)."""

    def is_own_command(self, text: str) -> bool:
        """Whether ``text`` is a command the form itself handles (none by default)."""
        return False

    def free_text(self, tracker: Tracker) -> str | None:
        """The latest message as the answer to this form, or None when it is not one."""
        if not message_inside_loop(tracker, self.form_name()):
            return None  # the message that opened the form
        text = latest_text(tracker)
        stripped = text.strip()
        if not stripped:
            return None
        if (
            latest_intent(tracker) in self.command_intents
            and len(stripped) < self.command_length
            and not self.is_own_command(stripped)
        ):
            return None
        return text

    def failures(self, tracker: Tracker) -> int:
        return int(tracker.get_slot(self.failure_slot) or 0) if self.failure_slot else 0

    def failed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, error: str, explanation: str | None = None
    ) -> dict[str, Any]:
        """Say what was wrong (with ``explanation`` after repeated failures); the slots to set."""
        count = self.failures(tracker) + 1
        if count >= self.max_failures and explanation:
            error = f"{error}\n{explanation}"
        dispatcher.utter_message(text=error)
        return {self.failure_slot: float(count)} if self.failure_slot else {}

    def succeeded(self) -> dict[str, Any]:
        return {self.failure_slot: 0.0} if self.failure_slot else {}

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        events = await super().get_validation_events(dispatcher, tracker, domain)
        validated = {event["name"] for event in events}
        carried = tracker.slots_to_validate()
        return events + [
            SlotSet(name, value)
            for name, value in carried.items()
            if name in self.carried_slots and name not in validated
        ]
