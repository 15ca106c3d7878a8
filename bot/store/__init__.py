"""The one database layer: every table, session and migration lives here."""

from bot.store.db import database_url, get_engine, session_scope, upgrade

__all__ = ["database_url", "get_engine", "session_scope", "upgrade"]
