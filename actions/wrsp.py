"""The WRSP interview in chat, driven by knowledge/wrsp/schema.yml.

One form (``wrsp_form``) runs the whole interview. Its validation action takes each
message as the answer to the current question (``wrsp_field``), saves it to the
database *before* the next question is asked, and handles "skip for now", "go back",
"change the triggers answer", "what does this mean?" and "pause". The ask action asks
whatever question is current, so after a crash or restart "resume my plan" continues
at the first unanswered question: the database, not the conversation, is the record.
Plan answers never go into slots; replies that repeat them are marked ``phi``.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import current_staff, latest_text, message_inside_loop, staff_row
from bot.settings import local_today
from bot.store import session_scope
from bot.store.access import AccessDenied, NotFound
from bot.store.models import Staff
from bot.wrsp import flow
from bot.wrsp import service as store
from bot.wrsp import validators as v
from bot.wrsp.interview import Interview
from bot.wrsp.words import chat_words

NOT_LINKED = "Plans are saved per staff member, so they need a linked account. Ask your admin for an invite code."
FIRST_FIELD = "client_ref"
LIST_MORE = 'Add more, one per message, or say "done" to move on.'


def _command(text: str) -> str | None:
    """pause / skip / back / help / change, or None (knowledge/wrsp/chat_words.yml)."""
    return chat_words().command(text)


def plan_id_of(tracker: Tracker) -> int | None:
    value = tracker.get_slot("wrsp_plan_id")
    return int(value) if value else None


def _interview(session, member: Staff, plan_id: int | None, skipped) -> Interview:
    if plan_id is None:
        return Interview(None, {}, skipped)
    return flow.interview(session, member, plan_id, skipped)


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


class ActionWrspStart(Action):
    def name(self) -> str:
        return "action_wrsp_start"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        staff = current_staff(tracker)
        if staff is None:
            dispatcher.utter_message(text=NOT_LINKED)
            return [SlotSet("wrsp_answer", "idle")]
        with session_scope() as session:
            open_plans = store.plans_in_progress(session, staff_row(session, staff))
            refs = ", ".join(f"{p.client_ref} (#{p.id})" for p in open_plans[:5])
        if open_plans:
            dispatcher.utter_message(
                text=f"You also have plans in progress: {refs}. " 'Say "resume my plan" to continue one instead.',
                phi=True,
            )
        dispatcher.utter_message(
            text="Let's build a new Wellness and Recovery Service Plan together with the person "
            'you support. Every answer is saved as you go; say "pause" any time, '
            '"skip" to come back to a question, or "go back".'
        )
        return [SlotSet("wrsp_plan_id", None), *_goto(FIRST_FIELD, [])]


class ActionWrspResume(Action):
    def name(self) -> str:
        return "action_wrsp_resume"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        staff = current_staff(tracker)
        if staff is None:
            dispatcher.utter_message(text=NOT_LINKED)
            return [SlotSet("wrsp_answer", "idle")]
        ref = next(tracker.get_latest_entity_values("client_ref"), None)
        wanted_id = next(tracker.get_latest_entity_values("plan_id"), None)
        if ref is None:
            match = re.search(r"\bfor\s+([\w.\-]{1,20})\W*$", latest_text(tracker))
            ref = match.group(1) if match else None
        try:
            return self._resume(dispatcher, staff, ref, wanted_id)
        except (AccessDenied, NotFound) as exc:
            dispatcher.utter_message(text=str(exc))
            return [SlotSet("wrsp_answer", "idle")]

    def _resume(self, dispatcher: CollectingDispatcher, staff, ref: str | None, wanted_id: str | None) -> list:
        with session_scope() as session:
            member = staff_row(session, staff)
            if ref:
                plans = [p for p in flow.resume(session, member, ref) if p.status.value == "in_progress"]
            else:
                plans = store.plans_in_progress(session, member)
            if wanted_id and str(wanted_id).isdigit():
                store.read_plan(session, member, int(wanted_id))  # audited; AccessDenied for others' plans
                plans = [p for p in plans if p.id == int(wanted_id)]
            if not plans:
                dispatcher.utter_message(
                    text="I found no plan in progress"
                    + (f" for {ref}" if ref else "")
                    + '. Say "start a WRSP" to begin one.',
                    phi=True,
                )
                return [SlotSet("wrsp_answer", "idle")]
            if len(plans) > 1:
                dispatcher.utter_message(
                    text="Which plan?",
                    buttons=[
                        {"title": f"{p.client_ref} (#{p.id})", "payload": f'/wrsp_resume{{"plan_id": "{p.id}"}}'}
                        for p in plans[:8]
                    ],
                    phi=True,
                )
                return [SlotSet("wrsp_answer", "idle")]
            plan = plans[0]
            interview = flow.interview(session, member, plan.id)
            dispatcher.utter_message(
                text=f"Resuming the plan for {plan.client_ref} (#{plan.id}): " f"{interview.progress().summary()}.",
                phi=True,
            )
        return [SlotSet("wrsp_plan_id", float(plan.id)), *_next_events(interview, [])]


class ActionWrspChange(Action):
    """ "change the triggers answer": go to that question in the current (or only open) plan."""

    def name(self) -> str:
        return "action_wrsp_change"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        staff = current_staff(tracker)
        plan_id = plan_id_of(tracker)
        if staff is None or plan_id is None:
            dispatcher.utter_message(text='Open a plan first: say "resume my plan".')
            return [SlotSet("wrsp_answer", "idle")]
        with session_scope() as session:
            interview = flow.interview(session, staff_row(session, staff), plan_id)
        return change_to(dispatcher, interview, latest_text(tracker), tracker.get_slot("wrsp_skipped") or [])


def change_to(dispatcher: CollectingDispatcher, interview: Interview, text: str, skipped: list[str]) -> list:
    found = interview.find_fields(text)
    if len(found) != 1:
        names = ", ".join(s.label for s in found[:6])
        dispatcher.utter_message(
            text=f"Which one: {names}?"
            if found
            else 'I couldn\'t tell which answer to change. Name it, e.g. "change the triggers answer".'
        )
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
            dispatcher.utter_message(text=LIST_MORE)
            return []
        staff = current_staff(tracker)
        if staff is None:
            return []
        with session_scope() as session:
            step = _interview(session, staff_row(session, staff), plan_id_of(tracker), []).step(field)
        if step is None:
            dispatcher.utter_message(text='Say "resume my plan" to continue.')
            return []
        buttons = []
        if step.type == "yes_no":
            buttons = [{"title": "Yes", "payload": "yes"}, {"title": "No", "payload": "no"}]
        elif step.type == "choice":
            buttons = [{"title": c.label, "payload": c.label} for c in step.question.choices]
        hint = " (a list: one per message or separated by commas)" if step.type == "list" else ""
        dispatcher.utter_message(text=f"{step.prompt}{hint}", buttons=buttons)
        return []


class ValidateWrspForm(Action):
    """Takes one message as the answer to the current question (a plain action, so it can
    move the interview's own slots as well as the form's)."""

    def name(self) -> str:
        return "validate_wrsp_form"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        if not message_inside_loop(tracker, "wrsp_form"):
            return []
        text = latest_text(tracker).strip()
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if not text or (
            intent in ("cancel", "wrsp_resume", "wrsp_start") and len(text) < 40 and _command(text) is None
        ):
            return []  # let the rules handle it ("pause" is ours, even if NLU calls it cancel)
        staff = current_staff(tracker)
        if staff is None:
            dispatcher.utter_message(text=NOT_LINKED)
            return [SlotSet("wrsp_answer", "idle")]
        field = tracker.get_slot("wrsp_field") or FIRST_FIELD
        skipped = list(tracker.get_slot("wrsp_skipped") or [])
        plan_id = plan_id_of(tracker)
        try:
            with session_scope() as session:
                member = staff_row(session, staff)
                interview = _interview(session, member, plan_id, skipped)
                return self._handle(dispatcher, tracker, session, member, interview, plan_id, field, skipped, text)
        except store.PlanError as exc:  # e.g. a full name where initials belong: ask again
            dispatcher.utter_message(text=str(exc))
            return [SlotSet("wrsp_answer", None)]
        except (AccessDenied, NotFound) as exc:
            dispatcher.utter_message(text=str(exc))
            return [SlotSet("wrsp_answer", "idle")]

    def _handle(self, dispatcher, tracker, session, member, interview, plan_id, field, skipped, text) -> list:
        command = _command(text)
        if command == "pause":
            return [SlotSet("wrsp_answer", "paused")]
        if command == "help":
            step = interview.step(field)
            dispatcher.utter_message(text=step.help if step else 'Answer the question, or say "skip".')
            return [SlotSet("wrsp_answer", None)]
        if command == "skip" or (command is None and tracker.get_slot("wrsp_adding") and v.is_done(text)):
            if plan_id is None:
                dispatcher.utter_message(text="I need to know who the plan is for before we can go on.")
                return [SlotSet("wrsp_answer", None)]
            if command == "skip":
                skipped = skipped + [field]
                dispatcher.utter_message(text="Skipped for now; I'll come back to it.")
            return _next_events(interview.skip(field) if command == "skip" else interview, skipped)
        if command == "back":
            previous = interview.previous_step(field)
            if previous is None:
                dispatcher.utter_message(text="This is the first question.")
                return [SlotSet("wrsp_answer", None)]
            if previous.value is not None:
                dispatcher.utter_message(
                    text=f"Your answer was: {_shown(previous.value)}. Send a new one to " "replace it.", phi=True
                )
            return _goto(previous.field, skipped)
        if command == "change" and plan_id is not None:
            return change_to(dispatcher, interview, text, skipped)
        return self._answer(dispatcher, tracker, session, member, interview, plan_id, field, skipped, text)

    def _answer(self, dispatcher, tracker, session, member, interview, plan_id, field, skipped, text) -> list:
        events = []
        if plan_id is None:  # the first answer says who the plan is for and creates the plan
            plan = flow.start(session, member, text)
            plan_id = plan.id
            events.append(SlotSet("wrsp_plan_id", float(plan_id)))
            dispatcher.utter_message(text=f"Started plan #{plan_id} for {plan.client_ref}.", phi=True)
            interview = flow.interview(session, member, plan_id, skipped)
            return events + _next_events(interview, skipped)
        step = interview.step(field)
        if step is not None and step.type == "list" and tracker.get_slot("wrsp_adding"):
            done = flow.add_items(session, member, plan_id, field, text, skipped)
        else:
            done = flow.answer(session, member, plan_id, field, text, local_today(), skipped)
        if done.result.error:
            failures = (tracker.get_slot("wrsp_failures") or 0) + 1
            message = done.result.error
            if failures >= 2 and step is not None:
                message += f'\n{step.help}\nYou can also say "skip" and come back to it later.'
            dispatcher.utter_message(text=message)
            return [SlotSet("wrsp_failures", failures), SlotSet("wrsp_answer", None)]
        if done.result.confirmation:
            dispatcher.utter_message(text=f"Saved: {done.result.confirmation}", phi=True)
        if step is not None and step.type == "list":
            return events + _goto(field, skipped, adding=True)
        return events + _next_events(done.interview, [s for s in skipped if s != field])


class ActionWrspDone(Action):
    """After an interview turn: the summary to confirm when every question is answered,
    or a note on how to pick up again."""

    def name(self) -> str:
        return "action_wrsp_done"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        outcome = tracker.get_slot("wrsp_answer")
        reset = [SlotSet("wrsp_answer", None), SlotSet("wrsp_adding", False)]
        if outcome == "paused":
            dispatcher.utter_message(text='Paused; everything so far is saved. Say "resume my plan" to continue.')
            return reset
        staff, plan_id = current_staff(tracker), plan_id_of(tracker)
        if outcome != "done" or staff is None or plan_id is None:
            return reset
        with session_scope() as session:
            interview = flow.interview(session, staff_row(session, staff), plan_id)
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
