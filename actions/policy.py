"""'Can I do this?' answers and their follow-ups."""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import current_staff, latest_text, payload
from bot.knowledge.engine import SOMETHING_ELSE, Answer, get_engine
from bot.knowledge.model import NOT_COVERED
from bot.store import insights, pending, session_scope, unanswered
from bot.store import staff as staff_repo

VERDICT_HEADINGS = {
    "allowed": "✅ Allowed",
    "not_allowed": "⛔ Not allowed",
    "depends": "⚠️ It depends",
    "not_covered": "❔ Not covered by the policies",
    "info": "ℹ️ From the policies",
}


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


NOTE_OFFER = (
    'That looks like a progress-note draft rather than a question. Tap "Check a note" and '
    "paste it there: I'll check it for scope and risk and you can save it for review."
)
CLARIFY_TEXT = "I'm not sure which of these you mean. Do you mean:"


def remember_question(sender: str, question: str) -> None:
    """Keep the question a clarifying choice refers to (bot.store.pending: in the database,
    so whichever action server gets the pick can answer it; never in the tracker store)."""
    with session_scope() as session:
        pending.remember(session, sender, question)


def question_before_pick(tracker: Tracker) -> str:
    """The question a clarifying choice refers to ("" when it is no longer known)."""
    with session_scope() as session:
        return pending.recall(session, tracker.sender_id)


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
            dispatcher.utter_message(
                text=NOTE_OFFER,
                buttons=[
                    {"title": "Check a note", "payload": "/check_note"},
                    {"title": "It's a question", "payload": "/ask_policy_start"},
                ],
            )
            return [SlotSet("last_rule_id", None)]
        answer = engine.answer(question, program=program, previous_rule_id=tracker.get_slot("last_rule_id"))
    else:
        question = question_before_pick(tracker)
        answer = engine.answer_rule(rule_id, question, program=program)
    if only_if_grounded and not answer.citations:
        return []
    if answer.clarify and rule_id is None:
        remember_question(tracker.sender_id, question)
        dispatcher.utter_message(text=CLARIFY_TEXT, buttons=clarify_buttons(answer))
        dispatcher.utter_message(json_message=payload("policy_answer", **answer.to_dict()))
        return [SlotSet("last_rule_id", None), SlotSet("last_citations", None)]
    if answer.kind == "not_covered":
        unanswered.record(question, staff_id=staff.id if staff else None, program=program)
    if staff is not None:  # the topic (rule id), never the question, for the insights page
        with session_scope() as session:
            insights.record_policy_answer(session, staff.id, answer.rule_id, answer.verdict)
    dispatcher.utter_message(text=format_answer(answer))
    dispatcher.utter_message(json_message=payload("policy_answer", **answer.to_dict()))
    if staff is not None and staff.program is None and answer.citations:
        dispatcher.utter_message(
            text="Which program are you in? I'll put its documents first from now on.",
            buttons=[
                {"title": "Adult peer support", "payload": '/set_program{"program": "adult"}'},
                {"title": "Family peer support", "payload": '/set_program{"program": "family"}'},
            ],
        )
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
        rule_id = next(tracker.get_latest_entity_values("rule_id"), None) or NOT_COVERED
        return reply_with_answer(dispatcher, tracker, rule_id=rule_id)


class ActionShowSource(Action):
    def name(self) -> str:
        return "action_show_source"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        citations = tracker.get_slot("last_citations") or []
        if not citations:
            dispatcher.utter_message(text="Ask me a policy question first, then I can show you where it is written.")
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
            dispatcher.utter_message(text="Ask me a policy question first, then I can show you the full section.")
            return []
        first = citations[0]
        source = load_sources().get(first["source"])
        section = source.section(first["section"]) if source else None
        if section is None:
            dispatcher.utter_message(text="I couldn't find that section any more; please ask the question again.")
            return []
        dispatcher.utter_message(text=f"{source.title} — {section.title}\n\n{source.section_text(section)}")
        return []


class ActionSetProgram(Action):
    """Remember the user's program (asked once, stored on their staff record)."""

    def name(self) -> str:
        return "action_set_program"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        staff = current_staff(tracker)
        program = next(tracker.get_latest_entity_values("program"), None)
        if staff is None or program not in ("adult", "family"):
            dispatcher.utter_message(text='Say "I work in adult peer support" or "family peer support".')
            return []
        with session_scope() as session:
            staff_repo.set_program(session, staff.id, program)
        label = "adult peer support" if program == "adult" else "family peer support"
        dispatcher.utter_message(text=f"Got it: {label}. Its documents come first in my answers now.")
        return []
