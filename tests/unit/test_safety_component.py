"""The crisis interruption: the decisions (no Rasa), then the real graph components."""

from __future__ import annotations

import pytest

from addons.risk_logic import RISK_ACTION, RISK_INTENT, classify, should_interrupt

DIET = {"name": "wrsp_start", "confidence": 0.9}
RANKING = [DIET, {"name": RISK_INTENT, "confidence": 0.05}, {"name": "greet", "confidence": 0.05}]


def test_risk_overrides_whatever_the_classifier_said():
    intent, ranking = classify("I want to die", DIET, RANKING, lambda t: True)
    assert intent == {"name": RISK_INTENT, "confidence": 1.0}
    assert [r["name"] for r in ranking] == [RISK_INTENT, "wrsp_start", "greet"]


def test_no_risk_leaves_the_classifier_alone():
    assert classify("start a WRSP", DIET, RANKING, lambda t: False) == (DIET, RANKING)


def test_an_unconfirmed_risk_guess_is_demoted_to_fallback():
    intent, ranking = classify(
        "hmm",
        {"name": RISK_INTENT, "confidence": 0.7},
        [{"name": RISK_INTENT, "confidence": 0.7}, DIET],
        lambda t: False,
    )
    assert intent == {"name": "nlu_fallback", "confidence": 0.7}
    assert RISK_INTENT not in [r["name"] for r in ranking]


@pytest.mark.parametrize("text", ["/risk_fine", '/wrsp_resume{"plan_id": "3"}', "", None])
def test_payloads_and_empty_messages_are_not_checked(text):
    def detect(_):
        raise AssertionError("must not be called")

    assert classify(text, DIET, RANKING, detect) == (DIET, RANKING)


def test_a_failing_check_never_blocks_the_message(caplog):
    def detect(_):
        raise RuntimeError("secret note text")

    assert classify("I want to die", DIET, RANKING, detect) == (DIET, RANKING)
    assert "secret note text" not in caplog.text and "RuntimeError" in caplog.text


@pytest.mark.parametrize(
    "latest, intent, loop, expected",
    [
        ("action_listen", RISK_INTENT, None, True),
        ("action_listen", RISK_INTENT, "wrsp_form", True),
        ("action_listen", RISK_INTENT, "note_form", False),  # a pasted note: the note checker answers
        ("action_listen", RISK_INTENT, "review_comment_form", False),
        ("action_listen", "greet", "wrsp_form", False),
        (RISK_ACTION, RISK_INTENT, None, False),  # once answered, listen
    ],
)
def test_when_to_interrupt(latest, intent, loop, expected):
    assert should_interrupt(latest, intent, loop) is expected


def test_the_logic_module_does_not_import_rasa():
    import subprocess
    import sys

    code = "import sys, addons.risk_logic; sys.exit(int('rasa' in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


# -- with Rasa ------------------------------------------------------------------------


def test_nlu_component_sets_the_intent_on_messages():
    from rasa.shared.nlu.training_data.message import Message

    from addons.risk import RiskIntentClassifier

    component = RiskIntentClassifier({"preload": False}, detect=lambda t: "die" in t)
    risky = Message(data={"text": "I want to die", "intent": DIET, "intent_ranking": list(RANKING)})
    calm = Message(data={"text": "start a WRSP", "intent": DIET, "intent_ranking": list(RANKING)})
    component.process([risky, calm])
    assert risky.get("intent") == {"name": RISK_INTENT, "confidence": 1.0}
    assert calm.get("intent") == DIET
    assert "intent" in risky.output_properties


def _tracker(domain, loop: str | None, intent: str):
    from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    events = [ActionExecuted("action_listen")]
    if loop:
        events += [
            ActionExecuted(loop),
            ActiveLoop(loop),
            SlotSet("requested_slot", "wrsp_answer"),
            ActionExecuted("action_listen"),
        ]
    events.append(UserUttered("I want to die", intent={"name": intent, "confidence": 1.0}))
    return DialogueStateTracker.from_events("t", events, slots=domain.slots)


@pytest.fixture(scope="module")
def domain():
    from rasa.shared.core.domain import Domain

    return Domain.load("domain")


def _policy():
    from unittest.mock import MagicMock

    from addons.risk import RiskInterruptPolicy

    config = {**RiskInterruptPolicy.get_default_config()}
    return RiskInterruptPolicy(config, MagicMock(), MagicMock(), MagicMock(is_finetuning=False))


def test_policy_beats_an_active_form(domain):
    from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
    from rasa.core.policies.policy import PolicyPrediction

    tracker = _tracker(domain, "wrsp_form", RISK_INTENT)
    ours = _policy().predict_action_probabilities(tracker, domain)
    assert domain.action_names_or_texts[ours.max_confidence_index] == RISK_ACTION
    # what RulePolicy predicts for an active form: the loop, as a "no user" prediction
    form = [0.0] * len(domain.action_names_or_texts)
    form[domain.index_for_action("wrsp_form")] = 1.0
    loop = PolicyPrediction(form, "RulePolicy", policy_priority=6, is_no_user_prediction=True)
    best = DefaultPolicyPredictionEnsemble._pick_best_policy([loop, ours])
    assert domain.action_names_or_texts[best.max_confidence_index] == RISK_ACTION


def test_policy_leaves_the_note_form_and_other_intents_alone(domain):
    policy = _policy()
    for loop, intent in (("note_form", RISK_INTENT), ("wrsp_form", "greet")):
        prediction = policy.predict_action_probabilities(_tracker(domain, loop, intent), domain)
        assert prediction.max_confidence == 0.0 and not prediction.is_no_user_prediction
