"""The WRSP interview in chat, driven by knowledge/wrsp/schema.yml.

One form (``wrsp_form``) runs the whole interview. Its validation action takes each
message as the answer to the current question (``wrsp_field``), saves it to the
database *before* the next question is asked, and handles "skip for now", "go back",
"change the triggers answer", "what does this mean?" and "pause". The ask action asks
whatever question is current, so after a crash or restart "resume my plan" continues
at the first unanswered question: the database, not the conversation, is the record.
Plan answers never go into slots; replies that repeat them are marked ``phi``. Every
read and write is a call to bot/wrsp/service.py.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import current_staff, entity, latest_text, require_staff
from actions.forms import FreeTextFormValidation
from bot.store.access import AccessDenied, NotFound
from bot.wrsp import service
from bot.wrsp import validators as v
from bot.wrsp.interview import Interview
from bot.wrsp.words import chat_words

NOT_LINKED = {"response": "utter_wrsp_not_linked"}
FIRST_FIELD = "client_ref"
INTERVIEW_SLOTS = ("wrsp_field", "wrsp_failures", "wrsp_skipped", "wrsp_adding", "wrsp_plan_id")


def _command(text: str) -> str | None:
    """pause / skip / back / help / change, or None (knowledge/wrsp/chat_words.yml)."""
    return chat_words().command(text)


def plan_id_of(tracker: Tracker) -> int | None:
    value = tracker.get_slot("wrsp_plan_id")
    return int(value) if value else None


def _goto(field: str | None, skipped: list[str] | None = None, adding: bool = False) -> list:
    events = [SlotSet("wrsp_field", field), SlotSet("wrsp_failures", 0.0), SlotSet("wrsp_answer", None)]
    if skipped is not None:
        events.append(SlotSet("wrsp_skipped", skipped))
    events.append(SlotSet("wrsp_adding", adding))
    return events


def _next_events(interview: Interview, skipped: list[str]) -> list:
    """Move on to the next question; when only skipped ones are left, return to them;
    when nothing is left, end the turn with "done"."""
    step = interview.next_step()
    if step is None and skipped:
        return _goto(skipped[0], skipped[1:])
    if step is None:
        return [SlotSet("wrsp_field", None), SlotSet("wrsp_answer", "done"), SlotSet("wrsp_skipped", [])]
    return _goto(step.field, skipped)


def _slots(events: list) -> dict[str, Any]:
    """SlotSet events as the slot values a form extraction returns."""
    return {event["name"]: event["value"] for event in events}


class ActionWrspStart(Action):
    def name(self) -> str:
        return "action_wrsp_start"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        staff = require_staff(tracker, dispatcher, **NOT_LINKED)
        if staff is None:
            return [SlotSet("wrsp_answer", "idle")]
        open_plans = service.open_plans(staff.id)
        if open_plans:
            refs = ", ".join(f"{ref} (#{pid})" for pid, ref in open_plans[:5])
            dispatcher.utter_message(
                text=f"You also have plans in progress: {refs}. " 'Say "resume my plan" to continue one instead.',
                phi=True,
            )
        dispatcher.utter_message(response="utter_wrsp_intro")
        return [SlotSet("wrsp_plan_id", None), *_goto(FIRST_FIELD, [])]


class ActionWrspResume(Action):
    def name(self) -> str:
        return "action_wrsp_resume"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        staff = require_staff(tracker, dispatcher, **NOT_LINKED)
        if staff is None:
            return [SlotSet("wrsp_answer", "idle")]
        ref = entity(tracker, "client_ref")
        wanted_id = entity(tracker, "plan_id")
        if ref is None:
            match = re.search(r"\bfor\s+([\w.\-]{1,20})\W*$", latest_text(tracker))
            ref = match.group(1) if match else None
        wanted = int(wanted_id) if wanted_id and str(wanted_id).isdigit() else None
        try:
            plans, interview = service.plans_to_resume(staff.id, ref, wanted)
        except (AccessDenied, NotFound) as exc:
            dispatcher.utter_message(text=str(exc))
            return [SlotSet("wrsp_answer", "idle")]
        if not plans:
            if ref:
                dispatcher.utter_message(
                    text=f'I found no plan in progress for {ref}. Say "start a WRSP" to begin one.', phi=True
                )
            else:
                dispatcher.utter_message(response="utter_wrsp_none_to_resume")
            return [SlotSet("wrsp_answer", "idle")]
        if len(plans) > 1:
            dispatcher.utter_message(
                response="utter_wrsp_which_plan",
                buttons=[
                    {"title": f"{ref} (#{pid})", "payload": f'/wrsp_resume{{"plan_id": "{pid}"}}'}
                    for pid, ref in plans[:8]
                ],
                phi=True,
            )
            return [SlotSet("wrsp_answer", "idle")]
        [(plan_id, client_ref)] = plans
        dispatcher.utter_message(
            text=f"Resuming the plan for {client_ref} (#{plan_id}): {interview.progress().summary()}.", phi=True
        )
        return [SlotSet("wrsp_plan_id", float(plan_id)), *_next_events(interview, [])]


class ActionWrspChange(Action):
    """ "change the triggers answer": go to that question in the current (or only open) plan."""

    def name(self) -> str:
        return "action_wrsp_change"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        staff = current_staff(tracker)
        plan_id = plan_id_of(tracker)
        if staff is None or plan_id is None:
            dispatcher.utter_message(response="utter_wrsp_open_a_plan")
            return [SlotSet("wrsp_answer", "idle")]
        interview = service.interview_for(staff.id, plan_id)
        return change_to(dispatcher, interview, latest_text(tracker), tracker.get_slot("wrsp_skipped") or [])


def change_to(dispatcher: CollectingDispatcher, interview: Interview, text: str, skipped: list[str]) -> list:
    found = interview.find_fields(text)
    if len(found) != 1:
        if found:
            dispatcher.utter_message(response="utter_wrsp_which_one", labels=", ".join(s.label for s in found[:6]))
        else:
            dispatcher.utter_message(response="utter_wrsp_which_answer")
        return (
            [SlotSet("wrsp_answer", "idle")]
            if not interview.next_step()
            else _goto(interview.next_step().field, skipped)
        )
    step = found[0]
    if step.value is not None:
        dispatcher.utter_message(text=f"The {step.label} answer is now: {_shown(step.value)}", phi=True)
    return _goto(step.field, [s for s in skipped if s != step.field])


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(str(x) for x in value) or "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


class ActionAskWrspAnswer(Action):
    """Asks the current question (the validation action only reports what happened)."""

    def name(self) -> str:
        return "action_ask_wrsp_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        field = tracker.get_slot("wrsp_field") or FIRST_FIELD
        if tracker.get_slot("wrsp_adding"):
            dispatcher.utter_message(response="utter_wrsp_list_more")
            return []
        staff = current_staff(tracker)
        if staff is None:
            return []
        step = service.interview_for(staff.id, plan_id_of(tracker)).step(field)
        if step is None:
            dispatcher.utter_message(response="utter_wrsp_say_resume")
            return []
        buttons = []
        if step.type == "yes_no":
            buttons = [{"title": "Yes", "payload": "yes"}, {"title": "No", "payload": "no"}]
        elif step.type == "choice":
            buttons = [{"title": c.label, "payload": c.label} for c in step.question.choices]
        hint = " (a list: one per message or separated by commas)" if step.type == "list" else ""
        dispatcher.utter_message(text=f"{step.prompt}{hint}", buttons=buttons)
        return []


class ValidateWrspForm(FreeTextFormValidation):
    """Takes one message as the answer to the current question. Besides the form's slot it
    moves the interview's own (current question, skipped ones, failures), as carried slots."""

    command_intents = ("cancel", "wrsp_resume", "wrsp_start")
    failure_slot = "wrsp_failures"
    carried_slots = INTERVIEW_SLOTS

    def name(self) -> str:
        return "validate_wrsp_form"

    def is_own_command(self, text: str) -> bool:
        return _command(text) is not None  # "pause" is ours, even if NLU calls it cancel

    async def extract_wrsp_answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        text = self.free_text(tracker)
        if text is None:
            return {}  # let the rules handle it
        staff = require_staff(tracker, dispatcher, **NOT_LINKED)
        if staff is None:
            return {"wrsp_answer": "idle"}
        try:
            return self._handle(dispatcher, tracker, staff.id, text.strip())
        except service.PlanError as exc:  # e.g. a full name where initials belong: ask again
            dispatcher.utter_message(text=str(exc))
            return {"wrsp_answer": None}
        except (AccessDenied, NotFound) as exc:
            dispatcher.utter_message(text=str(exc))
            return {"wrsp_answer": "idle"}

    async def validate_wrsp_answer(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        return {"wrsp_answer": value}

    def _handle(self, dispatcher: CollectingDispatcher, tracker: Tracker, staff_id: int, text: str) -> dict:
        field = tracker.get_slot("wrsp_field") or FIRST_FIELD
        skipped = list(tracker.get_slot("wrsp_skipped") or [])
        plan_id = plan_id_of(tracker)
        interview = service.interview_for(staff_id, plan_id, skipped)
        command = _command(text)
        if command == "pause":
            return {"wrsp_answer": "paused"}
        if command == "help":
            step = interview.step(field)
            if step:
                dispatcher.utter_message(text=step.help)
            else:
                dispatcher.utter_message(response="utter_wrsp_answer_or_skip")
            return {"wrsp_answer": None}
        if command == "skip" or (command is None and tracker.get_slot("wrsp_adding") and v.is_done(text)):
            if plan_id is None:
                dispatcher.utter_message(response="utter_wrsp_who_first")
                return {"wrsp_answer": None}
            if command == "skip":
                skipped = skipped + [field]
                dispatcher.utter_message(response="utter_wrsp_skipped")
            return _slots(_next_events(interview.skip(field) if command == "skip" else interview, skipped))
        if command == "back":
            previous = interview.previous_step(field)
            if previous is None:
                dispatcher.utter_message(response="utter_wrsp_first_question")
                return {"wrsp_answer": None}
            if previous.value is not None:
                dispatcher.utter_message(
                    text=f"Your answer was: {_shown(previous.value)}. Send a new one to replace it.", phi=True
                )
            return _slots(_goto(previous.field, skipped))
        if command == "change" and plan_id is not None:
            return _slots(change_to(dispatcher, interview, text, skipped))
        return self._answer(dispatcher, tracker, staff_id, interview, plan_id, field, skipped, text)

    def _answer(self, dispatcher, tracker, staff_id, interview, plan_id, field, skipped, text) -> dict:
        if plan_id is None:  # the first answer says who the plan is for and creates the plan
            plan_id, client_ref, interview = service.start_for(staff_id, text, skipped)
            dispatcher.utter_message(text=f"Started plan #{plan_id} for {client_ref}.", phi=True)
            return {"wrsp_plan_id": float(plan_id), **_slots(_next_events(interview, skipped))}
        step = interview.step(field)
        adding = step is not None and step.type == "list" and bool(tracker.get_slot("wrsp_adding"))
        done = service.answer_for(staff_id, plan_id, field, text, adding=adding, skipped=skipped)
        if done.result.error:
            explanation = f'{step.help}\nYou can also say "skip" and come back to it later.' if step else None
            return {**self.failed(dispatcher, tracker, done.result.error, explanation), "wrsp_answer": None}
        if done.result.confirmation:
            dispatcher.utter_message(text=f"Saved: {done.result.confirmation}", phi=True)
        if step is not None and step.type == "list":
            return _slots(_goto(field, skipped, adding=True))
        return _slots(_next_events(done.interview, [s for s in skipped if s != field]))


class ActionWrspDone(Action):
    """After an interview turn: the summary to confirm when every question is answered,
    or a note on how to pick up again."""

    def name(self) -> str:
        return "action_wrsp_done"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        outcome = tracker.get_slot("wrsp_answer")
        reset = [SlotSet("wrsp_answer", None), SlotSet("wrsp_adding", False)]
        if outcome == "paused":
            dispatcher.utter_message(response="utter_wrsp_paused")
            return reset
        staff, plan_id = current_staff(tracker), plan_id_of(tracker)
        if outcome != "done" or staff is None or plan_id is None:
            return reset
        interview = service.interview_for(staff.id, plan_id)
        progress = interview.progress()
        lines = [f"Here is the plan (#{plan_id}) so far: {progress.summary()}."]
        lines += [f"- {s.label}: {_shown(s.value)}" for s in interview.steps() if s.value is not None]
        if not progress.complete:
            missing = ", ".join(s.label for s in progress.missing_required)
            lines.append(f'Still needed before it can be completed: {missing}. Say "resume my plan" to answer them.')
            dispatcher.utter_message(text="\n".join(lines), phi=True)
            return reset
        lines.append('Is everything right? Confirm to complete the plan, or say e.g. "change the triggers answer".')
        dispatcher.utter_message(
            text="\n".join(lines), phi=True, buttons=[{"title": "Confirm and complete", "payload": "/wrsp_confirm"}]
        )
        return reset
