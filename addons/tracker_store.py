"""The SQL tracker store, with its database chosen by environment and health
information kept out of it.

``PEERSCOPE_TRACKER_URL`` (an SQLAlchemy URL) selects the database; without it the
tracker lives in SQLite under ``var/`` (``PEERSCOPE_VAR_DIR``).

Note drafts, plan answers, review comments and questions about clients are health
information; PeerScope keeps what it needs in its own tables. Before events reach the
tracker table, this store redacts by default:

- a user message keeps its text only when it is short and its intent is on the
  ``KEEP_TEXT_INTENTS`` allow-list (greetings, help, menu choices, yes/no), or it is a
  button payload ("/intent{...}"); every other message, and any message sent while one
  of ``redact_loops`` (endpoints.yml) is active, is replaced by a placeholder, with its
  entities dropped;
- message metadata is never kept;
- bot messages that an action marked with ``phi=True`` (they quote a note or plan).

The actions have already read the text from the in-memory tracker by the time it is
saved, so nothing they need is lost.
"""

from __future__ import annotations

import copy
from typing import Any, Iterable, Iterator

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActiveLoop, BotUttered, Event, UserUttered

from bot.paths import var_dir

REDACTED = "[redacted]"
# Messages whose words carry no health information when they are short.
KEEP_TEXT_INTENTS = frozenset({
    "greet", "goodbye", "help", "what_can_you_do", "bot_challenge", "thank", "cancel",
    "note_submit", "note_discard", "note_details", "ask_policy_start", "ask_source", "ask_full_section",
    "onboarding_start", "onboarding_next", "onboarding_quiz", "onboarding_status",
    "review_queue", "wrsp_start", "wrsp_confirm", "wrsp_change", "wrsp_due", "risk_alerts",
})
MAX_KEPT_CHARS = 60


def keeps_text(event: UserUttered, active_loop: str | None, redact_loops: set[str]) -> bool:
    text = event.text or ""
    if active_loop in redact_loops:
        return False
    if text.startswith("/") and "\n" not in text and len(text) <= 200:  # a button payload
        return True
    return event.intent_name in KEEP_TEXT_INTENTS and len(text) <= MAX_KEPT_CHARS


def redact_events(events: Iterable[Event], new_from: int, redact_loops: set[str]) -> Iterator[Event]:
    """Yield events ``new_from`` onwards, redacted; earlier events only set the loop state."""
    active_loop = None
    for index, event in enumerate(events):
        if isinstance(event, ActiveLoop):
            active_loop = event.name
        if index < new_from:
            continue
        if isinstance(event, UserUttered):
            event = copy.deepcopy(event)
            event.metadata = {}
            event.parse_data = {**event.parse_data, "metadata": {}}
            if not keeps_text(event, active_loop, redact_loops):
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
        from bot.settings import load

        url = load().tracker_url or host
        if url:
            super().__init__(domain, host=url, event_broker=event_broker, **kwargs)
        else:
            db = str(var_dir() / "tracker.db")
            super().__init__(domain, dialect="sqlite", db=db, event_broker=event_broker, **kwargs)

    def _additional_events(self, session, tracker) -> Iterator[Event]:
        events = list(tracker.events)
        new_count = len(list(super()._additional_events(session, tracker)))
        return redact_events(events, len(events) - new_count, self.redact_loops)
