"""'Can I do this?' answers and their follow-ups."""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import current_staff, entity, latest_text, payload
from bot.knowledge.engine import SOMETHING_ELSE, Answer, get_engine
from bot.knowledge.model import NOT_COVERED
from bot.policy import service
from bot.staff.service import set_program

VERDICT_HEADINGS = {
    "allowed": "✅ Allowed",
    "not_allowed": "⛔ Not allowed",
    "depends": "⚠️ It depends",
    "not_covered": "❔ Not covered by the policies",
    "info": "ℹ️ From the policies",
}


PROGRAM_SET = {"adult": "utter_program_set_adult", "family": "utter_program_set_family"}


def format_citation(citation: dict) -> str:
    return f"“{citation['quote']}”\n— {citation['source']}, {citation['section']}"


def format_answer(answer: Answer) -> str:
    """The chat reply: verdict, plain answer, and the first quote (the rest on request)."""
    parts = [VERDICT_HEADINGS.get(answer.verdict, answer.verdict), answer.answer]
    if answer.citations:
        parts.append(format_citation(answer.citations[0].to_dict()))
        if len(answer.citations) > 1:
            parts.append(f'({len(answer.citations) - 1} more source(s): ask "where does it say that?")')
    return "\n\n".join(parts)


def clarify_buttons(answer: Answer) -> list[dict]:
    """One button per option; tapping it answers the same question under that rule (or
    that verdict of the rule, when the options are two verdicts of one rule)."""
    options = [(o.pick, o.question) for o in answer.clarify if o.rule_id != NOT_COVERED]
    options.append((NOT_COVERED, SOMETHING_ELSE))  # always offered, always last
    return [{"title": title, "payload": "/pick_rule" + json.dumps({"rule_id": rid})} for rid, title in options]


def reply_with_answer(
    dispatcher: CollectingDispatcher, tracker: Tracker, only_if_grounded: bool = False, rule_id: str | None = None
) -> list:
    """Answer the latest message from the policies (under ``rule_id`` when the user picked
    one from a clarifying question). Returns the events to apply, or an empty list when
    ``only_if_grounded`` is set and the policies had nothing to say."""
    staff = current_staff(tracker)
    program = staff.program if staff else None
    engine = get_engine()
    if rule_id is None:
        question = latest_text(tracker)
        if engine.looks_like_note(question):
            dispatcher.utter_message(response="utter_note_offer")
            return [SlotSet("last_rule_id", None)]
        answer = engine.answer(question, program=program, previous_rule_id=tracker.get_slot("last_rule_id"))
    else:
        question = service.question_before_pick(tracker.sender_id)
        answer = engine.answer_rule(rule_id, question, program=program)
    if only_if_grounded and not answer.citations:
        return []
    if answer.clarify and rule_id is None:
        service.remember_question(tracker.sender_id, question)
        dispatcher.utter_message(response="utter_clarify", buttons=clarify_buttons(answer))
        dispatcher.utter_message(json_message=payload("policy_answer", **answer.to_dict()))
        return [SlotSet("last_rule_id", None), SlotSet("last_citations", None)]
    # the unanswered-question log, and the topic (rule id, never the question) for the insights page
    service.record_answer(question, staff.id if staff else None, program, answer.kind, answer.rule_id, answer.verdict)
    dispatcher.utter_message(text=format_answer(answer))
    dispatcher.utter_message(json_message=payload("policy_answer", **answer.to_dict()))
    if staff is not None and staff.program is None and answer.citations:
        dispatcher.utter_message(response="utter_ask_program")
    return [
        SlotSet("last_rule_id", answer.rule_id),
        SlotSet("last_citations", [c.to_dict() for c in answer.citations]),
    ]


class ActionAnswerPolicy(Action):
    def name(self) -> str:
        return "action_answer_policy"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        return reply_with_answer(dispatcher, tracker)


class ActionAnswerPicked(Action):
    """The user tapped one of the options of a clarifying question."""

    def name(self) -> str:
        return "action_answer_picked"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        rule_id = entity(tracker, "rule_id") or NOT_COVERED
        return reply_with_answer(dispatcher, tracker, rule_id=rule_id)


class ActionShowSource(Action):
    def name(self) -> str:
        return "action_show_source"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        citations = tracker.get_slot("last_citations") or []
        if not citations:
            dispatcher.utter_message(response="utter_no_answer_to_source")
            return []
        lines = ["Here is where the policies say it:"]
        lines += [format_citation(c) for c in citations]
        dispatcher.utter_message(text="\n\n".join(lines))
        dispatcher.utter_message(json_message=payload("citations", citations=citations))
        return []


class ActionShowFullSection(Action):
    def name(self) -> str:
        return "action_show_full_section"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        from bot.knowledge.sources import load_sources

        citations = tracker.get_slot("last_citations") or []
        if not citations:
            dispatcher.utter_message(response="utter_no_answer_to_expand")
            return []
        first = citations[0]
        source = load_sources().get(first["source"])
        section = source.section(first["section"]) if source else None
        if section is None:
            dispatcher.utter_message(response="utter_section_gone")
            return []
        dispatcher.utter_message(text=f"{source.title} — {section.title}\n\n{source.section_text(section)}")
        return []


class ActionSetProgram(Action):
    """Remember the user's program (asked once, stored on their staff record)."""

    def name(self) -> str:
        return "action_set_program"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        staff = current_staff(tracker)
        program = entity(tracker, "program")
        if staff is None or program not in PROGRAM_SET:
            dispatcher.utter_message(response="utter_which_program")
            return []
        set_program(staff.id, program)
        dispatcher.utter_message(response=PROGRAM_SET[program])
        return []
