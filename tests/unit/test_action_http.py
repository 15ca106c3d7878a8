"""Action calls over kept-alive connections (addons/action_http.py), against a real HTTP
server on loopback: calls share one connection, bodies and errors are what Rasa's own
session gives, and a connection the server has closed is not used again."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from addons import action_http

AUTH = "Basic cmFzYTpwdw=="  # rasa:pw
BODY = {"next_action": "action_x", "tracker": {"latest_message": {"text": "café / naïve ✓"}}, "n": [1, 2.5, None]}

REPLY = {"got": BODY, "token": "t0k", "auth": AUTH}


@pytest.fixture
def rasa_session(monkeypatch):
    """Rasa's own session method while the test runs, whatever another test installed."""
    monkeypatch.setattr(EndpointConfig, "session", action_http.RASA_SESSION)


async def _server(keepalive: float = 75.0):
    """A loopback server that echoes the JSON it gets with the client's port, or fails on
    /fail; and the list of client ports it saw."""
    ports: list[int] = []

    async def echo(request: web.Request) -> web.Response:
        ports.append(request.transport.get_extra_info("peername")[1])
        got = {"got": await request.json(), "token": request.headers.get("X-Token")}
        return web.json_response(dict(got, auth=request.headers.get("Authorization")))

    async def fail(request: web.Request) -> web.Response:
        return web.Response(status=500, text="broken")

    app = web.Application()
    app.router.add_post("/webhook", echo)
    app.router.add_post("/fail", fail)
    runner = web.AppRunner(app, keepalive_timeout=keepalive)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}", ports


async def _calls(url: str, n: int, pause: float = 0.0) -> list:
    endpoint = EndpointConfig(
        url=url + "/webhook", headers={"X-Token": "t0k"}, basic_auth={"username": "rasa", "password": "pw"}
    )
    replies = []
    for _ in range(n):
        replies.append(await endpoint.request(json=BODY, method="post"))
        await asyncio.sleep(pause)
    return replies


async def test_calls_share_one_connection_and_get_the_same_replies(rasa_session):
    runner, url, ports = await _server()
    try:
        before = await _calls(url, 3)
        assert len(set(ports)) == 3  # Rasa's session: a new connection per call
        action_http.install()
        assert action_http.installed()
        ports.clear()
        after = await _calls(url, 3)
        assert len(set(ports)) == 1
        assert after == before == [REPLY] * 3
    finally:
        await runner.cleanup()


async def test_a_failed_call_raises_rasas_error(rasa_session):
    action_http.install()
    runner, url, _ = await _server()
    try:
        with pytest.raises(ClientResponseError) as err:
            await EndpointConfig(url=url + "/fail").request(json=BODY, method="post")
        assert err.value.status == 500
    finally:
        await runner.cleanup()


async def test_a_connection_the_server_closed_is_not_used_again(rasa_session):
    action_http.install()
    runner, url, ports = await _server(keepalive=0.2)  # the server drops idle connections first
    try:
        replies = await _calls(url, 3, pause=0.6)
        assert replies == [REPLY] * 3
        assert len(set(ports)) == 3
    finally:
        await runner.cleanup()
