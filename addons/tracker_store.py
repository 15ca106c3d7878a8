"""The SQL tracker store, with its database chosen by environment and health
information kept out of it.

``PEERSCOPE_TRACKER_URL`` (an SQLAlchemy URL) selects the database; without it the
tracker lives in SQLite under ``var/`` (``PEERSCOPE_VAR_DIR``).

Note drafts, plan answers and review comments are stored in PeerScope's own tables.
Before events reach the tracker table, this store redacts:

- user messages sent while one of ``redact_loops`` (endpoints.yml) is the active
  loop: those messages *are* the note, the plan answer or the comment;
- user messages classified as a risk-of-harm disclosure, in any context;
- bot messages that an action marked with ``phi=True`` (they quote a note or plan).

The actions have already read the text from the in-memory tracker by the time it is
saved, so nothing they need is lost.
"""

from __future__ import annotations

import copy
import os
from typing import Any, Iterable, Iterator

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActiveLoop, BotUttered, Event, UserUttered

from bot.paths import var_dir

REDACTED = "[redacted: stored in PeerScope's database]"
# A crisis disclosure is health information wherever it is said.
REDACT_INTENTS = {"risk_disclosure"}


def redact_events(events: Iterable[Event], new_from: int, redact_loops: set[str]) -> Iterator[Event]:
    """Yield events ``new_from`` onwards, redacted; earlier events only set the loop state."""
    active_loop = None
    for index, event in enumerate(events):
        if isinstance(event, ActiveLoop):
            active_loop = event.name
        if index < new_from:
            continue
        if isinstance(event, UserUttered) and (active_loop in redact_loops or event.intent_name in REDACT_INTENTS):
            event = copy.deepcopy(event)
            event.text = REDACTED
            event.parse_data = {**event.parse_data, "text": REDACTED, "entities": []}
            event.entities = []
        elif isinstance(event, BotUttered) and (event.metadata or {}).get("phi"):
            event = BotUttered(REDACTED, data={}, metadata={"phi": True}, timestamp=event.timestamp)
        yield event


class PeerScopeTrackerStore(SQLTrackerStore):
    def __init__(self, domain=None, host: str | None = None, event_broker=None,
                 redact_loops: list[str] | None = None, **kwargs: Any) -> None:
        self.redact_loops = set(redact_loops or [])
        url = os.environ.get("PEERSCOPE_TRACKER_URL") or host
        if url:
            super().__init__(domain, host=url, event_broker=event_broker, **kwargs)
        else:
            db = str(var_dir() / "tracker.db")
            super().__init__(domain, dialect="sqlite", db=db, event_broker=event_broker, **kwargs)

    def _additional_events(self, session, tracker) -> Iterator[Event]:
        events = list(tracker.events)
        new_count = len(list(super()._additional_events(session, tracker)))
        return redact_events(events, len(events) - new_count, self.redact_loops)
