"""The tracker store loads a long conversation as a window with the state it had where the
window starts (addons/tracker_store.py): the same slots, form, pause and recent history as
the whole conversation, each event stored once, on a real SQLite tracker database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    LoopInterrupted,
    SessionStarted,
    SlotSet,
    UserUttered,
)

from addons.tracker_store import LOADED, REDACTED, PeerScopeTrackerStore
from bot.paths import PROJECT_ROOT

SENDER = "rest:pat"


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(PROJECT_ROOT / "domain"))


def _store(domain, where, window: int) -> PeerScopeTrackerStore:
    """A store on the SQLite file in directory ``where``, or on the database URL ``where``."""
    url = where if isinstance(where, str) else f"sqlite:///{where / 'tracker.db'}"
    return PeerScopeTrackerStore(domain, host=url, window_turns=window, redact_loops=["note_form", "wrsp_form"])


def _said(text: str, intent: str) -> list:
    return [UserUttered(text, intent={"name": intent, "confidence": 0.99})]


def _turns() -> list[list]:
    """A conversation, one list of events per message: greetings, a note form that is
    interrupted, a WRSP form left active across many turns."""
    turns = [[ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]]
    for n in range(6):
        turns.append(
            _said("hi", "greet")
            + [
                ActionExecuted("action_greet"),
                BotUttered(f"Hello {n}"),
                SlotSet("note_id", float(n)),
                ActionExecuted("action_listen"),
            ]
        )
    turns.append(
        _said("check my note", "check_note")
        + [
            ActionExecuted("action_note_prepare"),
            SlotSet("note_mode", "new"),
            ActionExecuted("note_form"),
            ActiveLoop("note_form"),
            SlotSet("requested_slot", "note_received"),
            ActionExecuted("action_listen"),
        ]
    )
    turns.append(
        _said("help", "help")
        + [ActionExecuted("utter_menu"), BotUttered("menu"), LoopInterrupted(True), ActionExecuted("action_listen")]
    )
    turns.append(
        _said("cancel", "cancel")
        + [
            ActionExecuted("action_cancel"),
            ActiveLoop(None),
            SlotSet("requested_slot", None),
            SlotSet("note_mode", None),
            ActionExecuted("action_listen"),
        ]
    )
    turns.append(
        _said("start a wrsp", "wrsp_start")
        + [
            ActionExecuted("action_wrsp_start"),
            SlotSet("wrsp_plan_id", 4.0),
            ActionExecuted("wrsp_form"),
            ActiveLoop("wrsp_form"),
            SlotSet("requested_slot", "wrsp_answer"),
            ActionExecuted("action_listen"),
        ]
    )
    for n in range(12):
        turns.append(
            _said(f"answer number {n} about my plan", "inform")
            + [
                ActionExecuted("wrsp_form"),
                SlotSet("wrsp_field", f"field{n}"),
                BotUttered(f"question {n + 1}"),
                ActionExecuted("action_listen"),
            ]
        )
    return turns


async def _converse(store: PeerScopeTrackerStore, domain, turns) -> None:
    """Each message as Rasa handles it: load the tracker, add the turn's events, save."""
    for events in turns:
        tracker = await store.get_or_create_tracker(SENDER, append_action_listen=False)
        for event in events:
            tracker.update(event, domain)
        await store.save(tracker)


def _state(tracker):
    loop = tracker.active_loop
    return (
        tracker.current_slot_values(),
        loop and (loop.name, loop.is_interrupted, loop.rejected),
        tracker.is_paused(),
        tracker.latest_message.text,
        tracker.latest_action_name,
    )


@pytest.mark.parametrize("window", [1, 2, 3, 5])
async def test_a_window_has_the_state_and_recent_history_of_the_whole_conversation(domain, tmp_path, window):
    turns = _turns()
    store = _store(domain, tmp_path, window)
    await _converse(store, domain, turns)
    whole = await _store(domain, tmp_path, 0).retrieve(SENDER)
    for loaded in (
        await store.retrieve(SENDER),
        await _store(domain, tmp_path, window).retrieve(SENDER),
    ):  # kept state / replayed
        assert getattr(loaded, LOADED) == len(loaded.events) < len(whole.events)
        assert _state(loaded) == _state(whole)
        assert loaded.current_slot_values()["wrsp_plan_id"] == 4.0 and loaded.active_loop_name == "wrsp_form"
        # the policies see the same recent turns
        assert loaded.past_states(domain)[-2:] == whole.past_states(domain)[-2:]
    # every event was stored once, redacted as when the whole conversation is loaded
    (tmp_path / "whole").mkdir()
    await _converse(_store(domain, tmp_path / "whole", 0), domain, turns)
    assert _stored(tmp_path) == _stored(tmp_path / "whole")
    assert len(_stored(tmp_path)) == sum(len(t) for t in turns)
    assert sum(REDACTED in data for _, data in _stored(tmp_path)) == 15  # in the forms, and "check my note"


def _stored(where) -> list[tuple[str, str]]:
    url = where if isinstance(where, str) else f"sqlite:///{where / 'tracker.db'}"
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sa.text("select type_name, data from events order by id"))]
    finally:
        engine.dispose()


