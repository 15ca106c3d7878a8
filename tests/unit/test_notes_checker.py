"""Behaviour of the note scope checker on our own sentences.

tests/data/note_paraphrases.jsonl holds our own differently-worded notes (not
the dev set): every category, every in-scope convention, "peer" as either the
specialist or the person served, negations and hypotheticals.
"""

import json
import time
from pathlib import Path

import pytest

from bot.notes import CATEGORIES, Flag, get_checker
from bot.notes.checker import NoteChecker

DATA = Path(__file__).resolve().parent.parent / "data"
ITEMS = [json.loads(line) for line in (DATA / "note_paraphrases.jsonl").read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def checker():
    """The checker as users get it: cue rules and the trained classifiers."""
    return get_checker()


@pytest.fixture(scope="module")
def rules():
    """The cue rules alone (knowledge/note_checks): precise where they fire."""
    return NoteChecker(model=False)


def cats(checker, text):
    return sorted({f.category for f in checker.check(text)} - {"risk", "risk_possible"})


@pytest.mark.parametrize("item", ITEMS, ids=[i["id"] for i in ITEMS])
def test_cue_rules_on_paraphrase_items(rules, item):
    assert cats(rules, item["text"]) == sorted(item["flags"])


def test_full_checker_on_paraphrase_items(checker):
    """With the classifiers added (they can overrule a cue), the same items: nearly every
    expected flag is still raised, and in-scope items stay clean."""
    expected = [(i["id"], c) for i in ITEMS for c in i["flags"]]
    found = {i["id"]: set(cats(checker, i["text"])) for i in ITEMS}
    missed = [(iid, c) for iid, c in expected if c not in found[iid]]
    clean = [i["id"] for i in ITEMS if not i["flags"]]
    flagged_clean = [iid for iid in clean if found[iid]]
    assert len(missed) / len(expected) <= 0.04, missed  # 8 of 288 before banks n12/n13/r13, 10 after
    assert len(flagged_clean) / len(clean) <= 0.15, flagged_clean


def test_paraphrases_cover_every_category_and_in_scope_cases():
    labelled = {f for i in ITEMS for f in i["flags"]}
    assert labelled == set(CATEGORIES) - {"risk"}
    assert sum(1 for i in ITEMS if not i["flags"]) >= 60
    assert len(ITEMS) >= 120


@pytest.mark.parametrize(
    "text,expected",
    [
        # naive keyword matches that are in scope
        ("Writer did not give medication advice and referred her back to the nurse.", []),
        ("Encouraged peer to talk with her prescriber about the side effects.", []),
        ("Peer reported her psychiatrist diagnosed PTSD last spring.", []),
        ("At peer's request, joined her call with her prescriber to voice her concerns.", []),
        ("Helped peer practice calling to schedule Medicaid transportation.", []),
        ("Walked with peer to the library toward her goal of getting a library card.", []),
        ("FPS helped the mother arrange childcare with a neighbor for Thursday.", []),
        ("FPS watched the mother's children while she was at her appointment.", ["errands"]),
        # actor attribution: same verb, different doer
        ("Member drove herself to the clinic and met writer there.", []),
        ("Writer drove the member to the clinic.", ["transport"]),
        ("Mom told FPS she thinks her son has autism.", []),
        ("FPS told mom she thinks her son has autism.", ["diagnosis"]),
        ("Member's sister is keeping her wallet while she is inpatient.", []),
        ("Writer is keeping the member's wallet while she is inpatient.", ["possessions"]),
        # negation and hypotheticals
        ("PSS declined to pick up the member's groceries and made a shopping list with him.", []),
        ("Writer explained that peers can't transport members and helped him book a ride.", []),
        ("If she ever needs a ride again, writer will help her call Medicaid transport.", []),
        ("Member asked writer to hold her cash; writer agreed and locked it in the office.", ["possessions"]),
        # errands vs possessions, driving alone
        ("Writer drove to the pharmacy alone and picked up the member's refill.", ["errands"]),
        ("Writer used the member's EBT card to buy his groceries.", ["errands", "possessions"]),
    ],
)
def test_conventions(rules, text, expected):
    assert cats(rules, text) == expected


def test_two_flags_in_two_sentences_have_exact_offsets(checker):
    first = "Met member at her apartment."
    second = "Writer drove her to the food bank."
    third = "Member said her psychiatrist thinks she has PTSD."
    fourth = "Peer told member she should stop her Zoloft."
    text = f"{first}  {second}\n{third} {fourth}"
    flags = checker.check(text)
    assert [f.category for f in flags] == ["transport", "medication"]
    for f, sentence in zip(flags, (second, fourth)):
        assert f.text == sentence
        assert text[f.start : f.end] == sentence
    assert flags[0].start == len(first) + 2


@pytest.mark.parametrize(
    "text",
    [
        'She said the bus was "way less scary than I thought." We planned next week\'s route.',
        "Member said, 'I'm doing better.' She picked her next group.",
        "He told the pharmacist about the rash himself (she answered his questions.) Next visit Monday.",
        "Client: \u201cI called the clinic myself.\u201d Peer praised her for it.",
    ],
)
def test_quoted_speech_is_one_sentence_and_a_closing_quote_is_never_flagged(checker, rules, text):
    """A closing quote or bracket after end punctuation belongs to the sentence it closes:
    split off on its own, the lone mark was flagged (diagnosis, medication, legal)."""
    sents, _ = rules.rule_hits(text)
    assert len(sents) == 2 and all(any(ch.isalpha() for ch in text[a:b]) for a, b in sents)
    assert text[sents[0][0] : sents[0][1]].rstrip()[-1] in "\"')\u201d"
    assert cats(checker, text) == []


def test_a_favour_paid_for_is_a_gift(checker):
    """Bank n18: a small favour paid with the peer's own money is a gift, said or not."""
    note = "Paid for his haircut at the barber so he'd look sharp for the interview."
    assert "gifts" in {f.category for f in checker.check(note)}


def test_one_flag_per_category_and_sentence(checker):
    text = "Writer drove member to the store, drove her to the bank and gave her a ride home."
    flags = checker.check(text)
    assert [f.category for f in flags] == ["transport"]


def test_flag_shape_matches_design(checker):
    [flag] = checker.check("Writer gave the member a ride home.")
    assert isinstance(flag, Flag)
    d = flag.to_dict()
    assert list(d)[:7] == ["category", "start", "end", "text", "reason", "citations", "suggestion"]
    assert set(d) - set(list(d)[:7]) <= {"confidence"}
    assert all(set(c) == {"source", "section", "quote"} for c in d["citations"])
    json.dumps(d)


def test_risk_flag_says_tell_the_supervisor_and_988(checker):
    flags = [
        f
        for f in checker.check("Member said she wants to end her life tonight and has the pills.")
        if f.category in ("risk", "risk_possible")
    ]
    assert len(flags) == 1
    for text in (flags[0].reason, flags[0].suggestion):
        assert "supervisor" in text and "988" in text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t  ",
        "🙂🙂 member smiled 👍",
        "| date | note |\n|---|---|\n| 3/1 | writer drove member home |",
        "col1\tcol2\tcol3\nmember\tride\tyes",
        "\x00\x01\x02 member \x1b[31m drove \x7f",
        "a" * 5000,
        "....;;;,,,!!!???",
        "Peer\u00a0drove\u00a0member\u2028home.",
        "\ud7ff\ue000 text",
    ],
)
def test_odd_input_does_not_crash(checker, text):
    for f in checker.check(text):
        assert text[f.start : f.end] == f.text


def test_table_rows_are_checked(checker):
    text = "| date | note |\n|---|---|\n| 3/1 | Writer drove the member home. |"
    assert [f.category for f in checker.check(text)] == ["transport"]


def test_long_note_is_linear(checker):
    unit = (
        "Met member at the library to work on her resume. Writer drove the member home. "
        "Member said she is doing well and plans to attend group on Friday. "
    )
    small, big = unit * 50, unit * 400  # ~1,300 and ~10,000 words
    t = time.perf_counter()
    checker.check(small)
    t_small = time.perf_counter() - t
    t = time.perf_counter()
    flags = checker.check(big)
    t_big = time.perf_counter() - t
    assert len(flags) == 400
    assert t_big < 8 * 2.5 * t_small + 0.5  # 8x the text, well under quadratic


def test_twenty_thousand_words(checker):
    text = "Member and writer reviewed her budget and she set a savings goal for the month. " * 1400
    assert len(text.split()) >= 20000
    assert checker.check(text) == []


def test_check_rejects_non_text(checker):
    with pytest.raises(TypeError):
        checker.check(None)


def test_get_checker_is_cached():
    assert get_checker() is get_checker()
