"""The WRSP schema: shape, coverage of the policy, and verbatim citations."""

from __future__ import annotations

import copy
from typing import List

import pytest
import yaml
from pydantic import StrictStr

from bot.knowledge.sources import check_citation, load_sources
from bot.paths import knowledge_dir
from bot.wrsp.schema import TYPES, SchemaError, load_schema, parse_schema, split_field

# What the DBH service definition (Service Expectations) asks a WRSP to hold.
EXPECTED_FIELDS = {
    "client_ref",
    "program",
    "admission_date",
    "assessment_on_file",
    "assessment_efforts",
    "areas",
    "other_plans",
    "discharge_plan",
    "wellness_plan",
    "warning_signs",
    "triggers",
    "crisis_response",
    "individual_signed",
    "refusal_reason",
}
EXPECTED_GOAL_FIELDS = {"goal", "objectives", "strategies", "criteria", "target_date", "evaluation", "another"}


def _raw() -> dict:
    return yaml.safe_load((knowledge_dir() / "wrsp" / "schema.yml").read_text(encoding="utf-8"))


def test_schema_loads_and_covers_the_service_expectations():
    schema = load_schema()
    plain = {q.id for s in schema.sections if not s.repeat for q in s.questions}
    goals = schema.section("goals")
    assert plain == EXPECTED_FIELDS
    assert {q.id for q in goals.questions} | {goals.repeat.another.id} == EXPECTED_GOAL_FIELDS
    assert all(q.type in TYPES for q in schema.questions())
    assert schema.deadlines.plan_due_days == 30 and schema.deadlines.review_every_days == 90


def test_every_citation_is_verbatim_in_the_service_definition():
    sources = load_sources()
    schema = load_schema()
    citations = schema.citations()
    assert len(citations) == len(schema.questions()) + 3
    errors = [err for c in citations if (err := check_citation(sources, c))]
    assert errors == []
    assert {c.source for c in citations} == {"dbh-service-definition"}


def test_field_types_and_rules():
    schema = load_schema()
    assert schema.question_for("admission_date").dates == "not_future"
    assert schema.question_for("goal.3.target_date").dates == "future"
    assert schema.question_for("client_ref").check == "client_ref"
    assert schema.question_for("assessment_efforts").ask_if == ("assessment_on_file", False)
    assert schema.question_for("refusal_reason").ask_if == ("individual_signed", False)
    assert schema.question_for("other_plans").allow_none
    assert {c.value for c in schema.question_for("program").choices} == {"adult", "family"}
    assert schema.renewed_on_review("individual_signed") and not schema.renewed_on_review("triggers")
    for bad in ("goal.0.goal", "goal.11.goal", "goal.1.nope", "nope", "", "_signoff"):
        assert not schema.is_field(bad), bad
    assert split_field("goal.2.target_date") == ("goal", 2, "target_date")
    assert split_field("areas") == ("", None, "areas")


def test_questions_have_help_and_names():
    for q in load_schema().questions():
        assert q.ask.strip() and q.help.strip() and q.label.strip(), q.id
        assert q.synonyms, f"{q.id} needs synonyms so a peer can name it"


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d["sections"][0]["questions"][0].update(type="essay"), "type must be one of"),
        (lambda d: d["sections"][0]["questions"][1].pop("choices"), "choices go with type choice"),
        (lambda d: d["sections"][0]["questions"][2].pop("dates"), "a date question needs dates"),
        (lambda d: d["sections"][0]["questions"][0].pop("cite"), "'cite' must be a mapping"),
        (lambda d: d["sections"][0]["questions"][0]["cite"].pop("quote"), "missing 'quote'"),
        (lambda d: d["sections"][0]["questions"][0].update(id="Bad Id"), "lower_snake_case"),
        (lambda d: d["sections"][0]["questions"][0].update(colour="red"), "unknown keys"),
        (
            lambda d: d["sections"][1]["questions"].append(copy.deepcopy(d["sections"][1]["questions"][0])),
            "duplicate question id",
        ),
        (
            lambda d: d["sections"][0]["questions"][4].update(ask_if={"field": "triggers", "equals": False}),
            "ask_if must name an earlier field",
        ),
        (lambda d: d.pop("deadlines"), "missing 'deadlines'"),
    ],
)
def test_malformed_schema_is_refused(mutate, message):
    data = _raw()
    mutate(data)
    with pytest.raises(SchemaError, match=message):
        parse_schema(data)


# --- the interview's chat words (knowledge/wrsp/chat_words.yml) -----------------------------


def _raw_words() -> dict:
    return yaml.safe_load((knowledge_dir() / "wrsp" / "chat_words.yml").read_text(encoding="utf-8"))


def test_chat_words_load_and_every_example_is_read_as_its_command():
    from bot.wrsp.words import chat_words

    words = chat_words()
    assert [c.name for c in words.commands] == ["pause", "skip", "back", "help", "change"]
    for command in words.commands:
        for example in command.examples:
            assert words.command(example) == command.name, example
    assert words.command("my triggers are loud noises and crowds") is None
    assert words.command("pause " + "x" * 60) is None  # too long to be a command


def test_chat_word_lists_are_written_the_way_messages_are_matched():
    """Entries are compared with the message's words only (bot.wrsp.validators._plain), so an
    entry with other characters would never match."""
    from bot.wrsp.validators import _plain
    from bot.wrsp.words import chat_words

    words = chat_words()
    lists = [name for name, field in type(words).__fields__.items() if field.outer_type_ == List[StrictStr]]
    assert len(lists) >= 10
    for name in lists:
        entries = getattr(words, name)
        assert len(entries) == len(set(entries)), f"{name} repeats an entry"
        assert [e for e in entries if _plain(e) != e] == [], name
    assert not set(words.negators) & set(words.affirmers)
    assert all(_plain(o) == o and n > 0 for o, n in words.ordinals.items())


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d["yes_words"].append(True), "str type expected"),  # an unquoted yes
        (lambda d: d["commands"][0]["phrases"].append("stop ("), "not a valid pattern"),
        (lambda d: d["commands"][0].update(match="middle"), "unexpected value"),
        (lambda d: d["commands"].append(copy.deepcopy(d["commands"][0])), "distinct"),
        (lambda d: d.update(list_done=[]), "at least one entry"),
        (lambda d: d.update(colour="red"), "extra fields not permitted"),
        (lambda d: d.pop("no_words"), "field required"),
    ],
)
def test_malformed_chat_words_are_refused(mutate, message):
    from pydantic import ValidationError

    from bot.wrsp.words import parse_chat_words

    data = _raw_words()
    mutate(data)
    with pytest.raises(ValidationError, match=message):
        parse_chat_words(data)
