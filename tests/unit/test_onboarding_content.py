"""knowledge/onboarding: schema, coverage, and every quote verbatim in its source."""

import copy

import pytest
import yaml
from pydantic import ValidationError

from bot.knowledge.sources import check_citation, load_sources
from bot.onboarding.content import MAX_LABEL_CHARS, MAX_MESSAGE_CHARS, load_onboarding, parse, validate
from bot.paths import knowledge_dir

ROOT = knowledge_dir() / "onboarding"
REQUIRED_MODULES = {
    "what-is-fps",
    "what-fps-are-not",
    "types-of-support",
    "scope-of-practice",
    "code-of-ethics",
    "requirements-and-supervision",
    "core-competencies",
    "crisis-and-reporting",
}


@pytest.fixture(scope="module")
def content():
    return load_onboarding()


@pytest.fixture(scope="module")
def raw():
    return (
        yaml.safe_load((ROOT / "modules.yml").read_text(encoding="utf-8")),
        yaml.safe_load((ROOT / "quiz.yml").read_text(encoding="utf-8")),
    )


def test_content_validates(content):
    assert validate(content, load_sources()) == []


def test_every_quote_is_verbatim_in_its_section(content):
    sources = load_sources()
    citations = content.all_citations()
    assert len(citations) > 60
    for where, c in citations:
        assert check_citation(sources, c.to_citation()) is None, where
    # modules and every quiz explanation are covered
    assert {w.split("[")[0] for w, _ in citations if not w.startswith("quiz:")} == {m.id for m in content.modules}
    assert {w for w, _ in citations if w.startswith("quiz:")} >= {f"quiz:{q.id}" for q in content.quiz.questions}


def test_modules_cover_the_role_and_fit_in_a_chat(content):
    assert REQUIRED_MODULES <= {m.id for m in content.modules}
    for m in content.modules:
        assert 1 <= len(m.messages) <= 8, m.id
        for msg in m.messages:
            assert len(msg.text) <= MAX_MESSAGE_CHARS and msg.citations


def test_quiz_shape(content):
    quiz = content.quiz
    assert len(quiz.questions) >= 15
    assert len({q.id for q in quiz.questions}) == len(quiz.questions)
    for q in quiz.questions:
        assert 3 <= len(q.options) <= 4
        assert sum(o.correct for o in q.options) == 1
        assert all(len(o.label) <= MAX_LABEL_CHARS for o in q.options)
        assert q.explanation and q.citations
    # the correct answer is not always in the same place
    assert len({q.options.index(q.correct) for q in quiz.questions}) >= 3


def test_pass_mark_is_the_toolkits_exam_standard(content):
    quiz = content.quiz
    assert quiz.pass_mark == 80
    c = quiz.pass_mark_citation
    assert (c.source, c.section) == ("fps-toolkit", "Family Peer Support Candidate Requirements")
    assert "pass the exam with 80% or higher" in c.quote


def test_supervision_module_quotes_one_hour_per_twenty(content):
    module = content.module("requirements-and-supervision")
    quotes = [c.quote for msg in module.messages for c in msg.citations]
    assert "Receive 1 hour of documented Clinical Supervision for every 20 hours worked;" in quotes


def test_schema_rejects_bad_content(raw):
    modules, quiz = raw
    assert parse(modules, quiz)

    def broken(edit):
        m, q = copy.deepcopy(modules), copy.deepcopy(quiz)
        edit(m, q)
        with pytest.raises((ValidationError, ValueError)):
            parse(m, q)

    broken(lambda m, q: q["questions"][0]["options"][1].update(correct=True))  # two correct
    broken(lambda m, q: [o.pop("correct", None) for o in q["questions"][0]["options"]])  # none correct
    broken(lambda m, q: q["questions"].append(copy.deepcopy(q["questions"][0])))  # duplicate id
    broken(lambda m, q: m["modules"].append(copy.deepcopy(m["modules"][0])))  # duplicate module
    broken(lambda m, q: q["questions"][0]["options"][0].update(label="x" * 61))  # label too long
    broken(lambda m, q: m["modules"][0]["messages"][0].update(text="x " * 301))  # message too long
    broken(lambda m, q: q["questions"][0].update(options=q["questions"][0]["options"][:2]))  # two options
    broken(lambda m, q: q["questions"][0].update(citations=[]))  # no citation
    broken(lambda m, q: q["questions"][0].update(hint="extra"))  # unknown key


def test_validate_catches_invented_quotes(raw):
    modules, quiz = copy.deepcopy(raw[0]), copy.deepcopy(raw[1])
    modules["modules"][0]["messages"][0]["citations"][0]["quote"] += " and never on weekends"
    quiz["questions"][0]["explanation"] += ' The toolkit says "always call the doctor for them".'
    quiz["questions"][1]["citations"][0]["section"] = "Types of Support"
    quiz["pass_mark"] = 70
    errors = validate(parse(modules, quiz), load_sources())
    assert len(errors) == 4, errors
