"""bot.notes.risk: chat risk detection is the note checker's risk category, and scores
at target on the labelled files (note-style lines and chat-style lines written blind)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.notes import get_checker
from bot.notes.evaluate import score_risk
from bot.notes.risk import RiskFinding, risk_citations, risk_in

DATA = Path(__file__).parents[1] / "data"


@pytest.mark.parametrize(
    "text, about",
    [
        ("I want to kill myself", "self"),
        ("I keep thinking about ending my life", "self"),
        ("I wrote goodbye letters to my kids", "self"),
        ("my client told me she wants to kill herself tonight", "client"),
        ("the person I support said he's going to end it all", "client"),
        ("I told her I'd call 988 because she said she wants to die", "client"),
        ("Her dad hits her when he drinks", "client"),
        ("thinking of ending it", "unknown"),
    ],
)
def test_finds_risk_and_whom_it_is_about(text, about):
    finding = risk_in(text)
    assert isinstance(finding, RiskFinding) and finding
    assert finding.about == about


@pytest.mark.parametrize(
    "text",
    [
        "Client reported suicidal ideation at today's visit.",
        "Pt endorsed passive SI this week.",
        "Participant states her roommate has been using her debit card without asking and took her rent money.",
    ],
)
def test_a_positive_report_in_clinical_shorthand_is_risk(text):
    """Notes copy clinicians' shorthand, and nearly every "SI/HI" in the banks is a negative
    screening; a positive report in the same words must still be flagged."""
    flags = [f for f in get_checker().check(text) if f.category in ("risk", "risk_possible")]
    assert flags


@pytest.mark.parametrize(
    "text", ["PHQ-9 item 9 = 3.", "C-SSRS positive, yes to Q1-Q3.", "Columbia screen positive today."]
)
def test_a_positive_screening_result_is_risk(text):
    """Peers copy screening forms' results into notes (bank r26): a positive result is flagged."""
    assert [f for f in get_checker().check(text) if f.category in ("risk", "risk_possible")]


@pytest.mark.parametrize(
    "text",
    [
        "Columbia screen negative, no to all six questions.",
        "PHQ-9 item 9 = 0.",
        "Reviewed how to give the PHQ-9 at staff training.",
    ],
)
def test_a_negative_or_training_mention_of_a_screening_form_raises_no_alert(text):
    assert not [f for f in get_checker().check(text) if f.category == "risk"]


@pytest.mark.parametrize(
    "text", ["Participant is experiencing suicidal ideation.", "The youth is having thoughts of suicide."]
)
def test_a_plain_report_of_suicidal_thoughts_is_flagged(text):
    """Nearly every "suicidal ideation" in the banks was a negative screening, so the plainest
    reports of all were let through (bank r27 pairs them with their denials)."""
    assert [f for f in get_checker().check(text) if f.category in ("risk", "risk_possible")]


@pytest.mark.parametrize(
    "text",
    [
        "Member denied SI/HI.",
        "Client reported no suicidal ideation today.",
        "SI/HI screen negative.",
        "Consumer denied homicidal thoughts today.",
    ],
)
def test_a_negative_screening_in_the_same_words_raises_no_alert(text):
    assert not [f for f in get_checker().check(text) if f.category == "risk"]


@pytest.mark.parametrize(
    "text",
    [
        "That was a killer workout",
        "I'm dying to see the game",
        "no, I'm fine",
        "check my note",
        "",
        "   ",
        None,
        42,
        "/risk_fine",
        "hi",
        "Hi there",
        "si",
    ],
)
def test_no_risk(text):
    assert risk_in(text) is None


@pytest.mark.parametrize("text", ["March 3 2026", "March 15 2028", "3/15", "3/15/27", "2027-03-15", "on 3/15"])
def test_a_bare_date_answer_is_never_checked_for_risk(text):
    """The WRSP interview asks for dates; whatever the classifier scores a bare date, the
    peer is not stopped to check for risk (the score of "March 3 2026" has come within
    reach of the risk_possible threshold when the banks changed)."""
    assert risk_in(text) is None


@pytest.mark.parametrize(
    "text", ["3/15 is the day I end it", "by friday 3/15 I will be gone", "overdose on 3/15", "3/15 im done"]
)
def test_a_date_inside_risk_words_is_still_checked(text):
    from bot.notes.risk import only_a_date

    assert not only_a_date(text)
    assert risk_in(text) is not None


@pytest.mark.parametrize("text", ["I'm not suicidal, just exhausted", "No thoughts of self-harm reported today."])
def test_negated_risk_never_raises_an_alert(text):
    finding = risk_in(text)
    assert finding is None or finding.tier == "risk_possible"


def test_explicit_intent_is_an_alert():
    for text in ("my client told me she wants to kill herself tonight", "I want to kill myself"):
        assert risk_in(text).tier == "risk"


def test_same_detection_as_the_note_checker():
    text = "Member said she is going to end it all this weekend."
    [flag] = [f for f in get_checker().check(text) if f.category in ("risk", "risk_possible")]
    finding = risk_in(text)
    assert finding.tier == flag.category
    assert finding.reason == get_checker().data.categories[flag.category].reason
    assert set(map(str, finding.citations)) <= set(map(str, risk_citations()))


def test_citations_are_verbatim_and_include_the_reporting_duty():
    from bot.knowledge.sources import check_citation, load_sources

    sources = load_sources()
    citations = risk_citations()
    assert citations and all(check_citation(sources, c) is None for c in citations)
    assert any("report the risk of imminent harm" in c["quote"] for c in citations)


def _score(name: str, chat: bool = False) -> dict:
    """Notes are scored as `peerscope eval risk` does (the checker); chat lines as the chat
    detects them (`peerscope eval risk --chat`: risk_in, minus "hi"/"si" in lower case)."""
    with open(DATA / name, encoding="utf-8") as fh:
        data = score_risk(get_checker(), fh, chat=chat)
    data["misses"] = [m["id"] for m in data["misses"]]
    return data


def test_labelled_files_cover_every_kind_of_line():
    kinds = {json.loads(line).get("kind") for line in open(DATA / "risk_chat_lines.jsonl", encoding="utf-8")}
    assert {
        "explicit-self",
        "explicit-client",
        "coded-self",
        "indirect-self",
        "indirect-client",
        "negated",
        "hypothetical",
        "idiom",
        "unrelated",
        "greeting",
    } <= kinds


def test_recall_and_precision_on_target():
    """Issue 12's targets over both labelled files together (written before the classifier):
    recall counting either tier >= 0.98; of the lines flagged, at least 80% are risk."""
    reports = [_score("risk_lines.jsonl"), _score("risk_chat_lines.jsonl", chat=True)]
    tp = sum(r["tp"] for r in reports)
    fp = sum(r["fp"] for r in reports)
    fn = sum(r["fn"] for r in reports)
    misses = [m for r in reports for m in r["misses"]]
    assert tp / (tp + fn) >= 0.98, misses
    assert tp / (tp + fp) >= 0.80, misses
    assert all(not r["bad_lines"] for r in reports)


def test_format_characters_do_not_hide_risk_words():
    assert risk_in("I want to ki\u00adll my\u200bself") is not None


def test_format_characters_cannot_hide_risk_in_a_note_and_offsets_stay_on_the_original():
    from bot.notes.checker import get_checker

    note = "Met member at the library. He said he wants to ki\u00adll him\u200bself tonight."
    flags = [f for f in get_checker().check(note) if f.category in ("risk", "risk_possible")]
    assert flags, "a soft hyphen hid the risk"
    for flag in flags:
        assert note[flag.start : flag.end] == flag.text
        assert "ki\u00adll" in flag.text
