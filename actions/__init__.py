"""Rasa action server: thin adapters from Rasa trackers to the bot/ core."""
