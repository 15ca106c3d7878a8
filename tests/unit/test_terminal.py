"""The terminal chat's rendering (the loop itself runs against live servers in tests/e2e)."""

from __future__ import annotations

from bot.channels.rest import Reply
from bot.channels.terminal import render


def test_render_numbers_buttons_across_messages():
    text, buttons = render([
        Reply(text="Pick one", buttons=[{"title": "A", "payload": "/a"}]),
        Reply(text="or", buttons=[{"title": "B", "payload": "/b"}]),
    ])
    assert text == "Pick one\n  [1] A\nor\n  [2] B"
    assert [b["payload"] for b in buttons] == ["/a", "/b"]
