"""The decisions behind addons/risk.py, as plain functions (no Rasa import), so they
are tested on their own."""

from __future__ import annotations

import logging
from typing import Any, Callable, Optional

RISK_INTENT = "risk_disclosure"
RISK_ACTION = "action_risk_response"
FALLBACK_INTENT = "nlu_fallback"
LISTEN = "action_listen"
DEFAULT_EXEMPT_LOOPS = ("note_form", "review_comment_form")

logger = logging.getLogger(__name__)


def classify(
    text: Any, intent: Optional[dict], ranking: Optional[list], detect: Callable[[str], Any]
) -> tuple[Optional[dict], Optional[list]]:
    """The (intent, intent_ranking) to use for a message, given the classifier's.

    ``detect`` is the risk check (truthy when risk is found). Button payloads
    ("/intent{...}") are never checked. Errors in the check never block the message.
    """
    if not isinstance(text, str) or not text.strip() or text.lstrip().startswith("/"):
        return intent, ranking
    try:
        risky = bool(detect(text))
    except Exception as exc:  # never the text in the log
        logger.error("risk check failed (%s); the message goes through unchecked", type(exc).__name__)
        return intent, ranking
    ranking = [r for r in (ranking or []) if isinstance(r, dict)]
    if risky:
        top = {"name": RISK_INTENT, "confidence": 1.0}
        return top, [top] + [r for r in ranking if r.get("name") != RISK_INTENT]
    if (intent or {}).get("name") == RISK_INTENT:
        try:
            confidence = float((intent or {}).get("confidence") or 0.0)
        except (TypeError, ValueError):
            confidence = 0.0
        top = {"name": FALLBACK_INTENT, "confidence": confidence}
        return top, [top] + [r for r in ranking if r.get("name") != RISK_INTENT]
    return intent, ranking


def should_interrupt(
    latest_action: Optional[str], intent: Optional[str], active_loop: Optional[str], exempt_loops=DEFAULT_EXEMPT_LOOPS
) -> bool:
    """Predict the crisis response now? Only right after the user spoke with risk
    language, and not inside a loop whose messages are checked by other means."""
    return latest_action == LISTEN and intent == RISK_INTENT and active_loop not in set(exempt_loops or ())


def _detect(text: str) -> bool:
    from bot.notes.risk import risk_in

    return risk_in(text) is not None
