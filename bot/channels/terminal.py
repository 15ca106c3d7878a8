"""A terminal chat with the assistant over Rasa's REST channel."""

from __future__ import annotations

import sys
from typing import Callable

from bot.channels.rest import RasaUnavailable, Reply, RestClient

BANNER = (
    "PeerScope terminal chat. Type a message and press Enter; type the number of a button to press it;\n"
    '"help" shows the menu, /quit or Ctrl-D leaves.'
)


def terminal_reader(force: bool = False, **session_args) -> Callable[[str], str]:
    """How the chat reads a line. For a terminal, prompt_toolkit: a multi-line paste arrives
    as one message (bracketed paste) and the arrow keys recall earlier messages, kept in
    memory only (they may be notes). For a pipe, plain input()."""
    if not force and not (sys.stdin.isatty() and sys.stdout.isatty()):
        return input
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import InMemoryHistory

    return PromptSession(history=InMemoryHistory(), **session_args).prompt


def render(replies: list[Reply]) -> tuple[str, list[dict[str, str]]]:
    """The text to print for a turn, and the buttons offered (numbered in the text)."""
    lines: list[str] = []
    buttons: list[dict[str, str]] = []
    for reply in replies:
        if reply.text:
            lines.append(reply.text)
        for button in reply.buttons:
            buttons.append(button)
            lines.append(f"  [{len(buttons)}] {button.get('title', button.get('payload', ''))}")
    return "\n".join(lines), buttons


def chat_loop(
    client: RestClient,
    sender: str,
    read: Callable[[str], str] = input,
    write: Callable[[str], None] = print,
) -> None:
    write(BANNER)
    buttons: list[dict[str, str]] = []
    while True:
        try:
            line = read("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            write("")
            return
        if line in ("/quit", "/exit"):
            return
        if not line:
            continue
        if line.isdigit() and 1 <= int(line) <= len(buttons):
            line = buttons[int(line) - 1].get("payload", line)
        try:
            replies = client.send(sender, line)
        except RasaUnavailable:
            write("peerscope> The assistant isn't answering right now. Try again in a moment.")
            continue
        text, buttons = render(replies)
        write("peerscope> " + (text or "(no reply)"))
