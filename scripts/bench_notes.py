"""Benchmark the note checker, the chat risk check and policy answers (one core).

    PYTHONPATH=. python scripts/bench_notes.py [--notes 200] [--words 300]

Builds notes from a mix of in-scope and out-of-scope sentences, warms up, then
prints notes per second and per-note latency (mean, p50, p95); then the risk check
on short chat messages and `peerscope ask` answers after load. Not a test.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

IN_SCOPE = [
    "Met member at the library to work on her resume toward her employment goal.",
    "Member reviewed her WRAP plan and added two early warning signs.",
    "Peer shared her own recovery story and member said it gave him hope.",
    "Member reports taking his medication as prescribed and sleeping better.",
    "FPS listened as mom described a hard week with her son's school.",
    "Member practiced calling Medicaid transportation and booked her own ride.",
    "Writer gave the consumer the Legal Aid intake number and a tenant rights handbook.",
    "Attempted to reach member by phone, left a voicemail, will try again Thursday.",
    "Member and peer identified two support groups and member chose one for Friday.",
    "At member's request, peer joined his call with his prescriber so he could raise his concerns.",
    "Member declined to attend group today and agreed to meet next week instead.",
    "Peer encouraged member to write down questions for her psychiatrist appointment.",
]
OUT_OF_SCOPE = [
    "Writer drove the member to her dentist appointment and back home.",
    "Peer picked up member's prescription refill at the pharmacy for her.",
    "CPSS told the member to stop taking his Abilify because of the side effects.",
    "FPS told mom her daughter probably has ADHD.",
    "Peer advised the member to plead not guilty at his hearing.",
    "Writer is holding the member's debit card in her desk this week.",
    "Member gave writer a $50 gift card and writer accepted it.",
    "Peer and member went out for drinks on Saturday as friends.",
    "Member said she has been thinking about ending her life.",
]


def make_note(rng: random.Random, words: int) -> str:
    """Sentences from the pools, each with its own time stamp and day, so no two notes
    share a sentence: the encoder's cache cannot make a real note look cheaper."""
    parts, n = [], 0
    while n < words:
        pool = OUT_OF_SCOPE if rng.random() < 0.25 else IN_SCOPE
        s = f"{rng.randint(8, 17)}:{rng.randint(0, 59):02d} {rng.choice(DAYS)}: {rng.choice(pool)}"
        parts.append(s)
        n += len(s.split())
    return " ".join(parts)


DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notes", type=int, default=200)
    ap.add_argument("--words", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    try:  # one core
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    except (AttributeError, OSError):
        pass

    t0 = time.perf_counter()
    from bot.notes import get_checker

    checker = get_checker()
    load = time.perf_counter() - t0
    rng = random.Random(args.seed)
    notes = [make_note(rng, args.words) for _ in range(args.notes)]
    for note in notes[:20]:  # warm-up
        checker.check(note)
    times, flags = [], 0
    start = time.perf_counter()
    for note in notes:
        t = time.perf_counter()
        flags += len(checker.check(note))
        times.append((time.perf_counter() - t) * 1000)
    total = time.perf_counter() - start
    times.sort()
    words = statistics.mean(len(n.split()) for n in notes)
    print(f"checker load: {load:.2f} s (imports spaCy/medspaCy and compiles the YAML patterns)")
    print(f"notes: {len(notes)} x ~{words:.0f} words, {flags} flags")
    print(f"throughput: {len(notes) / total:.1f} notes/s")
    print(
        f"latency ms: mean {statistics.mean(times):.2f}  p50 {times[len(times) // 2]:.2f}  "
        f"p95 {times[int(len(times) * 0.95) - 1]:.2f}  max {times[-1]:.2f}"
    )

    from bot.notes.risk import risk_in

    chat = [s for s in IN_SCOPE + OUT_OF_SCOPE] + ["hi", "can I give her a ride?", "I can't do this anymore"]
    messages = [f"{m} ({i})" for i, m in enumerate(chat * 10)]  # distinct: no cache hits
    report("risk check on a chat message", [timed(risk_in, m) for m in messages])

    from bot.knowledge.engine import get_engine

    t0 = time.perf_counter()
    engine = get_engine()
    engine.answer("warm up: can I drive my client?")
    print(f"policy engine load: {time.perf_counter() - t0:.2f} s (rules, policy model, sentence encoder)")
    questions = [f"{q} ({i})" for i, q in enumerate(QUESTIONS * 10)]  # distinct: no cache hits
    report("policy answer", [timed(engine.answer, q) for q in questions])
    return 0


QUESTIONS = [
    "can I give the mom I work with a ride to her son's IEP meeting? her car broke down",
    "I have 26 people on my caseload, is that ok?",
    "is it ok to accept a $25 gift card from a family at the holidays",
    "My client asked me to help her tell her psychiatrist about side effects. Can I go with her?",
    "how often does the WRSP get reviewed",
    "Can I bring my dog on home visits?",
]


def timed(fn, arg) -> float:
    t = time.perf_counter()
    fn(arg)
    return (time.perf_counter() - t) * 1000


def report(what: str, times: list[float]) -> None:
    times = sorted(times)
    print(
        f"{what} ms: p50 {times[len(times) // 2]:.2f}  p95 {times[int(len(times) * 0.95) - 1]:.2f}  "
        f"max {times[-1]:.2f}  (n={len(times)})"
    )


if __name__ == "__main__":
    sys.exit(main())
