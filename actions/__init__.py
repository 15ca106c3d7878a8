"""Rasa action server: thin adapters from Rasa trackers to the bot/ core."""

import logging

# httpx logs every request URL at INFO; a Telegram message sent from an action (a plan
# signed off) has the bot token in its URL.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)


def _preload() -> None:
    """Load the policy engine and the note checker (and the sentence encoder they share)
    when the action server starts, not on the first message."""
    from bot.settings import load

    if not load().preload:
        return
    try:
        from bot.knowledge.engine import get_engine
        from bot.notes import get_checker

        get_engine().answer("warm up")
        get_checker().check("warm up")
    except Exception as exc:  # a missing model is reported by the first action that needs it
        logging.getLogger(__name__).error("preloading the models failed (%s)", type(exc).__name__)


_preload()
