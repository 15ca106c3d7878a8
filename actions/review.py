"""The supervisor's review queue in chat, and telling authors what happened to their notes."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import current_staff, latest_text, message_inside_loop, staff_row
from actions.notes import flag_summary
from bot.store import notes as note_repo
from bot.store import session_scope
from bot.store.access import AccessDenied, NotFound
from bot.store.models import Staff

NOT_A_SUPERVISOR = "The review queue is for supervisors. Your own notes' outcomes appear when you say hi."


def _when(moment) -> str:
    return f"{moment:%a %d %b}" if moment else "an earlier day"


def outcome_messages(staff_id: int) -> list[str]:
    """One line per decided note the author has not seen yet (they are then marked seen)."""
    with session_scope() as session:
        author = session.get(Staff, staff_id)
        lines = []
        for note in note_repo.take_unseen_outcomes(session, author):
            when = _when(note.submitted_at)
            if note.status.value == "approved":
                lines.append(f"Your note #{note.id} from {when} was approved.")
            else:
                lines.append(f"Your note #{note.id} from {when} was returned: {note.review_comment}")
        return lines


def _reviewer(tracker: Tracker, dispatcher: CollectingDispatcher):
    staff = current_staff(tracker)
    if staff is None or not staff.is_supervisor:
        dispatcher.utter_message(text=NOT_A_SUPERVISOR)
        return None
    return staff


class ActionReviewQueue(Action):
    def name(self) -> str:
        return "action_review_queue"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        staff = _reviewer(tracker, dispatcher)
        if staff is None:
            return []
        with session_scope() as session:
            items = note_repo.review_queue(session, staff_row(session, staff))
        if not items:
            dispatcher.utter_message(text="Your review queue is empty.")
            return [SlotSet("review_note_id", None)]
        lines = [f"{len(items)} note(s) waiting, oldest first:"]
        buttons = []
        for item in items:
            lines.append(
                f"#{item.note_id} from {item.author_name}, submitted {_when(item.submitted_at)}: "
                f"{item.flags} flag(s), {item.open_flags} not yet reviewed"
            )
            buttons.append(
                {"title": f"Open #{item.note_id}", "payload": f'/review_open{{"note_id": "{item.note_id}"}}'}
            )
        dispatcher.utter_message(text="\n".join(lines), buttons=buttons[:10])
        return [SlotSet("review_note_id", None)]


def _show_note(dispatcher: CollectingDispatcher, reader_id: int, note_id: int, can_decide: bool) -> None:
    """The note with its flags, for anyone the access check lets read it (the read is
    audited, and so is a refusal); decision buttons only for a reviewer."""
    with session_scope() as session:
        note = note_repo.read(session, session.get(Staff, reader_id), note_id)
        lines = [f"Note #{note.id} by {note.author.name}:", note.text, "", "Flags:"]
        for n, flag in enumerate(note.flags, 1):
            lines.append(f"{flag_summary(n, flag, note.text)} [{flag.status.value}]")
            lines.append(f"   Why: {flag.reason}")
        flag_count = len(note.flags)
        can_decide = can_decide and note.author_id != reader_id
    buttons = []
    if can_decide:
        for n in range(1, flag_count + 1):
            buttons += [
                {
                    "title": f"{word.capitalize()} {n}",
                    "payload": f'/flag_decide{{"flag_number": "{n}", "decision": "{word}"}}',
                }
                for word in ("confirm", "dismiss")
            ]
        buttons += [
            {"title": "Approve note", "payload": "/note_approve"},
            {"title": "Return with a comment", "payload": "/note_return"},
        ]
    dispatcher.utter_message(text="\n".join(lines), buttons=buttons, phi=True)


class ActionReviewOpen(Action):
    """Open a note by id: its author, their supervisor and admins may; anyone else is
    refused, and the attempt is in the audit log."""

    def name(self) -> str:
        return "action_review_open"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        staff = current_staff(tracker)
        note_id = tracker.get_slot("review_note_id")
        if staff is None:
            dispatcher.utter_message(text=NOT_A_SUPERVISOR)
            return []
        if note_id is None:
            dispatcher.utter_message(text='Which note? Say "review queue" to see the list.')
            return []
        try:
            _show_note(dispatcher, staff.id, int(note_id), can_decide=staff.is_supervisor)
        except (NotFound, AccessDenied) as exc:
            dispatcher.utter_message(text=str(exc))
            return [SlotSet("review_note_id", None)]
        return []


class ActionFlagDecide(Action):
    def name(self) -> str:
        return "action_flag_decide"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        staff = _reviewer(tracker, dispatcher)
        note_id, number = tracker.get_slot("review_note_id"), tracker.get_slot("flag_number")
        if staff is None:
            return []
        if note_id is None or number is None:
            dispatcher.utter_message(text="Open a note from the review queue first.")
            return []
        confirm = (tracker.get_slot("decision") or "confirm").lower().startswith("confirm")
        try:
            with session_scope() as session:
                note_repo.decide_flag(session, staff_row(session, staff), int(note_id), int(number), confirm)
        except (note_repo.NoteError, NotFound, AccessDenied) as exc:
            dispatcher.utter_message(text=str(exc))
            return []
        word = "confirmed" if confirm else "dismissed (kept as a false-positive example)"
        dispatcher.utter_message(text=f"Flag {int(number)} {word}. Approve the note or return it when you're done.")
        return [SlotSet("flag_number", None), SlotSet("decision", None)]


class ActionNoteApprove(Action):
    def name(self) -> str:
        return "action_note_approve"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        staff = _reviewer(tracker, dispatcher)
        note_id = tracker.get_slot("review_note_id")
        if staff is None:
            return []
        if note_id is None:
            dispatcher.utter_message(text="Open a note from the review queue first.")
            return []
        try:
            with session_scope() as session:
                note_repo.decide_note(session, staff_row(session, staff), int(note_id), approve=True)
        except (note_repo.NoteError, NotFound, AccessDenied) as exc:
            dispatcher.utter_message(text=str(exc))
            return []
        dispatcher.utter_message(text=f"Note #{int(note_id)} approved; the author will see it next time they chat.")
        return [SlotSet("review_note_id", None)]


class ActionAskReviewComment(Action):
    def name(self) -> str:
        return "action_ask_review_comment_done"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        dispatcher.utter_message(
            text="What should the author change? Your comment goes to them with the "
            'returned note (or type "cancel").'
        )
        return []


class ValidateReviewCommentForm(FormValidationAction):
    """Takes the supervisor's comment and returns the note with it (the comment is stored, not slotted)."""

    def name(self) -> str:
        return "validate_review_comment_form"

    async def extract_review_comment_done(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        if not message_inside_loop(tracker, "review_comment_form"):
            return {}
        comment = latest_text(tracker).strip()
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if not comment or (intent == "cancel" and len(comment) < 40):
            return {}
        staff = current_staff(tracker)
        note_id = tracker.get_slot("review_note_id")
        if staff is None or not staff.is_supervisor or note_id is None:
            dispatcher.utter_message(text="Open a note from the review queue first.")
            return {"review_comment_done": True}
        try:
            with session_scope() as session:
                note_repo.decide_note(session, staff_row(session, staff), int(note_id), approve=False, comment=comment)
        except (note_repo.NoteError, NotFound, AccessDenied) as exc:
            dispatcher.utter_message(text=str(exc))
            return {"review_comment_done": True}
        dispatcher.utter_message(text=f"Note #{int(note_id)} returned with your comment.")
        return {"review_comment_done": True}

    async def validate_review_comment_done(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        return {"review_comment_done": value}
