"""Action calls over kept-alive connections: one HTTP client per endpoint, not one per call.

Rasa 3.6 sends each action call through ``EndpointConfig.request``, which opens a new
``aiohttp.ClientSession`` for every request and closes it after: a new TCP connection, and a
new session and connector to build and tear down, for every call. That was about 4 ms of
the Rasa process's CPU per call here (scripts/profile_turn.py, "action call: HTTP"), on a
turn of about 45 ms, half of it turning the tracker into JSON with the standard library.
``install()`` makes ``EndpointConfig.session`` hand out one session per endpoint and event
loop, which aiohttp's connection pool then reuses, and which writes JSON with ujson (a Rasa
dependency; the same JSON, several times faster). Every call still goes through Rasa's own
``request`` (headers, compression, timeout, errors) unchanged.

An idle connection is dropped after ``IDLE_SECONDS``, well before the action server
(Sanic: 5 s) or HAProxy (``timeout client``) would close it, so a call is not sent down a
connection the other end is closing. A connection that dies anyway fails that one call, as
a refused connection did before; a repeated call is answered once (addons/action_once.py).

``addons.rasa_server`` calls ``install()`` before Rasa starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref

import aiohttp
import ujson
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.utils.endpoints import EndpointConfig

IDLE_SECONDS = 2.0

# Rasa's own method, kept for the test that compares the two
RASA_SESSION = EndpointConfig.__dict__["session"]


def _shared(endpoint: EndpointConfig) -> aiohttp.ClientSession:
    loop = asyncio.get_running_loop()
    # kept on the endpoint (it is not hashable), per event loop; a loop that ends takes its entry
    per_loop = endpoint.__dict__.setdefault("_peerscope_sessions", weakref.WeakKeyDictionary())
    session = per_loop.get(loop)
    if session is None or session.closed:
        login = endpoint.basic_auth
        session = aiohttp.ClientSession(  # the headers, auth and timeout of Rasa's session
            headers=endpoint.headers,
            auth=aiohttp.BasicAuth(login["username"], login["password"]) if login else None,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=IDLE_SECONDS),
            json_serialize=ujson.dumps,
        )
        per_loop[loop] = session
    return session


def _session(self: EndpointConfig) -> contextlib.nullcontext:
    # Rasa's request does ``async with self.session() as session``: the shared session, not closed after
    return contextlib.nullcontext(_shared(self))


def install() -> None:
    EndpointConfig.session = _session


def installed() -> bool:
    return EndpointConfig.__dict__["session"] is _session
