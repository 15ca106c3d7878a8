"""Where a turn's time goes: one person's conversation against the live servers, timed per
message kind, with a sampling profile of the Rasa process and of the action server.

    python scripts/profile_turn.py [--rounds 8] [--long 0] [--py-spy PATH]

1. Starts PeerScope's servers (one Rasa, one action server; SQLite under a temporary
   PEERSCOPE_VAR_DIR), like `make bench-load`.
2. One person sends ROUNDS rounds of: "hi", a policy question, "where does it say that?",
   "check my note", a 60-word note, "/note_discard" (messages are sent one at a time, so
   each one's time is its own). With --long N, the same person first holds an N-turn
   conversation, so the rounds run on a long tracker.
3. If py-spy is installed (``--py-spy`` or on PATH), both server processes are sampled while
   the rounds run, and their CPU time is split into parts (NLU, policies, tracker store,
   action calls and the reply schema check, the policy engine, the note checker, ...),
   printed per message.

Nothing here is asserted: it is a measurement. The note text is a made-up example.
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bot.channels.servers import ServerSet, free_port  # noqa: E402

NOTE = (
    "Met with member at the library to work on her resume toward her employment goal. "
    "Afterwards I drove her to the food bank in my car since the bus was late. "
    "We practiced what she will say at her interview on Friday."
)
ROUND = [
    ("hi", "hi"),
    ("policy question", "can I give the mom I work with a ride to her son's school meeting?"),
    ("where does it say", "where does it say that?"),
    ("check my note", "check my note"),
    ("note text", NOTE),
    ("discard note", "/note_discard"),
]
FILLER = ["hi", "help", "what can you do", "thanks", "how many people can I have in a peer support group?", "bye"]

# (part, substrings of a frame that put a sample in it); the first part whose substring is
# in any frame of a sample's stack takes the sample.
RASA_PARTS = [
    ("action reply schema check (jsonschema)", ("_validate_action_result", "jsonschema")),
    ("action call: tracker to JSON", ("_action_call_format",)),
    ("action call: HTTP", ("action_endpoint", "aiohttp", "rasa/utils/endpoints.py")),
    ("tracker store: read", ("retrieve (", "_retrieve (")),
    ("tracker store: save (with redaction)", ("save (", "stream_events", "_additional_events")),
    ("NLU: risk check", ("addons/risk.py",)),
    ("NLU: DIET and featurizers", ("rasa/nlu/",)),
    (
        "policies (featurising the tracker, rules)",
        ("rasa/core/policies/", "rasa/core/featurizers/", "past_states", "states_for_tracker_history"),
    ),
    ("tracker copies and replays", ("rasa/shared/core/trackers.py", "rasa/shared/core/events.py")),
    ("graph runner (dask)", ("dask/", "rasa/engine/")),
    ("processor, channel and HTTP server", ("rasa/core/", "sanic", "addons/channels.py")),
]
ACTION_PARTS = [
    ("policy engine", ("bot/knowledge/",)),
    ("note checker", ("bot/notes/",)),
    ("database", ("sqlalchemy", "bot/store/")),
    ("tracker JSON in, events out", ("json", "rasa_sdk/interfaces.py", "rasa_sdk/executor.py")),
    ("HTTP server", ("sanic",)),
]
# the event loop waiting for work; a worker thread (database calls) waiting for work
IDLE = ("serve (sanic/server/runners.py", "_worker (concurrent/futures/thread.py")


def say(message: str) -> None:
    print(f"[profile-turn] {message}", flush=True)


def send(client: httpx.Client, url: str, sender: str, text: str) -> float:
    from bot.channels.rest import signed_message

    started = time.perf_counter()
    response = client.post(url, **signed_message(sender, text))
    response.raise_for_status()
    return time.perf_counter() - started


def parts(raw: Path, table: list[tuple[str, tuple[str, ...]]], rate: int) -> dict[str, float]:
    """Seconds of CPU per part, from py-spy's raw (collapsed) output."""
    seconds: dict[str, float] = collections.Counter()
    if not raw.exists():
        return {}
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit() or stack.rsplit(";", 1)[-1].startswith(IDLE):
            continue
        part = next((name for name, needles in table if any(n in stack for n in needles)), "other")
        seconds[part] += int(count) / rate
    return dict(seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--long", type=int, default=0, help="turns of conversation before the rounds")
    parser.add_argument("--py-spy", default=shutil.which("py-spy"))
    parser.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="peerscope-profile-"))
    os.environ.setdefault("PEERSCOPE_VAR_DIR", str(work / "var"))
    from bot.store import session_scope, upgrade
    from bot.store import staff as repo

    upgrade()
    sender = "rest:profiler"
    with session_scope() as session:
        member = repo.add(session, "profiler", role="peer", program="adult")
        repo.link_identity(session, member.id, "rest", "profiler")
    servers = ServerSet(
        rasa_port=free_port(), action_port=free_port(), log_dir=work / "logs", env={"PEERSCOPE_ACTION_TIMING": "1"}
    )
    say(f"starting PeerScope (logs in {work / 'logs'})")
    started = time.perf_counter()
    servers.start()
    spies: list[tuple[str, subprocess.Popen, Path]] = []
    times: dict[str, list[float]] = collections.defaultdict(list)
    calls: dict[str, list[list[str]]] = collections.defaultdict(list)
    actions_log = work / "logs" / "actions.log"

    def action_calls() -> list[str]:
        """Action calls logged since the last look (PEERSCOPE_ACTION_TIMING)."""
        lines = actions_log.read_text(errors="replace").splitlines()
        new, action_calls.seen = lines[action_calls.seen :], len(lines)
        return [line.split("action call ", 1)[1] for line in new if "action call " in line]

    action_calls.seen = 0
    try:
        servers.wait_ready(timeout=300)
        say(f"servers up after {time.perf_counter() - started:.0f} s")
        url = servers.rasa_url + "/webhooks/rest/webhook"
        with httpx.Client(timeout=120) as client:
            first = {}
            for kind, text in ROUND:  # the first message of each kind after the start
                first[kind] = send(client, url, sender, text)
            say(
                "first message of each kind after the start: "
                + ", ".join(f"{k} {1000 * v:.0f} ms" for k, v in first.items())
            )
            for n in range(args.long):
                send(client, url, sender, FILLER[n % len(FILLER)])
            if args.py_spy:
                for name in ("rasa", "actions"):
                    raw = work / f"{name}.pyspy.txt"
                    spies.append(
                        (
                            name,
                            subprocess.Popen(
                                [
                                    args.py_spy,
                                    "record",
                                    "--pid",
                                    str(servers.processes[name].pid),
                                    "--rate",
                                    str(args.rate),
                                    "--format",
                                    "raw",
                                    "--output",
                                    str(raw),
                                    "--nonblocking",
                                ],
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL,
                            ),
                            raw,
                        )
                    )
                time.sleep(2)
            action_calls()
            for _ in range(args.rounds):
                for kind, text in ROUND:
                    times[kind].append(send(client, url, sender, text))
                    calls[kind].append(action_calls())
    finally:
        for _name, spy, _raw in spies:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=60)
        servers.stop()
    messages = sum(len(v) for v in times.values())
    print(f"\nmedian round trip per message kind ({args.rounds} each, after {args.long} turns):")
    for kind, values in times.items():
        made = calls[kind][-1] if calls[kind] else []
        print(
            f"  {kind:20s} {1000 * statistics.median(values):6.0f} ms   {len(made)} action call(s): " + ", ".join(made)
        )
    for name, _spy, raw in spies:
        table = RASA_PARTS if name == "rasa" else ACTION_PARTS
        seconds = parts(raw, table, args.rate)
        total = sum(seconds.values())
        print(f"\n{name} process CPU: {1000 * total / max(messages, 1):.0f} ms per message, split:")
        for part, value in sorted(seconds.items(), key=lambda kv: -kv[1]):
            print(f"  {part:58s} {1000 * value / messages:6.1f} ms/message  {100 * value / total:5.1f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
