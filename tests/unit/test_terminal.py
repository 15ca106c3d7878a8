"""The terminal chat's rendering (the loop itself runs against live servers in tests/e2e)."""

from __future__ import annotations

from bot.channels.rest import Reply
from bot.channels.terminal import render


def test_render_numbers_buttons_across_messages():
    text, buttons = render(
        [
            Reply(text="Pick one", buttons=[{"title": "A", "payload": "/a"}]),
            Reply(text="or", buttons=[{"title": "B", "payload": "/b"}]),
        ]
    )
    assert text == "Pick one\n  [1] A\nor\n  [2] B"
    assert [b["payload"] for b in buttons] == ["/a", "/b"]


def test_a_pasted_multi_line_note_is_one_message_and_is_kept_in_the_in_memory_history():
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from bot.channels.terminal import terminal_reader

    keys = create_pipe_input()
    try:
        read = terminal_reader(force=True, input=keys, output=DummyOutput())
        keys.send_text("\x1b[200~Met J at the library.\nShe asked about her meds.\x1b[201~\r")
        assert read("you> ") == "Met J at the library.\nShe asked about her meds."
        history = read.__self__.history  # what the up arrow recalls; in memory, never in a file
        assert type(history).__name__ == "InMemoryHistory"
        assert list(history.get_strings()) == ["Met J at the library.\nShe asked about her meds."]
    finally:
        keys.close()


def test_a_pipe_reads_plain_lines(monkeypatch):
    import io

    from bot.channels.terminal import terminal_reader

    monkeypatch.setattr("sys.stdin", io.StringIO("hi\n"))
    assert terminal_reader() is input
