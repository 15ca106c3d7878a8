"""The one database layer: every table, session and migration lives here.

The store owns tables and queries and imports nothing from the features (bot.notes,
bot.wrsp, bot.onboarding, bot.review, bot.safety; tests/unit/test_store_imports.py checks
it): a feature's rules reach it as arguments from the feature's service, and callers use
that service (e.g. bot/wrsp/service.py)."""

from bot.store.db import database_url, get_engine, session_scope, upgrade

__all__ = ["database_url", "get_engine", "session_scope", "upgrade"]
