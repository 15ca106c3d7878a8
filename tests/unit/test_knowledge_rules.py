"""knowledge/rules and the question bank: schema, every quote verbatim, coverage,
labels that name real rules and verdicts, and enough examples for every verdict."""

from collections import Counter
from pathlib import Path

import pytest

from bot.knowledge.coverage import uncovered
from bot.knowledge.engine import Engine
from bot.knowledge.model import NOT_COVERED, load_bank
from bot.knowledge.quantities import Quantities
from bot.knowledge.reliability import MAX_ASK_RATE
from bot.knowledge.rules import Rule, load_rule_files, validate
from bot.knowledge.sources import check_citation, load_sources
from bot.knowledge.training import bank_dir, load_calibration, validate_bank
from bot.paths import knowledge_dir

REQUIRED_TOPICS = {
    "transport-client",
    "errands-on-behalf",
    "medication-advice",
    "diagnosis-opinion",
    "legal-advice",
    "legal-representation",
    "hold-belongings",
    "gifts",
    "bartering",
    "give-money-to-client",
    "borrow-from-client",
    "romance-client",
    "romance-former-client",
    "friendship-dual-relationship",
    "self-disclosure",
    "community-with-peer",
    "childcare-substitute",
    "vocational-skills-training",
    "duplicate-services",
    "prescriber-advocacy",
    "make-appointments",
    "risk-of-harm",
    "mandatory-reporting",
    "confidentiality-sharing",
    "records-retention",
    "impaired-at-work",
    "group-size",
    "caseload",
    "units-per-week",
    "units-per-year",
    "wrsp-deadline",
    "wrsp-review",
    "wrsp-content",
    "wrsp-refuse-signature",
    "wrsp-signoff",
    "supervision-frequency",
    "training-hours",
    "continuing-education",
    "minimum-age",
    "recovery-time",
    "who-fps-serve",
}
MIN_EXAMPLES_PER_RULE = 30
MIN_NOT_COVERED = 300


@pytest.fixture(scope="module")
def rules():
    return load_rule_files(knowledge_dir() / "rules")


@pytest.fixture(scope="module")
def bank():
    return load_bank(bank_dir(knowledge_dir()))


def test_rules_validate(rules):
    stages = {"candidate": None, "certified": None}
    assert validate(rules, load_sources(), Quantities.load(knowledge_dir() / "rules").kinds, stages) == []
    staged = next(r for r in rules if any(t.stage for t in r.thresholds))
    typo = staged.copy(update={"thresholds": [t.copy(update={"stage": "certifed"}) for t in staged.thresholds]})
    assert set(validate([typo], load_sources(), None, stages)) == {f"{staged.id}: unknown stage 'certifed'"}


def test_required_topics_present(rules):
    assert REQUIRED_TOPICS <= {r.id for r in rules}


def test_every_quote_is_verbatim(rules):
    sources = load_sources()
    quotes = [(r.id, c) for r in rules for c in r.all_citations()]
    assert len(quotes) > 200
    for rule_id, c in quotes:
        assert check_citation(sources, c.to_citation()) is None, rule_id


def test_depends_rules_state_condition(rules):
    for r in rules:
        if "depends" in r.verdicts:
            assert r.condition or any(v.condition for v in r.variants if v.verdict == "depends"), r.id
    assert {v for r in rules for v in r.verdicts} == {"allowed", "not_allowed", "depends", "info"}


def test_every_normative_sentence_has_a_rule_or_a_reason(rules):
    left, stale = uncovered(load_sources(), rules, knowledge_dir() / "rules" / "_coverage.yml")
    assert [f"{s.source}: {s.text}" for s in left] == []
    assert stale == [], "a listed exemption no longer matches any sentence"


def test_schema_rejects_bad_rules():
    base = {
        "id": "x",
        "topic": "t",
        "question": "q?",
        "verdict": "depends",
        "answer": "a",
        "citations": [{"source": "s", "section": "s", "quote": "q"}],
    }
    with pytest.raises(ValueError):
        Rule.parse_obj(base)  # depends without a condition
    with pytest.raises(ValueError):
        Rule.parse_obj({**base, "verdict": "maybe"})
    with pytest.raises(ValueError):
        Rule.parse_obj({**base, "condition": "c", "match": {}})  # concept lists are gone
    with pytest.raises(ValueError):  # two variants for one verdict
        Rule.parse_obj(
            {
                **base,
                "condition": "c",
                "variants": [
                    {"verdict": "allowed", "when": "w", "answer": "a"},
                    {"verdict": "allowed", "when": "v", "answer": "b"},
                ],
            }
        )
    with pytest.raises(ValueError):  # a threshold needs a bound
        Rule.parse_obj(
            {
                **base,
                "condition": "c",
                "thresholds": [{"quantity": "age", "source": "s", "section": "s", "quote": "q", "label": "l"}],
            }
        )
    assert Rule.parse_obj({**base, "condition": "c"}).id == "x"


def test_bank_labels_name_real_rules_and_verdicts(rules, bank):
    assert validate_bank(bank, Engine(knowledge_dir(), model=False)) == []


def test_bank_has_enough_examples(rules, bank):
    per_rule = Counter(ex.rule for ex in bank)
    thin = {r.id: per_rule[r.id] for r in rules if per_rule[r.id] < MIN_EXAMPLES_PER_RULE}
    assert thin == {}
    assert per_rule[NOT_COVERED] >= MIN_NOT_COVERED
    # every verdict a rule can give has examples to learn it from (numbers decide the rest)
    per_verdict = Counter((ex.rule, ex.verdict) for ex in bank)
    missing = [(r.id, v) for r in rules for v in r.verdicts if per_verdict[(r.id, v)] < 4]
    assert missing == []


def test_bank_comes_from_several_writers(bank):
    batches = Counter(ex.batch for ex in bank)
    assert len(batches) >= 6 and max(batches.values()) < 0.25 * len(bank)


def test_calibration_set_is_separate_from_the_bank(bank):
    calibration = load_calibration(knowledge_dir())
    assert len(calibration) >= 150
    assert not {c.text for c in calibration} & {ex.text for ex in bank}
    assert 0 < MAX_ASK_RATE <= 0.3
    assert len({c.group for c in calibration}) >= 3  # rounds held out in turn choose when to ask


def test_model_dir_is_not_in_git():
    ignored = (Path(__file__).parents[2] / ".gitignore").read_text()
    assert "models/" in ignored
