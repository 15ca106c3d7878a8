"""Find Rasa event classes by type name from a table instead of a search on every event.

Rasa 3.6 turns each stored or received event (a dict) into an object with
``Event.resolve_by_type(type_name)``, which walks the whole tree of ``Event`` subclasses
(``all_subclasses``, with an ``inspect.isabstract`` check on each) for every single event.
Loading a conversation's events from the tracker store did this for every event on every
message: about a quarter of the tracker store's read time here. ``install()`` puts a cache in
front of Rasa's own method: a name is looked up once with Rasa's method, then from a table;
unknown names and defaults go to Rasa's method every time, as before.

``addons.rasa_server`` calls ``install()`` before Rasa starts.
"""

from __future__ import annotations

from typing import Optional, Type

from rasa.shared.core.events import Event

# Rasa's own method, kept for the fallback and for the tests that compare the two.
RASA_RESOLVE_BY_TYPE = Event.__dict__["resolve_by_type"].__func__
_FOUND: dict[str, Type[Event]] = {}


def resolve_by_type(type_name: str, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    found = _FOUND.get(type_name)
    if found is not None:
        return found
    cls = RASA_RESOLVE_BY_TYPE(type_name, default)
    if cls is not None and cls is not default and getattr(cls, "type_name", None) == type_name:
        _FOUND[type_name] = cls
    return cls


def install() -> None:
    Event.resolve_by_type = staticmethod(resolve_by_type)


def installed() -> bool:
    return Event.__dict__["resolve_by_type"].__func__ is resolve_by_type
