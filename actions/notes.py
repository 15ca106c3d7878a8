"""Checking a progress note in chat: paste, see the flags, then submit, revise or discard.

Note text is health information: it goes straight to PeerScope's tables (bot/notes/service.py);
slots only hold the note id, and replies that quote the note carry ``phi=True`` so the
tracker store redacts them (addons/tracker_store.py).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import current_staff, latest_intent, message_inside_loop, payload, require_staff
from actions.forms import FreeTextFormValidation
from bot.notes import service
from bot.notes.service import CATEGORY_LABELS, flag_summary, risk_about  # noqa: F401  (the notes API, re-exported)
from bot.textlimits import MAX_MESSAGE_CHARS

PROMPTS = {"new": "utter_ask_note", "append": "utter_ask_note_append", "replace": "utter_ask_note_replace"}


def note_buttons(flag_count: int) -> list[dict[str, str]]:
    buttons = [
        {"title": f"Details on flag {n}", "payload": f'/note_details{{"flag_number": "{n}"}}'}
        for n in range(1, min(flag_count, 5) + 1)
    ]
    buttons += [
        {"title": "Submit for review", "payload": "/note_submit"},
        {"title": "Add more text", "payload": "/note_add"},
        {"title": "Revise (paste again)", "payload": "/note_revise"},
        {"title": "Discard", "payload": "/note_discard"},
    ]
    return buttons


def note_mode(tracker: Tracker) -> str:
    """What the message that opened the note form asks for: a new note, more text for the
    open draft, or a replacement of it."""
    has_draft = tracker.get_slot("note_id") is not None
    return {"note_add": "append", "note_revise": "replace"}.get(latest_intent(tracker), "new") if has_draft else "new"


class ActionAskNoteReceived(Action):
    """Asks for the note when the form opens (Rasa also runs it after a message the form did
    not take, e.g. one too long to check, which has said why already: then it says nothing)."""

    def name(self) -> str:
        return "action_ask_note_received"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        if not message_inside_loop(tracker, "note_form"):
            dispatcher.utter_message(response=PROMPTS[tracker.get_slot("note_mode") or "new"])
        return []


class ValidateNoteForm(FreeTextFormValidation):
    """Reads the pasted note. When the form opens it also sets the note mode (new, append,
    replace) and clears the last answer, so opening the form takes two action calls (this
    and the prompt) rather than four (a separate set-up action made Rasa validate twice)."""

    def name(self) -> str:
        return "validate_note_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        events = await super().run(dispatcher, tracker, domain)
        if message_inside_loop(tracker, "note_form"):
            return events
        return events + [SlotSet("note_mode", note_mode(tracker)), SlotSet("note_received", None)]

    async def extract_note_received(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        text = self.free_text(tracker)
        if text is None:
            return {}
        staff = require_staff(tracker, dispatcher, response="utter_notes_not_linked")
        if staff is None:
            return {"note_received": False, "note_id": 0.0}  # ends the form; nothing was stored
        note_id = tracker.get_slot("note_id")
        received = service.receive(staff.id, text, tracker.get_slot("note_mode") or "new", note_id)
        if received.note_id is None:
            dispatcher.utter_message(
                response="utter_note_too_long", length=f"{received.too_long:,}", limit=f"{MAX_MESSAGE_CHARS:,}"
            )
            return {"note_received": None}
        return {"note_received": True, "note_id": float(received.note_id)}

    async def validate_note_received(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        return {"note_received": value}


class ActionNoteChecked(Action):
    def name(self) -> str:
        return "action_note_checked"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        staff = current_staff(tracker)
        note_id = tracker.get_slot("note_id")
        if staff is None or not note_id or not tracker.get_slot("note_received"):
            return [SlotSet("note_received", None), SlotSet("note_id", None)]
        checked = service.checked(staff.id, int(note_id))
        if checked.text is None:
            dispatcher.utter_message(response="utter_note_clean", note_number=checked.note_id, buttons=note_buttons(0))
        else:
            dispatcher.utter_message(text=checked.text, buttons=note_buttons(checked.flag_count), phi=True)
        dispatcher.utter_message(json_message=payload("note_flags", note_id=checked.note_id, flags=checked.flags))
        return [SlotSet("note_received", None)]


class ActionNoteDetails(Action):
    def name(self) -> str:
        return "action_note_details"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        staff = current_staff(tracker)
        note_id = tracker.get_slot("note_id")
        number = int(tracker.get_slot("flag_number") or 1)
        if staff is None or note_id is None:
            dispatcher.utter_message(response="utter_no_note_for_details")
            return []
        details = service.flag_details(staff.id, int(note_id), number)
        if details.text is None:
            dispatcher.utter_message(
                response="utter_note_flag_count", note_number=details.note_id, flag_count=details.flag_count
            )
            return []
        dispatcher.utter_message(text=details.text, phi=True)
        return [SlotSet("flag_number", None)]


class ActionNoteSubmit(Action):
    def name(self) -> str:
        return "action_note_submit"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        return _finish(dispatcher, tracker, submit=True)


class ActionNoteDiscard(Action):
    def name(self) -> str:
        return "action_note_discard"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        return _finish(dispatcher, tracker, submit=False)


def _finish(dispatcher: CollectingDispatcher, tracker: Tracker, submit: bool) -> list:
    staff = current_staff(tracker)
    note_id = tracker.get_slot("note_id")
    if staff is None or note_id is None:
        dispatcher.utter_message(response="utter_no_note_open")
        return []
    try:
        if submit:
            number, flagged = service.submit(staff.id, int(note_id))
            dispatcher.utter_message(
                response="utter_note_sent_for_review" if flagged else "utter_note_submitted_clean", note_number=number
            )
        else:
            service.discard(staff.id, int(note_id))
            dispatcher.utter_message(response="utter_note_discarded")
    except service.ERRORS as exc:
        dispatcher.utter_message(text=str(exc))
    return [SlotSet("note_id", None), SlotSet("note_mode", None)]
