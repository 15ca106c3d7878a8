"""The answering engine: paraphrases across topics, conditions, programs,
typos, long and junk input, speed, and citations always verbatim."""

import random
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
from knowledge_paraphrases import PARAPHRASES  # noqa: E402

from bot.knowledge.engine import Answer, get_engine  # noqa: E402
from bot.knowledge.sources import check_citation  # noqa: E402


@pytest.fixture(scope="module")
def engine():
    return get_engine()


def assert_verbatim(engine, ans: Answer):
    for c in ans.citations + ans.related:
        assert check_citation(engine.sources, c) is None, c


@pytest.mark.parametrize("question,verdict,source", PARAPHRASES)
def test_paraphrases(engine, question, verdict, source):
    ans = engine.answer(question)
    assert ans.verdict == (verdict or "not_covered"), (ans.rule_id, ans.answer)
    if source:
        assert source in {c.source for c in ans.citations}
    assert_verbatim(engine, ans)


def test_paraphrase_coverage():
    verdicts = {v or "not_covered" for _, v, _ in PARAPHRASES}
    assert verdicts == {"allowed", "not_allowed", "depends", "info", "not_covered"}
    assert len(PARAPHRASES) >= 30


def test_to_dict_shape(engine):
    d = engine.answer("Can I drive my client to the doctor?").to_dict()
    assert set(d) == {"verdict", "answer", "citations"}
    assert d["verdict"] == "not_allowed"
    assert set(d["citations"][0]) == {"source", "section", "quote"}
    assert d["citations"][0]["section"] == "Scope of Practice"


def test_depends_states_condition(engine):
    ans = engine.answer("Can I go bowling with the man I support?")
    assert ans.verdict == "depends" and "recovery goal" in ans.answer
    assert ans.condition


def test_condition_cues_change_verdict(engine):
    assert engine.answer("Can I phone her psychiatrist about her meds?").verdict == "depends"
    assert engine.answer("She asked me to phone her psychiatrist about her meds. Can I?").verdict == "allowed"
    assert engine.answer("Can I accept a homemade card from a parent?").verdict == "depends"
    assert engine.answer("Can I accept a $100 check from a parent?").verdict == "not_allowed"


def test_followup_reuses_previous_rule(engine):
    first = engine.answer("Can I go to the mall with my client?")
    assert first.rule_id == "community-with-peer" and first.verdict == "depends"
    again = engine.answer("what about if it's for a recovery goal?", previous_rule_id=first.rule_id)
    assert again.rule_id == "community-with-peer" and again.verdict == "allowed"


def test_program_awareness(engine):
    fam = engine.answer("How often do I need clinical supervision?", program="family")
    adult = engine.answer("How often do I need clinical supervision?", program="adult")
    assert fam.citations[0].source == "fps-toolkit"
    assert adult.citations[0].source in {"sdmi-waiver", "dbh-service-definition", "peer-support-services"}
    assert "Other programs" in fam.answer and "family peer supporters" in fam.answer
    # detected from the text
    assert engine.answer("FPS here, how much supervision do I need?").program == "family"


def test_numbers_name_their_document(engine):
    ans = engine.answer("How old must I be to do peer support work?")
    assert ans.verdict == "info" and "19" in ans.answer and "21" in ans.answer
    assert "DBH" in ans.answer and "Family Peer Support Toolkit" in ans.answer


def test_typos(engine):
    assert engine.answer("can i drvie my cleint to her apointment").verdict == "not_allowed"
    assert engine.answer("is it ok to acept a giift card from a familly").verdict == "not_allowed"
    assert engine.answer("how oftn do i reveiw the WRSP").rule_id == "wrsp-review"


def test_very_long_question(engine):
    rng = random.Random(3)
    filler = " ".join(rng.choice(["today", "we", "talked", "about", "her", "week", "and", "the", "weather"])
                      for _ in range(5000))
    q = filler + " Anyway, can I hold on to her wallet and keys while she is in the hospital?"
    t = time.perf_counter()
    ans = engine.answer(q)
    assert time.perf_counter() - t < 2.0
    assert ans.verdict == "not_allowed" and ans.rule_id == "hold-belongings"


@pytest.mark.parametrize("junk", ["", "   ", "???", "asdkjh qwpoeiru zxmcnv", "1234 5678", "\x00\x01"])
def test_empty_or_gibberish_gets_help(engine, junk):
    ans = engine.answer(junk)
    assert ans.kind == "help" and ans.verdict == "not_covered" and not ans.citations
    assert "Ask" in ans.answer


def test_not_covered_has_no_made_up_citations(engine):
    ans = engine.answer("Can I bring my cat along when I visit clients?")
    assert ans.verdict == "not_covered" and ans.citations == []
    assert "supervisor" in ans.answer
    assert_verbatim(engine, ans)


def test_retrieval_sample_is_verbatim(engine):
    for q in ["What does the toolkit say about the history of family peer support in 1986?",
              "What is the financial return on investment of family peer supporters?",
              "Which states have family peer support certification?"]:
        ans = engine.answer(q)
        assert ans.verdict in {"info", "not_covered"}
        assert_verbatim(engine, ans)


def test_speed_after_load(engine):
    qs = [q for q, _, _ in PARAPHRASES]
    t = time.perf_counter()
    for q in qs:
        engine.answer(q)
    assert (time.perf_counter() - t) / len(qs) < 0.05


def test_no_rasa_imports():
    # in a fresh interpreter: other test modules in the same session may import rasa
    import subprocess

    code = ("import sys; from bot.knowledge.engine import answer; answer('Can I drive my client?'); "
            "sys.exit(int('rasa' in sys.modules or 'rasa_sdk' in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parents[2]).returncode == 0


_WORDS = ["my", "her", "his", "client", "supervisor's", "therapy", "dog", "gift", "shop", "drive", "-", "thru", "own",
          "can", "i", "keep", "not", "'s", "legal", "pad", "ride", "share", "with", "doctor", "?", "$", "200", "WRSP"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(_WORDS), max_size=40))
def test_never_raises_on_concept_words(engine, words):
    """Context rules (neutral phrases, modifiers, owners, pronouns) at every position, text edges included."""
    ans = engine.answer(" ".join(words))
    assert ans.verdict in {"allowed", "not_allowed", "depends", "info", "not_covered"}
    assert_verbatim(engine, ans)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=400))
def test_never_raises(engine, text):
    ans = engine.answer(text, program=random.choice([None, "adult", "family", "bogus"]))
    assert ans.verdict in {"allowed", "not_allowed", "depends", "info", "not_covered"}
    assert_verbatim(engine, ans)
