"""The supervisor's review queue in chat, and telling authors what happened to their notes
(bot/review/service.py)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import current_staff, require_supervisor
from actions.forms import FreeTextFormValidation
from bot.review import service
from bot.review.service import outcome_messages  # noqa: F401  (the review API, re-exported)

NOT_A_SUPERVISOR = {"response": "utter_review_not_supervisor"}


def decision_buttons(flag_count: int) -> list[dict[str, str]]:
    buttons = [
        {
            "title": f"{word.capitalize()} {n}",
            "payload": f'/flag_decide{{"flag_number": "{n}", "decision": "{word}"}}',
        }
        for n in range(1, flag_count + 1)
        for word in ("confirm", "dismiss")
    ]
    return buttons + [
        {"title": "Approve note", "payload": "/note_approve"},
        {"title": "Return with a comment", "payload": "/note_return"},
    ]


class ActionReviewQueue(Action):
    def name(self) -> str:
        return "action_review_queue"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        staff = require_supervisor(tracker, dispatcher, **NOT_A_SUPERVISOR)
        if staff is None:
            return []
        queue = service.queue(staff.id)
        if not queue.note_ids:
            dispatcher.utter_message(response="utter_review_queue_empty")
        else:
            buttons = [{"title": f"Open #{n}", "payload": f'/review_open{{"note_id": "{n}"}}'} for n in queue.note_ids]
            dispatcher.utter_message(text=queue.text, buttons=buttons[:10])
        return [SlotSet("review_note_id", None)]


class ActionReviewOpen(Action):
    """Open a note by id: its author, their supervisor and admins may; anyone else is
    refused, and the attempt is in the audit log. Decision buttons only for a reviewer."""

    def name(self) -> str:
        return "action_review_open"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        staff = current_staff(tracker)
        note_id = tracker.get_slot("review_note_id")
        if staff is None:
            dispatcher.utter_message(**NOT_A_SUPERVISOR)
            return []
        if note_id is None:
            dispatcher.utter_message(response="utter_which_note")
            return []
        try:
            note = service.open_note(staff.id, int(note_id), reviewer=staff.is_supervisor)
        except service.ERRORS as exc:
            dispatcher.utter_message(text=str(exc))
            return [SlotSet("review_note_id", None)]
        buttons = decision_buttons(note.flag_count) if note.can_decide else []
        dispatcher.utter_message(text=note.text, buttons=buttons, phi=True)
        return []


class ActionFlagDecide(Action):
    def name(self) -> str:
        return "action_flag_decide"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        staff = require_supervisor(tracker, dispatcher, **NOT_A_SUPERVISOR)
        note_id, number = tracker.get_slot("review_note_id"), tracker.get_slot("flag_number")
        if staff is None:
            return []
        if note_id is None or number is None:
            dispatcher.utter_message(response="utter_open_a_note_first")
            return []
        confirm = (tracker.get_slot("decision") or "confirm").lower().startswith("confirm")
        try:
            service.decide_flag(staff.id, int(note_id), int(number), confirm)
        except service.ERRORS as exc:
            dispatcher.utter_message(text=str(exc))
            return []
        response = "utter_flag_confirmed" if confirm else "utter_flag_dismissed"
        dispatcher.utter_message(response=response, flag_number_shown=int(number))
        return [SlotSet("flag_number", None), SlotSet("decision", None)]


class ActionNoteApprove(Action):
    def name(self) -> str:
        return "action_note_approve"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        staff = require_supervisor(tracker, dispatcher, **NOT_A_SUPERVISOR)
        note_id = tracker.get_slot("review_note_id")
        if staff is None:
            return []
        if note_id is None:
            dispatcher.utter_message(response="utter_open_a_note_first")
            return []
        try:
            service.approve(staff.id, int(note_id))
        except service.ERRORS as exc:
            dispatcher.utter_message(text=str(exc))
            return []
        dispatcher.utter_message(response="utter_note_approved", note_number=int(note_id))
        return [SlotSet("review_note_id", None)]


class ActionAskReviewComment(Action):
    def name(self) -> str:
        return "action_ask_review_comment_done"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        dispatcher.utter_message(response="utter_ask_review_comment")
        return []


class ValidateReviewCommentForm(FreeTextFormValidation):
    """Takes the supervisor's comment and returns the note with it (the comment is stored, not slotted)."""

    def name(self) -> str:
        return "validate_review_comment_form"

    async def extract_review_comment_done(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        comment = self.free_text(tracker)
        if comment is None:
            return {}
        note_id = tracker.get_slot("review_note_id")
        staff = require_supervisor(tracker, dispatcher)
        if staff is None or note_id is None:
            dispatcher.utter_message(response="utter_open_a_note_first")
            return {"review_comment_done": True}
        try:
            service.return_note(staff.id, int(note_id), comment.strip())
        except service.ERRORS as exc:
            dispatcher.utter_message(text=str(exc))
            return {"review_comment_done": True}
        dispatcher.utter_message(response="utter_note_returned", note_number=int(note_id))
        return {"review_comment_done": True}

    async def validate_review_comment_done(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        return {"review_comment_done": value}
