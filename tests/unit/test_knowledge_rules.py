"""knowledge/rules: schema, concepts, and every quote verbatim in its source."""

import pytest

from bot.knowledge.rules import Rule, load_concepts, load_rule_files, validate
from bot.knowledge.sources import check_citation, load_sources
from bot.paths import knowledge_dir

REQUIRED_TOPICS = {
    "transport-client", "errands-on-behalf", "medication-advice", "diagnosis-opinion", "legal-advice",
    "legal-representation", "hold-belongings", "gifts", "bartering", "give-money-to-client", "borrow-from-client",
    "romance-client", "romance-former-client", "friendship-dual-relationship", "self-disclosure",
    "community-with-peer", "childcare-substitute", "vocational-skills-training", "duplicate-services",
    "prescriber-advocacy", "make-appointments", "risk-of-harm", "mandatory-reporting", "confidentiality-sharing",
    "records-retention", "impaired-at-work", "group-size", "caseload", "units-per-week", "units-per-year",
    "wrsp-deadline", "wrsp-review", "wrsp-content", "wrsp-refuse-signature", "wrsp-signoff",
    "supervision-frequency", "training-hours", "continuing-education", "minimum-age", "recovery-time",
    "who-fps-serve",
}


@pytest.fixture(scope="module")
def rules():
    return load_rule_files(knowledge_dir() / "rules")


def test_rules_validate(rules):
    errors = validate(rules, load_concepts(knowledge_dir() / "rules"), load_sources())
    assert errors == []


def test_required_topics_present(rules):
    assert REQUIRED_TOPICS <= {r.id for r in rules}


def test_every_quote_is_verbatim(rules):
    sources = load_sources()
    quotes = [(r.id, c) for r in rules for c in r.all_citations()]
    assert len(quotes) > 100
    for rule_id, c in quotes:
        assert check_citation(sources, c.to_citation()) is None, rule_id


def test_depends_rules_state_condition_and_all_verdicts_used(rules):
    for r in rules:
        if r.verdict == "depends":
            assert r.condition
    assert {r.verdict for r in rules} == {"allowed", "not_allowed", "depends", "info", "not_covered"}


def test_schema_rejects_bad_rules():
    base = {"id": "x", "topic": "t", "question": "q?", "verdict": "depends", "answer": "a",
            "citations": [{"source": "s", "section": "s", "quote": "q"}], "match": {"all": [["client"]]}}
    with pytest.raises(ValueError):
        Rule.parse_obj(base)  # depends without a condition
    with pytest.raises(ValueError):
        Rule.parse_obj({**base, "verdict": "maybe"})
    with pytest.raises(ValueError):
        Rule.parse_obj({**base, "condition": "c", "extra": 1})
    assert Rule.parse_obj({**base, "condition": "c"}).id == "x"
