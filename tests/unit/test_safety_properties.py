"""Property tests: the note checker, the risk check, the answer engine and the WRSP
validators never crash on any text, and never put exception text in what users see."""

from __future__ import annotations

import re
from datetime import date

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

EXCEPTION_TEXT = re.compile(
    r"Traceback|Exception|Error\b|NoneType|object has no attribute|"
    r"unexpected keyword|not subscriptable|invalid literal|list index out of range|"
    r"KeyError|ValueError|TypeError|AttributeError|IndexError"
)
WORDS = st.sampled_from(
    [
        "I",
        "my",
        "client",
        "she",
        "he",
        "member",
        "want",
        "wants",
        "to",
        "kill",
        "myself",
        "herself",
        "die",
        "not",
        "no",
        "never",
        "if",
        "end",
        "it",
        "all",
        "killer",
        "workout",
        "dying",
        "game",
        "988",
        "?",
        ".",
        ",",
        "\n",
        "🙂",
        "kms",
        "unalive",
        "SI",
        "denies",
        "safe",
        "pills",
        "cut",
        "cutting",
        "goodbye",
    ]
)
TEXT = st.one_of(st.text(max_size=300), st.lists(WORDS, max_size=50).map(" ".join))
SLOW = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _clean(text: str) -> bool:
    return not EXCEPTION_TEXT.search(text or "")


@settings(max_examples=200, **SLOW)
@given(TEXT)
def test_risk_check_never_raises(text):
    from bot.notes.risk import risk_in

    finding = risk_in(text)
    assert finding is None or finding.about in {"self", "client", "unknown"}
    if finding:
        assert finding.citations and all(_clean(c["quote"]) for c in finding.citations)


@settings(max_examples=150, **SLOW)
@given(TEXT)
def test_note_flags_never_carry_exception_text(text):
    from bot.notes import get_checker

    for flag in get_checker().check(text):
        assert _clean(flag.reason) and _clean(flag.suggestion)


@settings(max_examples=150, **SLOW)
@given(TEXT)
def test_crisis_replies_never_carry_exception_text(text):
    from actions.safety import crisis_text, fine_text
    from bot.notes.risk import risk_citations, risk_in

    finding = risk_in(text)
    about = finding.about if finding else "unknown"
    reply = crisis_text(about, finding.citations if finding else risk_citations(), alert_recorded=True)
    assert "988" in reply and _clean(reply)
    assert _clean(fine_text([about]))


@settings(max_examples=150, **SLOW)
@given(TEXT, st.sampled_from([None, "adult", "family", "bogus"]))
def test_answers_never_carry_exception_text(text, program):
    from bot.knowledge.engine import get_engine

    answer = get_engine().answer(text, program=program)
    assert _clean(answer.answer)


@settings(max_examples=150, **SLOW)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200), st.dates())
def test_wrsp_errors_never_carry_exception_text(text, today):
    from bot.wrsp import validators as v
    from bot.wrsp.interview import validate_answer
    from bot.wrsp.schema import load_schema

    assume(not re.search(EXCEPTION_TEXT.pattern, text, re.I))  # an answer that says "Error" is echoed back
    results = [validate_answer(q, text, today) for q in load_schema().questions()]
    results += [
        v.validate_text(text),
        v.validate_client_ref(text),
        v.validate_list(text),
        v.merge_list(["a"], text),
        v.validate_yes_no(text),
        v.validate_date(text, today=date(2026, 3, 4), rule="future"),
    ]
    for result in results:
        assert _clean(result.error or "") and _clean(result.confirmation or "")


@settings(max_examples=200, **SLOW)
@given(
    st.one_of(st.none(), st.integers(), TEXT),
    st.one_of(st.none(), st.dictionaries(st.text(max_size=5), st.text(max_size=5))),
    st.one_of(
        st.none(),
        st.lists(
            st.one_of(
                st.none(), st.integers(), st.dictionaries(st.sampled_from(["name", "confidence"]), st.text(max_size=5))
            )
        ),
    ),
    st.booleans(),
)
def test_intent_override_never_raises(text, intent, ranking, risky):
    from addons.risk_logic import classify

    new_intent, new_ranking = classify(text, intent, ranking, lambda _t: risky)
    assert new_intent is None or isinstance(new_intent, dict)
