"""`make bench-load`: PeerScope under concurrent users, against Rasa's own starter bot in the
same run (the machine is shared, so only the ratios are comparable between runs).

    python scripts/bench_load.py [--users 20] [--turns 12] [--long 300]

1. Starts PeerScope's servers (one Rasa, one action server; SQLite under a temporary
   PEERSCOPE_VAR_DIR, or PEERSCOPE_DATABASE_URL / PEERSCOPE_TRACKER_URL if set) and the
   starter bot (`rasa init --no-prompt`, trained once into var/cache/starter-bot).
2. USERS simulated people each hold a conversation of TURNS messages at once, on each bot;
   every message's round-trip time is recorded.
3. One person holds a LONG conversation with PeerScope: per-turn latency at the start and
   at the end (does a long tracker slow each turn down?).

Prints p50/p95 per message, throughput, the PeerScope/starter ratios, and writes
var/results/bench_load.json. Nothing here is asserted: it is a measurement.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bot.channels.servers import ServerSet, free_port, rasa_env  # noqa: E402

PEERSCOPE_SCRIPT = [
    "hi",
    "can I give the mom I work with a ride to her son's school meeting?",
    "where does it say that?",
    "how many people can I have in a peer support group?",
    "cancel",
    "can I accept a $5 coffee gift card from a client?",
    "help",
    "what can you do",
    "can I tell my client to stop taking her meds?",
    "thanks",
    "is it ok to go to the movies with someone I support?",
    "bye",
]
STARTER_SCRIPT = ["hi", "I am sad", "yes", "hello", "I am great", "bye", "are you a bot?",
                  "good morning", "no", "goodbye", "hey there", "very good"]


def say(message: str) -> None:
    print(f"[bench-load] {message}", flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def starter_bot(cache: Path, port: int) -> subprocess.Popen:
    """Rasa's starter bot (rasa init), trained once and cached."""
    project = cache / "starter-bot"
    if not list((project / "models").glob("*.tar.gz")):
        say("creating and training Rasa's starter bot (rasa init; about 2 minutes, once)")
        project.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "rasa", "init", "--no-prompt", "--init-dir", str(project)],
                       cwd=project, env=rasa_env(), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    model = sorted((project / "models").glob("*.tar.gz"))[-1]
    log = open(cache / "starter-bot.log", "ab")
    return subprocess.Popen([sys.executable, "-m", "rasa", "run", "--model", str(model), "--port", str(port),
                             "--interface", "127.0.0.1"], cwd=project, env=rasa_env(), stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


async def converse(client: httpx.AsyncClient, url: str, sender: str, script: list[str], turns: int,
                   sign: bool) -> list[float]:
    from bot.channels.rest import signed_message

    times = []
    for n in range(turns):
        text = script[n % len(script)]
        started = time.perf_counter()
        if sign:
            response = await client.post(url, **signed_message(sender, text))
        else:
            response = await client.post(url, json={"sender": sender, "message": text})
        response.raise_for_status()
        times.append(time.perf_counter() - started)
    return times


async def load(url: str, senders: list[str], script: list[str], turns: int, sign: bool) -> dict:
    async with httpx.AsyncClient(timeout=120) as client:
        started = time.perf_counter()
        results = await asyncio.gather(*(converse(client, url, s, script, turns, sign) for s in senders))
        wall = time.perf_counter() - started
    times = [t for r in results for t in r]
    return {"messages": len(times), "p50_ms": 1000 * statistics.median(times),
            "p95_ms": 1000 * percentile(times, 0.95), "throughput_per_s": len(times) / wall}


def wait_up(url: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise TimeoutError(f"{url} did not come up")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--turns", type=int, default=12, help="messages per user")
    parser.add_argument("--long", type=int, default=300, help="turns of the long conversation (0: skip)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="peerscope-bench-load-"))
    os.environ.setdefault("PEERSCOPE_VAR_DIR", str(work / "var"))
    from bot.store import session_scope, upgrade
    from bot.store import staff as repo

    upgrade()
    senders = [f"rest:load{i}" for i in range(args.users)] + ["rest:long"]
    with session_scope() as session:
        for sender in senders:
            member = repo.add(session, sender.split(":")[1], role="peer", program="adult")
            repo.link_identity(session, member.id, "rest", sender.split(":")[1])
    peerscope = ServerSet(rasa_port=free_port(), action_port=free_port(), log_dir=work / "logs")
    starter_port = free_port()
    starter = starter_bot(ROOT / "var" / "cache", starter_port)
    say(f"starting PeerScope (logs in {work / 'logs'}) and the starter bot")
    peerscope.start()
    try:
        peerscope.wait_ready(timeout=300)
        wait_up(f"http://127.0.0.1:{starter_port}/")
        webhook = "/webhooks/rest/webhook"
        # one warm-up message each, so model loading is not measured
        asyncio.run(load(peerscope.rasa_url + webhook, senders[:1], ["hi"], 1, True))
        asyncio.run(load(f"http://127.0.0.1:{starter_port}{webhook}", ["warm"], ["hi"], 1, False))
        say(f"{args.users} users x {args.turns} messages on the starter bot")
        base = asyncio.run(load(f"http://127.0.0.1:{starter_port}{webhook}",
                                [f"u{i}" for i in range(args.users)], STARTER_SCRIPT, args.turns, False))
        say(f"{args.users} users x {args.turns} messages on PeerScope")
        ours = asyncio.run(load(peerscope.rasa_url + webhook, senders[:-1], PEERSCOPE_SCRIPT, args.turns, True))
        report = {"users": args.users, "turns": args.turns, "starter_bot": base, "peerscope": ours,
                  "p95_ratio": ours["p95_ms"] / base["p95_ms"],
                  "throughput_ratio": ours["throughput_per_s"] / base["throughput_per_s"]}
        if args.long:
            say(f"one conversation of {args.long} turns on PeerScope")
            async def long_run() -> list[float]:
                async with httpx.AsyncClient(timeout=120) as client:
                    return await converse(client, peerscope.rasa_url + webhook, senders[-1], PEERSCOPE_SCRIPT,
                                          args.long, True)

            times = asyncio.run(long_run())
            first, last = statistics.median(times[:10]), statistics.median(times[-10:])
            report["long_conversation"] = {"turns": args.long, "first_10_median_ms": 1000 * first,
                                           "last_10_median_ms": 1000 * last, "ratio": last / first}
    finally:
        peerscope.stop()
        starter.terminate()
        starter.wait(timeout=30)
    print(json.dumps(report, indent=1))
    print(f"p95 per message: PeerScope {ours['p95_ms']:.0f} ms vs starter bot {base['p95_ms']:.0f} ms "
          f"(ratio {report['p95_ratio']:.2f}; target <= 1.5)")
    print(f"throughput: PeerScope {ours['throughput_per_s']:.1f}/s vs starter bot {base['throughput_per_s']:.1f}/s "
          f"(ratio {report['throughput_ratio']:.2f}; target >= 0.7)")
    if "long_conversation" in report:
        lc = report["long_conversation"]
        print(f"{lc['turns']}-turn conversation: median turn {lc['first_10_median_ms']:.0f} ms at the start, "
              f"{lc['last_10_median_ms']:.0f} ms at the end (ratio {lc['ratio']:.2f}; target <= 1.2)")
    out = ROOT / "var" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_load.json").write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
