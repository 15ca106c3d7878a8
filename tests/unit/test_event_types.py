"""addons/event_types.py finds the same event class as Rasa's own search, for every event type."""

from __future__ import annotations

import pytest
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered, deserialise_events
from rasa.shared.utils.common import all_subclasses

from addons import event_types

TYPE_NAMES = sorted({cls.type_name for cls in all_subclasses(Event)})


@pytest.mark.parametrize("type_name", TYPE_NAMES)
def test_every_event_type_resolves_to_rasas_class(type_name):
    assert event_types.resolve_by_type(type_name) is event_types.RASA_RESOLVE_BY_TYPE(type_name)
    assert event_types.resolve_by_type(type_name) is event_types.RASA_RESOLVE_BY_TYPE(type_name)  # cached


def test_unknown_names_and_defaults_behave_as_in_rasa():
    with pytest.raises(ValueError, match="Unknown event name"):
        event_types.resolve_by_type("no_such_event")
    assert event_types.resolve_by_type("no_such_event", SlotSet) is SlotSet
    assert event_types.resolve_by_type("topic") is None


def test_installed_rasa_deserialises_events_with_it():
    event_types.install()
    assert event_types.installed()
    original = [
        UserUttered("hi", intent={"name": "greet", "confidence": 1.0}),
        ActionExecuted("action_listen"),
        SlotSet("note_id", 2.0),
    ]
    assert deserialise_events([e.as_dict() for e in original]) == original
