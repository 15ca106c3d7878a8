"""Checking a progress note in chat: paste, see the flags, then submit, revise or discard.

Note text is health information: it goes straight to PeerScope's tables; slots only
hold the note id, and replies that quote the note carry ``phi=True`` so the tracker
store redacts them (addons/tracker_store.py).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import current_staff, latest_text, message_inside_loop, payload, staff_row
from bot.store import notes as note_repo
from bot.store import session_scope
from bot.store.access import AccessDenied, NotFound
from bot.textlimits import MAX_MESSAGE_CHARS

CATEGORY_LABELS = {
    "diagnosis": "Diagnosis",
    "medication": "Medication advice",
    "errands": "Errands / tasks for them",
    "transport": "Transportation",
    "legal": "Legal advice",
    "possessions": "Holding belongings",
    "gifts": "Gifts and money",
    "relationship": "Dual relationship",
    "risk": "Risk of harm",
}
NOT_LINKED = "I can only check and save notes for staff with a linked account. " "Ask your admin for an invite code."
PROMPTS = {
    "new": 'Paste your progress-note draft. I\'ll check it for anything out of scope (type "cancel" to stop).',
    "append": "Paste the next part of the note; I'll add it to what you sent and check the whole note again.",
    "replace": "Paste the revised note; it replaces the earlier draft.",
}


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


def flag_summary(number: int, flag: Any, text: str) -> str:
    excerpt = text[flag.start : flag.end].strip()
    if len(excerpt) > 160:
        excerpt = excerpt[:157] + "..."
    return f'{number}. {CATEGORY_LABELS.get(flag.category, flag.category)}: "{excerpt}"'


def risk_about(text: str) -> str:
    """Whom a note's risk is about (self, client, unknown), for the risk alert the note
    raises. Never raises: the alert goes out as "unknown" if this fails."""
    try:
        from bot.notes.risk import risk_in

        finding = risk_in(text)
    except Exception:
        return "unknown"
    return finding.about if finding else "unknown"


def note_mode(tracker: Tracker) -> str:
    """What the message that opened the note form asks for: a new note, more text for the
    open draft, or a replacement of it."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    has_draft = tracker.get_slot("note_id") is not None
    return {"note_add": "append", "note_revise": "replace"}.get(intent, "new") if has_draft else "new"


class ActionAskNoteReceived(Action):
    """Asks for the note when the form opens (Rasa also runs it after a message the form did
    not take, e.g. one too long to check, which has said why already: then it says nothing)."""

    def name(self) -> str:
        return "action_ask_note_received"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        if not message_inside_loop(tracker, "note_form"):
            dispatcher.utter_message(text=PROMPTS[tracker.get_slot("note_mode") or "new"])
        return []


class ValidateNoteForm(FormValidationAction):
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
        if not message_inside_loop(tracker, "note_form"):
            return {}  # the message that opened the form is not the note
        text = latest_text(tracker)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if not text.strip() or (intent == "cancel" and len(text) < 40):
            return {}
        staff = current_staff(tracker)
        if staff is None:
            dispatcher.utter_message(text=NOT_LINKED)
            return {"note_received": False, "note_id": 0.0}  # ends the form; nothing was stored
        mode = tracker.get_slot("note_mode") or "new"
        note_id = tracker.get_slot("note_id")
        with session_scope() as session:
            author = staff_row(session, staff)
            if mode == "new" or note_id is None:
                full_text, target = text, None
            else:
                existing = note_repo.own_draft(session, author, int(note_id))
                full_text = f"{existing.text}\n{text}" if mode == "append" else text
                target = existing.id
            if len(full_text) > MAX_MESSAGE_CHARS:
                dispatcher.utter_message(
                    text=f"That note is too long to check ({len(full_text):,} characters; "
                    f"the limit is {MAX_MESSAGE_CHARS:,}). Please split it."
                )
                return {"note_received": None}
            from bot.notes import get_checker  # loads spaCy on first use, not at import

            flags = [f.to_dict() for f in get_checker().check(full_text)]
            about = risk_about(full_text) if note_repo.has_risk(flags) else None
            note = note_repo.save_draft(session, author, full_text, flags, note_id=target, risk_about=about)
            return {"note_received": True, "note_id": float(note.id)}

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
        with session_scope() as session:
            note = note_repo.read(session, staff_row(session, staff), int(note_id))
            flags = list(note.flags)
            if not flags:
                dispatcher.utter_message(
                    text=f"Note #{note.id}: nothing out of scope found. You can submit it as it is.",
                    buttons=note_buttons(0),
                )
            else:
                lines = [f"Note #{note.id}: {len(flags)} passage(s) may be out of scope:"]
                lines += [flag_summary(n, f, note.text) for n, f in enumerate(flags, 1)]
                if any(f.category == "risk" for f in flags):
                    lines.append(
                        "⚠️ This note describes a risk of harm: tell your supervisor now. "
                        "988 Suicide & Crisis Lifeline: call or text 988. I've recorded a risk "
                        "alert for your supervisor (only that it happened and when, not the note's words)."
                    )
                lines.append("Tap a flag for the policy and a way to rewrite it.")
                dispatcher.utter_message(text="\n".join(lines), buttons=note_buttons(len(flags)), phi=True)
            dispatcher.utter_message(
                json_message=payload(
                    "note_flags",
                    note_id=note.id,
                    flags=[{"category": f.category, "start": f.start, "end": f.end} for f in flags],
                )
            )
        return [SlotSet("note_received", None)]


class ActionNoteDetails(Action):
    def name(self) -> str:
        return "action_note_details"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        staff = current_staff(tracker)
        note_id = tracker.get_slot("note_id")
        number = int(tracker.get_slot("flag_number") or 1)
        if staff is None or note_id is None:
            dispatcher.utter_message(text="Check a note first, then ask for the details of a flag.")
            return []
        with session_scope() as session:
            note = note_repo.read(session, staff_row(session, staff), int(note_id))
            if not 1 <= number <= len(note.flags):
                dispatcher.utter_message(text=f"Note #{note.id} has {len(note.flags)} flag(s).")
                return []
            flag = note.flags[number - 1]
            lines = [flag_summary(number, flag, note.text), f"Why: {flag.reason}"]
            lines += [f"Policy ({c['source']}, {c['section']}): \"{c['quote']}\"" for c in flag.citations]
            lines.append(f"In scope, you could write: {flag.suggestion}")
        dispatcher.utter_message(text="\n".join(lines), phi=True)
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
        dispatcher.utter_message(text='There is no note draft open. Type "check my note" to start one.')
        return []
    try:
        with session_scope() as session:
            author = staff_row(session, staff)
            if submit:
                note = note_repo.submit(session, author, int(note_id))
                if note.flags:
                    text = f"Note #{note.id} was sent to your supervisor's review queue."
                else:
                    text = f"Note #{note.id} was submitted clean: no flags."
            else:
                note_repo.discard(session, author, int(note_id))
                text = "Draft discarded; its text was erased."
    except (note_repo.NoteError, NotFound, AccessDenied) as exc:
        text = str(exc)
    dispatcher.utter_message(text=text)
    return [SlotSet("note_id", None), SlotSet("note_mode", None)]
