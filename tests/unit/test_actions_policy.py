"""The policy actions with fake trackers on the real database and the real engine: an
answer with its verdict and quote, the sources, a note pasted as a question, the program."""

from __future__ import annotations

from actions.policy import ActionAnswerPolicy, ActionSetProgram, ActionShowFullSection, ActionShowSource
from bot.store import session_scope
from bot.store.models import Staff
from tests.unit.fake_tracker import linked, responses, run, slots, tracker

RIDE = "Can I drive my client to the doctor in my own car?"


def test_an_answer_its_sources_and_the_program_question(db_url):
    pat = linked("Pat Peer", "pat")
    messages, events = run(ActionAnswerPolicy(), tracker("rest:pat", RIDE, "ask_policy"))
    answer = messages[0]["text"]
    assert answer.split("\n\n")[0] in ("✅ Allowed", "⛔ Not allowed", "⚠️ It depends")
    assert "“" in answer and "\n— " in answer  # the first quote and its source
    assert messages[1]["custom"]["type"] == "policy_answer"
    assert responses(messages)[2:] == ["utter_ask_program"]  # no program on the record yet
    filled = slots(events)
    assert filled["last_rule_id"] and filled["last_citations"]

    messages, _ = run(ActionShowSource(), tracker("rest:pat", slots=filled))
    assert messages[0]["text"].startswith("Here is where the policies say it:")
    assert messages[1]["custom"] == {"type": "citations", "citations": filled["last_citations"]}
    messages, _ = run(ActionShowFullSection(), tracker("rest:pat", slots=filled))
    assert filled["last_citations"][0]["quote"][:40] in " ".join(messages[0]["text"].split())

    messages, _ = run(ActionSetProgram(), tracker("rest:pat", "family", "set_program", entities={"program": "family"}))
    assert responses(messages) == ["utter_program_set_family"]
    with session_scope() as s:
        assert s.get(Staff, pat).program.value == "family"
    messages, _ = run(ActionAnswerPolicy(), tracker("rest:pat", RIDE, "ask_policy"))
    assert len(messages) == 2  # the program is known: not asked again


def test_nothing_to_show_before_a_question(db_url):
    for action, response in (
        (ActionShowSource(), "utter_no_answer_to_source"),
        (ActionShowFullSection(), "utter_no_answer_to_expand"),
    ):
        messages, _ = run(action, tracker("rest:pat", "where does it say that?"))
        assert responses(messages) == [response]
    messages, _ = run(ActionSetProgram(), tracker("rest:nobody", "adult", "set_program", entities={"program": "adult"}))
    assert responses(messages) == ["utter_which_program"]


def test_a_pasted_note_is_offered_the_note_check(db_url):
    note = (
        "Met with J at her apartment today. She said she has been feeling better since starting the new "
        "medication. We worked on her budget and I drove her to the food bank afterwards. Plan to meet Thursday."
    )
    messages, events = run(ActionAnswerPolicy(), tracker("rest:pat", note, "ask_policy"))
    assert responses(messages) == ["utter_note_offer"]
    assert slots(events) == {"last_rule_id": None}
