"""Rasa action server: thin adapters from Rasa trackers to the bot/ core."""

import logging

# httpx logs every request URL at INFO; a Telegram message sent from an action (a plan
# signed off) has the bot token in its URL.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)
