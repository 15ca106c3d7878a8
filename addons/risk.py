"""Crisis language interrupts any conversation.

Two small graph components, loaded by Rasa from config.yml:

``RiskIntentClassifier`` (NLU pipeline, after FallbackClassifier) runs the note
checker's risk detection (bot.notes.risk, cues in knowledge/note_checks/risk.yml) on
every user message. When it finds risk-of-harm language the intent becomes
``risk_disclosure`` with confidence 1.0, whatever the classifier thought. It is also
the only judge: a ``risk_disclosure`` guess by DIET that the risk check does not
confirm is demoted to ``nlu_fallback`` (so what `peerscope eval risk` measures is what
the chat does).

``RiskInterruptPolicy`` makes ``risk_disclosure`` win over an active form. Rasa
normally lets an active form take every message first (its happy path overrules all
rules), and the WRSP form accepts any text as an answer, so a rule alone cannot
interrupt it. This policy predicts ``action_risk_response`` as a "no user input"
prediction with a priority above RulePolicy's, which is the one kind of prediction
that beats the form. Loops listed in ``exempt_loops`` are left alone: inside
``note_form`` the message *is* a note draft, and the note checker's risk flag answers
it (988 and the reporting duty), with the note saved for the supervisor's review.

The decision logic lives in plain functions (``classify``, ``should_interrupt``) so
it is tested without Rasa.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Dict, List, Optional, Text

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from addons.risk_logic import DEFAULT_EXEMPT_LOOPS, RISK_ACTION, _detect, classify, should_interrupt

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class RiskIntentClassifier(GraphComponent, IntentClassifier):
    """Overrides the intent with ``risk_disclosure`` when the risk check fires."""

    @classmethod
    def required_components(cls) -> List[type]:
        return [IntentClassifier]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"preload": True}

    def __init__(self, config: Dict[Text, Any], detect: Callable[[str], Any] = _detect) -> None:
        self.component_config = config
        self._detect = detect

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "RiskIntentClassifier":
        component = cls(config)
        if config.get("preload", True) and not execution_context.is_finetuning:
            try:  # load the spaCy pipeline now, not on the first message
                component._detect("warm up")
            except Exception as exc:
                logger.error("risk check could not be loaded (%s)", type(exc).__name__)
        return component

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent, ranking = classify(
                message.get(TEXT), message.get(INTENT), message.get(INTENT_RANKING_KEY), self._detect
            )
            if intent is not None:
                message.set(INTENT, intent, add_to_output=True)
            if ranking is not None:
                message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

    def process_training_data(self, training_data):  # nothing to learn
        return training_data


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class RiskInterruptPolicy(Policy):
    """Predicts ``action_risk_response`` on ``risk_disclosure``, even inside a form."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"priority": 7, "exempt_loops": list(DEFAULT_EXEMPT_LOOPS)}

    def train(self, training_trackers, domain: Domain, **kwargs: Any) -> Resource:
        with self._model_storage.write_to(self._resource) as path:
            (path / "risk_interrupt_policy.txt").write_text("no trained state\n", encoding="utf-8")
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        intent = (tracker.latest_message.intent or {}).get("name") if tracker.latest_message else None
        if RISK_ACTION in domain.action_names_or_texts and should_interrupt(
            tracker.latest_action_name,
            intent,
            tracker.active_loop_name,
            self.config.get("exempt_loops", DEFAULT_EXEMPT_LOOPS),
        ):
            probabilities[domain.index_for_action(RISK_ACTION)] = 1.0
            return self._prediction(probabilities, is_no_user_prediction=True)
        return self._prediction(probabilities)
