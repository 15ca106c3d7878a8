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

A turn's cost does not grow with the conversation. Rasa loads every event of the current
session on every message, replays them, featurises them for the policies and sends them all
to the action server on every action call, so "hi" cost 73 ms on a 149-event conversation
and 368 ms on a 1,973-event one. This store loads a *window*: the events of the last
``window_turns`` user messages (endpoints.yml, or ``PEERSCOPE_TRACKER_WINDOW``; 0 loads
everything), preceded by a few synthetic events that recreate the state the conversation
had where the window starts (slot values, the active form, a paused conversation). The
policies look only at the last few turns (the longest rule has two), so they predict the
same; the actions read slots and the latest message. That state is computed by replaying
the events before the window once, then kept per conversation and moved forward one turn
at a time (a process that did not compute it, after a restart or on another instance,
replays once); where the user messages are is also kept per conversation and brought up to
date from the events added since, so no query scans the whole conversation. Several Rasa
instances may serve one conversation in turn (behind HAProxy, with Redis's lock so never at
once): what one process keeps is brought up to date with the events the others added, and
checked against the database (a count of the events it rests on) before each use.
Nothing stored changes: only new events are written (and redacted), and
``retrieve_full_tracker`` (the HTTP API's tracker) still returns every event.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Iterable, Iterator

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    BotUttered,
    ConversationPaused,
    Event,
    LoopInterrupted,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy import func as sa_func

from bot.paths import var_dir

REDACTED = "[redacted]"
# Messages whose words carry no health information when they are short.
KEEP_TEXT_INTENTS = frozenset(
    {
        "greet",
        "goodbye",
        "help",
        "what_can_you_do",
        "bot_challenge",
        "thank",
        "cancel",
        "note_submit",
        "note_discard",
        "note_details",
        "ask_policy_start",
        "ask_source",
        "ask_full_section",
        "onboarding_start",
        "onboarding_next",
        "onboarding_quiz",
        "onboarding_status",
        "review_queue",
        "wrsp_start",
        "wrsp_confirm",
        "wrsp_change",
        "wrsp_due",
        "risk_alerts",
    }
)
MAX_KEPT_CHARS = 60
DEFAULT_WINDOW_TURNS = 10
# conversations whose window state is kept in memory (a few hundred bytes each)
MAX_CACHED_CONVERSATIONS = 5000
# set on a tracker this store loaded: how many of its events are stored or synthetic
LOADED = "_peerscope_loaded_events"


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


def state_events(tracker: DialogueStateTracker, timestamp: float) -> list[dict[str, Any]]:
    """Events that recreate ``tracker``'s state on an empty tracker.

    With a form active, they start with the turn that opened it (the user message and the
    actions up to the form's activation), as the whole conversation's history looks to the
    policies while a form runs (Rasa folds a form's later turns into that one). Then the slot
    values that differ from what those events set, the form's interrupted/rejected flags, and
    a pause. Events copied from the conversation keep their times; the others get ``timestamp``.
    """
    events: list[Event] = []
    loop = tracker.active_loop
    if loop is not None and loop.name:
        applied = tracker.applied_events()
        opened = next(
            (
                i
                for i in range(len(applied) - 1, -1, -1)
                if isinstance(applied[i], ActiveLoop) and applied[i].name == loop.name
            ),
            None,
        )
        if opened is None:
            events = [ActionExecuted(loop.name, timestamp=timestamp), ActiveLoop(loop.name, timestamp=timestamp)]
        else:
            said = next((i for i in range(opened, -1, -1) if isinstance(applied[i], UserUttered)), opened)
            start = next((i for i in range(said, -1, -1) if isinstance(applied[i], ActionExecuted)), said)
            events = [copy.deepcopy(e) for e in applied[start : opened + 1]]
    replayed = DialogueStateTracker.from_events(tracker.sender_id, events, tracker.slots.values())
    fixes: list[Event] = [
        SlotSet(name, slot.value) for name, slot in tracker.slots.items() if replayed.slots[name].value != slot.value
    ]
    if loop is not None and loop.name:
        if loop.is_interrupted:
            fixes.append(LoopInterrupted(True))
        if loop.rejected:
            fixes.append(ActionExecutionRejected(loop.name))
    if tracker.is_paused():
        fixes.append(ConversationPaused())
    for event in fixes:
        event.timestamp = timestamp
    return [event.as_dict() for event in events + fixes]


# any fixed number: the PostgreSQL advisory lock taken while a tracker store creates its tables
TABLES_LOCK = 0x7065657273636F70  # "peerscop"


@contextmanager
def _one_at_a_time(url: str):
    """On PostgreSQL, hold an advisory lock while the tables are created, so that several Rasa
    instances starting at once (a cluster) do not race on CREATE TABLE; elsewhere nothing."""
    if not url.startswith("postgresql"):
        yield
        return
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": TABLES_LOCK})
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": TABLES_LOCK})
    finally:
        engine.dispose()


class PeerScopeTrackerStore(SQLTrackerStore):
    def __init__(
        self,
        domain=None,
        host: str | None = None,
        event_broker=None,
        redact_loops: list[str] | None = None,
        window_turns: int | None = None,
        **kwargs: Any,
    ) -> None:
        self.redact_loops = set(redact_loops or [])
        from bot.settings import load

        settings = load()
        configured = DEFAULT_WINDOW_TURNS if window_turns is None else int(window_turns)
        self.window_turns = configured if settings.tracker_window is None else settings.tracker_window
        # sender id -> (id of the session's first event, id of the window's first event, state events)
        self._window_states: OrderedDict[str, tuple[int, int, list[dict[str, Any]]]] = OrderedDict()
        # sender id -> (highest event id seen, id of the session's first event, [(id, type)],
        #               number of events from the session's first to the highest id seen)
        self._marks: OrderedDict[str, tuple[int, int | None, list[tuple[int, str]], int]] = OrderedDict()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tracker-save")
        url = settings.tracker_url or host
        if url:
            with _one_at_a_time(url):  # instances starting together must not both create the tables
                super().__init__(domain, host=url, event_broker=event_broker, **kwargs)
        else:
            db = str(var_dir() / "tracker.db")
            super().__init__(domain, dialect="sqlite", db=db, event_broker=event_broker, **kwargs)
        if self.engine.dialect.name == "sqlite" and self.engine.url.database not in (None, "", ":memory:"):
            # Rasa's engine opens the file (and reads its schema) anew for every session
            from sqlalchemy.orm import sessionmaker

            from bot.store.db import get_engine

            self.engine.dispose()
            self.engine = get_engine(str(self.engine.url))
            self.sessionmaker = sessionmaker(bind=self.engine)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The current session's tracker, loaded as a window when it is longer than
        ``window_turns`` user messages (see the module docstring)."""
        if self.window_turns <= 0 or self.domain is None:
            return await super().retrieve(sender_id)
        event = self.SQLEvent
        with self.session_scope() as session:
            first, marks = self._session_marks(session, sender_id)
            users = [i for i, kind in marks if kind == UserUttered.type_name]
            if len(users) <= self.window_turns:
                loaded = None
            else:
                first_user = users[-self.window_turns]
                # start at the action_listen before that message, so a rewind of it stays inside
                start = max(
                    (i for i, kind in marks if kind == ActionExecuted.type_name and i < first_user), default=first_user
                )
                rows = (
                    session.query(event.timestamp, event.data)
                    .filter(event.sender_id == sender_id, event.id >= start)
                    .order_by(event.id)
                    .all()
                )
                state = self._state_before(session, sender_id, first, start, rows[0].timestamp)
                loaded = state + [json.loads(row.data) for row in rows]
        if loaded is None:
            return await super().retrieve(sender_id)
        tracker = DialogueStateTracker.from_dict(sender_id, loaded, self.domain.slots)
        setattr(tracker, LOADED, len(tracker.events))
        return tracker

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        """Rasa's, reading only each event's JSON: an ORM object per event cost more than the
        rest of loading a tracker."""
        with self.session_scope() as session:
            query = self._event_query(
                session, sender_id, fetch_events_from_all_sessions=fetch_events_from_all_sessions
            ).with_entities(self.SQLEvent.data)
            events = [json.loads(data) for (data,) in query]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    def _session_marks(self, session, sender_id: str) -> tuple[int, list[tuple[int, str]]]:
        """(id of the current session's first event, [(id, type) of its user messages and
        actions]). Kept per conversation and brought up to date with the events added since
        (by any process: another Rasa instance may have served the conversation's last turns),
        so finding the window does not scan the whole conversation. As in Rasa, the session
        starts at its latest ``session_started`` event.

        The kept entry is checked against the database on every use: the number of the
        conversation's events from the session's first to the highest id seen must still be
        what it was. Events deleted behind this process's back (retention, an operator) or an
        event with a lower id committed late change that count; the entry (and the kept
        window state, which rests on the same events) is then dropped and rebuilt from the
        database, never used stale."""
        event = self.SQLEvent
        last_id, first, marks, count = self._marks.pop(sender_id, (0, None, [], 0))
        if first is not None:
            stored = (
                session.query(sa_func.count(event.id))
                .filter(event.sender_id == sender_id, event.id >= first, event.id <= last_id)
                .scalar()
            )
            if stored != count:
                last_id, first, marks, count = 0, None, [], 0
                self._window_states.pop(sender_id, None)
        for event_id, kind in (
            session.query(event.id, event.type_name)
            .filter(event.sender_id == sender_id, event.id > last_id)
            .order_by(event.id)
        ):
            if kind == SessionStarted.type_name or first is None:
                first, marks, count = event_id, [], 0
            if kind in (UserUttered.type_name, ActionExecuted.type_name):
                marks.append((event_id, kind))
            last_id = event_id
            count += 1
        self._marks[sender_id] = (last_id, first, marks, count)
        while len(self._marks) > MAX_CACHED_CONVERSATIONS:
            self._marks.popitem(last=False)
        return first, marks

    def _state_before(self, session, sender_id: str, first: int, start: int, timestamp: float) -> list[dict[str, Any]]:
        """The state events for the conversation just before event ``start``: from the kept
        state of an earlier window start in the same session plus the events since, or else
        from every event of the session before ``start``."""
        event = self.SQLEvent
        kept = self._window_states.get(sender_id)
        if kept and kept[0] == first and kept[1] == start:
            self._window_states.move_to_end(sender_id)
            return kept[2]
        if kept and kept[0] == first and kept[1] < start:
            base, since = kept[2], kept[1]
        else:
            base, since = [], first
        rows = (
            session.query(event.data)
            .filter(event.sender_id == sender_id, event.id >= since, event.id < start)
            .order_by(event.id)
            .all()
        )
        before = DialogueStateTracker.from_dict(sender_id, base + [json.loads(r.data) for r in rows], self.domain.slots)
        state = state_events(before, timestamp)
        self._window_states[sender_id] = (first, start, state)
        self._window_states.move_to_end(sender_id)
        while len(self._window_states) > MAX_CACHED_CONVERSATIONS:
            self._window_states.popitem(last=False)
        return state

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's ``SQLTrackerStore.save``, with the database write in a worker thread: its
        commit waits for the disk, and the event loop serves the other conversations
        meanwhile. The conversation's lock is held until the write is done, so its turns are
        still saved in order, and a failed write fails the turn as before."""
        await self.stream_events(tracker)
        await asyncio.get_running_loop().run_in_executor(self._writer, self._write, tracker)
        if getattr(tracker, LOADED, None) is not None:
            setattr(tracker, LOADED, len(tracker.events))  # saved: a second save adds nothing twice

    def _write(self, tracker: DialogueStateTracker) -> None:
        with self.session_scope() as session:
            for event in self._additional_events(session, tracker):
                data = event.as_dict()
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()

    def _additional_events(self, session, tracker) -> Iterator[Event]:
        events = list(tracker.events)
        loaded = getattr(tracker, LOADED, None)
        if loaded is None:  # a tracker this store did not load as a window: Rasa's count
            loaded = len(events) - len(list(super()._additional_events(session, tracker)))
        return redact_events(events, loaded, self.redact_loops)