@pytest.mark.postgres
async def test_a_window_on_postgresql(domain, postgres):
    turns = _turns()
    windowed, whole = postgres.create_database(), postgres.create_database()
    await _converse(_store(domain, windowed, 2), domain, turns)
    await _converse(_store(domain, whole, 0), domain, turns)
    loaded = await _store(domain, windowed, 2).retrieve(SENDER)
    assert len(loaded.events) < len(turns[0]) + 3 * 5 + 8
    assert _state(loaded) == _state(await _store(domain, whole, 0).retrieve(SENDER))
    assert _stored(windowed) == _stored(whole)


async def test_every_window_start_on_the_way_matches_the_whole_conversation(domain, tmp_path):
    turns = _turns()
    for path in (tmp_path / "w", tmp_path / "f"):
        path.mkdir()
    windowed, whole = _store(domain, tmp_path / "w", 2), _store(domain, tmp_path / "f", 0)
    for n in range(len(turns)):
        await _converse(windowed, domain, turns[n : n + 1])
        await _converse(whole, domain, turns[n : n + 1])
        assert _state(await windowed.retrieve(SENDER)) == _state(await whole.retrieve(SENDER)), n


async def test_short_conversations_and_the_full_tracker_are_loaded_whole(domain, tmp_path):
    turns = _turns()
    store = _store(domain, tmp_path, 50)
    await _converse(store, domain, turns)
    stored = sum(len(t) for t in turns)
    tracker = await store.retrieve(SENDER)
    assert len(tracker.events) == stored - 1  # Rasa's session starts at session_started
    windowed = _store(domain, tmp_path, 2)
    assert len((await windowed.retrieve_full_tracker(SENDER)).events) == stored


def test_the_window_setting(domain, tmp_path, monkeypatch):
    from bot.settings import SettingError

    assert _store(domain, tmp_path, 4).window_turns == 4
    monkeypatch.setenv("PEERSCOPE_TRACKER_WINDOW", "0")
    assert _store(domain, tmp_path, 4).window_turns == 0
    monkeypatch.setenv("PEERSCOPE_TRACKER_WINDOW", "ten")
    with pytest.raises(SettingError, match="PEERSCOPE_TRACKER_WINDOW must be a whole number"):
        _store(domain, tmp_path, 4)


def _delete_events(where, first_id: int, last_id: int) -> None:
    url = where if isinstance(where, str) else f"sqlite:///{where / 'tracker.db'}"
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("delete from events where id >= :a and id <= :b"), {"a": first_id, "b": last_id})
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_two_instances_serving_one_conversation_in_turn_agree_with_the_database(
    domain, tmp_path, backend, request
):
    """Two Rasa instances behind HAProxy (each with its own store and kept state) serve the
    conversation's messages alternately; each window is what a process with nothing kept
    loads, and what it keeps is dropped when events it rests on are deleted behind its back."""
    if backend == "sqlite":
        where, whole_where = tmp_path / "w", tmp_path / "f"
        for path in (where, whole_where):
            path.mkdir()
    else:
        postgres = request.getfixturevalue("postgres")
        where, whole_where = postgres.create_database(), postgres.create_database()
    turns = _turns()
    one, two = _store(domain, where, 2), _store(domain, where, 2)
    whole = _store(domain, whole_where, 0)
    for n, events in enumerate(turns):
        await _converse(one if n % 2 else two, domain, [events])
        await _converse(whole, domain, [events])
        for store in (one, two):
            assert _state(await store.retrieve(SENDER)) == _state(await whole.retrieve(SENDER)), n
    # retention (or an operator) deletes the greetings, which set note_id, while both keep state
    first_greeting = len(turns[0]) + 1
    _delete_events(where, first_greeting, first_greeting + sum(len(t) for t in turns[1:7]) - 1)
    fresh = await _store(domain, where, 2).retrieve(SENDER)
    assert fresh.current_slot_values()["note_id"] is None
    for store in (one, two):
        assert _state(await store.retrieve(SENDER)) == _state(fresh)
    await _converse(
        one,
        domain,
        [_said("hi", "greet") + [ActionExecuted("action_greet"), BotUttered("Hello"), ActionExecuted("action_listen")]],
    )
    assert _state(await two.retrieve(SENDER)) == _state(await _store(domain, where, 2).retrieve(SENDER))


async def test_a_save_waiting_for_the_database_does_not_hold_up_other_conversations(domain, tmp_path):
    """While another writer holds the database, a save waits for it without stopping the
    event loop (other conversations go on), then stores every event once."""
    import asyncio
    import sqlite3

    turns = _turns()[:2]
    store = _store(domain, tmp_path, 50)
    await _converse(store, domain, turns[:1])
    tracker = await store.get_or_create_tracker(SENDER, append_action_listen=False)
    for event in turns[1]:
        tracker.update(event, domain)
    other = sqlite3.connect(str(tmp_path / "tracker.db"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # the write lock, as another process's commit would hold it
    saving = asyncio.create_task(store.save(tracker))
    await asyncio.sleep(0.2)  # Rasa's own save would hold the event loop here until SQLite gave up
    assert not saving.done()
    other.execute("COMMIT")
    other.close()
    await asyncio.wait_for(saving, 30)
    assert len((await store.retrieve_full_tracker(SENDER)).events) == len(turns[0]) + len(turns[1])
