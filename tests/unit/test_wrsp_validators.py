"""WRSP validators: pure functions from a message to (value, error_message)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.wrsp import validators as v
from bot.wrsp.interview import validate_answer
from bot.wrsp.schema import load_schema

TODAY = date(2026, 3, 4)  # a Wednesday


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2027-03-15", "2027-03-15"),
        ("March 15 2027", "2027-03-15"),
        ("march 15, 2027", "2027-03-15"),
        ("15 March 2027", "2027-03-15"),
        ("3/15", "2026-03-15"),
        ("3/15/2027", "2027-03-15"),
        ("03/15/27", "2027-03-15"),
        ("15/3/2027", "2027-03-15"),
        ("Sept 30", "2026-09-30"),
        ("june 1st", "2026-06-01"),
        ("next friday", "2026-03-06"),
        ("Friday", "2026-03-06"),
        ("this coming monday", "2026-03-09"),
        ("tomorrow", "2026-03-05"),
        ("today", "2026-03-04"),
        ("in two weeks", "2026-03-18"),
        ("in 3 months", "2026-06-04"),
        ("2/1", "2027-02-01"),  # the next February 1st, not the past one
    ],
)
def test_target_dates_in_many_forms(text, expected):
    value, error = v.validate_date(text, today=TODAY, rule="future")
    assert error is None and value == expected
    assert v.validate_date(text, today=TODAY, rule="future").confirmation == v.format_date(date.fromisoformat(expected))


def test_target_date_confirmation_reads_naturally():
    assert v.validate_date("March 15 2027", today=TODAY, rule="future").confirmation == "Monday, March 15, 2027"


@pytest.mark.parametrize("text", ["2025-12-01", "yesterday", "last monday", "January 5 2026", "2 weeks ago"])
def test_target_date_in_the_past_is_refused_with_a_reason(text):
    value, error = v.validate_date(text, today=TODAY, rule="future")
    assert value is None and "in the past" in error


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2/20", "2026-02-20"),
        ("February 20 2026", "2026-02-20"),
        ("last monday", "2026-03-02"),
        ("yesterday", "2026-03-03"),
        ("today", "2026-03-04"),
        ("monday", "2026-03-02"),
        ("12/1", "2025-12-01"),
        ("03/15/25", "2025-03-15"),
    ],
)
def test_admission_dates(text, expected):
    assert tuple(v.validate_date(text, today=TODAY, rule="not_future")) == (expected, None)


@pytest.mark.parametrize("text", ["tomorrow", "next friday", "2027-01-01"])
def test_admission_date_in_the_future_is_refused(text):
    value, error = v.validate_date(text, today=TODAY, rule="not_future")
    assert value is None and "future" in error


@pytest.mark.parametrize(
    "text", ["", "soon", "I don't know", "March", "a", "5", "whenever", "3/45", "1/1/1890", "x" * 500]
)
def test_unclear_dates_ask_again(text):
    value, error = v.validate_date(text, today=TODAY, rule="future")
    assert value is None and error


@pytest.mark.parametrize(
    "text, items",
    [
        ("housing, work; friends", ["housing", "work", "friends"]),
        ("housing\nwork\n\nfriends", ["housing", "work", "friends"]),
        ("- housing\n- work\n* friends", ["housing", "work", "friends"]),
        ("1. housing\n2) work", ["housing", "work"]),
        ("housing, and work", ["housing", "work"]),
        ("Housing, housing", ["Housing"]),
        ("just one thing", ["just one thing"]),
    ],
)
def test_lists(text, items):
    assert tuple(v.validate_list(text)) == (items, None)


def test_list_one_item_per_message_and_none():
    value, _ = v.validate_list("sleeping less")
    value, error = v.merge_list(value, "skipping meals")
    assert error is None and value == ["sleeping less", "skipping meals"]
    assert v.merge_list(value, "Sleeping less").value == value  # no duplicates
    assert v.is_done("that's all") and v.is_done("Done.") and not v.is_done("skipping meals")
    assert tuple(v.validate_list("none", allow_none=True)) == ([], None)
    assert v.validate_list("none").value == ["none"]  # only where the schema allows "none"
    assert v.validate_list(" , ;\n").error


@pytest.mark.parametrize(
    "text, expected",
    [
        ("yes", True),
        ("Yep!", True),
        ("y", True),
        ("sure", True),
        ("yes, it is on file", True),
        ("Correct", True),
        ("no", False),
        ("nope", False),
        ("not yet", False),
        ("No, still waiting", False),
        ("they didn't", False),
        ("Nah", False),
    ],
)
def test_yes_no(text, expected):
    assert tuple(v.validate_yes_no(text)) == (expected, None)


@pytest.mark.parametrize("text", ["maybe", "", "yes and no", "purple"])
def test_yes_no_unclear(text):
    assert v.validate_yes_no(text).error


def test_signature_question_understands_its_own_words():
    q = load_schema().question_for("individual_signed")
    for text, expected in [
        ("they signed", True),
        ("signed it", True),
        ("she refused", False),
        ("declined to sign", False),
        ("he has not signed", False),
        ("yes", True),
    ]:
        assert validate_answer(q, text, TODAY).value is expected, text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("adult", "adult"),
        ("Family", "family"),
        ("family peer support", "family"),
        ("fmaily", "family"),
        ("adlt", "adult"),
        ("it's for a parent", "family"),
        ("2", "family"),
        ("1", "adult"),
    ],
)
def test_choices_match_fuzzily(text, expected):
    q = load_schema().question_for("program")
    assert tuple(v.validate_choice(text, q.choices)) == (expected, None)


@pytest.mark.parametrize("text", ["", "banana", "3", "adult or family"])
def test_unclear_choice_lists_the_options(text):
    q = load_schema().question_for("program")
    value, error = v.validate_choice(text, q.choices)
    assert value is None and "Adult peer support" in error


@pytest.mark.parametrize(
    "text", ["J.D.", "JD", "jd", "J. D.", "jmd", "MRN 12345", "A-1042", "#5531", "record 889", "J.D. 4471", "KJT"]
)
def test_client_ref_accepts_initials_and_record_numbers(text):
    value, error = v.validate_client_ref(text)
    assert error is None and value


@pytest.mark.parametrize(
    "text",
    [
        "John Doe",
        "john smith",
        "Mary Ann Jones",
        "JOHN SMITH",
        "Ann Lee",
        "Maria",
        "José García",
        "Smith, John",
        "John D. 4471",
        "",
        "...",
        "x" * 40,
    ],
)
def test_client_ref_refuses_full_names(text):
    value, error = v.validate_client_ref(text)
    assert value is None and error


def test_ref_key_ignores_punctuation_and_case():
    assert v.ref_key("J. D.") == v.ref_key("jd") == v.ref_key("J.D.") == "JD"


def test_text_is_cleaned():
    assert tuple(v.validate_text("  walk\x00 daily \n\n journal  ")) == ("walk daily\n\njournal", None)
    assert v.validate_text("   ").error
    assert v.validate_text("x" * (v.MAX_TEXT + 1)).error


# --- no validator raises on any text --------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=80))
def test_validators_never_raise(text):
    for result in (
        v.validate_text(text),
        v.validate_client_ref(text),
        v.validate_list(text),
        v.validate_list(text, allow_none=True),
        v.merge_list(["a"], text),
        v.validate_yes_no(text),
        v.validate_choice(text, load_schema().question_for("program").choices),
        v.validate_date(text, today=TODAY, rule="future"),
        v.validate_date(text, today=TODAY, rule="not_future"),
    ):
        assert (result.value is None) != (result.error is None)
        assert isinstance(result.confirmation, str)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200), st.dates())
def test_every_schema_question_validates_any_text(text, today):
    for q in load_schema().questions():
        result = validate_answer(q, text, today)
        assert result.ok or result.error


@settings(max_examples=100, deadline=None)
@given(st.from_regex(r"[A-Z]\.? ?[A-Z]\.?( ?[A-Z]\.?)?", fullmatch=True))
def test_any_initials_are_accepted(initials):
    assert v.validate_client_ref(initials).ok
