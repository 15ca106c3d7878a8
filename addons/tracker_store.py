"""The SQL tracker store, with its database chosen by environment.

``PEERSCOPE_TRACKER_URL`` (an SQLAlchemy URL) selects the database; without it the
tracker lives in SQLite under ``var/`` (``PEERSCOPE_VAR_DIR``).
"""

from __future__ import annotations

import os
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore

from bot.paths import var_dir


class PeerScopeTrackerStore(SQLTrackerStore):
    def __init__(self, domain=None, host: str | None = None, event_broker=None, **kwargs: Any) -> None:
        url = os.environ.get("PEERSCOPE_TRACKER_URL") or host
        if url:
            super().__init__(domain, host=url, event_broker=event_broker, **kwargs)
        else:
            db = str(var_dir() / "tracker.db")
            super().__init__(domain, dialect="sqlite", db=db, event_broker=event_broker, **kwargs)
