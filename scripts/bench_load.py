"""`make bench-load`: PeerScope under concurrent users, against Rasa's own starter bot in the
same run (the machine is shared, so only figures from one run are comparable).

    python scripts/bench_load.py [--users 20] [--wrsp-answers 5] [--rounds 3] [--long 300]
                                 [--instances N] [--faults] [--faults-only]

1. Rasa's starter bot (`rasa init --no-prompt`, trained once into var/cache/starter-bot):
   USERS people at once, each sending as many messages as a PeerScope user below.
2. PeerScope with one Rasa and one action server: USERS people at once, each holding a
   realistic mixed conversation: a greeting, policy questions, a note check (a note with a
   marker of their own) submitted for review, a WRSP interview with WRSP_ANSWERS answers,
   help and goodbye. Each message's round-trip time is recorded by kind.
   Both bots stay up and take turns, ROUNDS runs each with fresh users (a busy spell on a
   shared machine then falls on both); the figures pool every message of the rounds.
3. With ``--instances N`` (N >= 2): the same on bot.channels.servers.Cluster (N Rasa
   instances and N action servers behind HAProxy, Redis lock store); both PeerScope runs
   then use PostgreSQL (a private server in a temp directory) for PeerScope's tables and
   the tracker store, so 1 and N instances are compared on the same stores.
   ``--faults`` runs the cluster a second time with fresh users, and while they talk:
   kill -9 of rasa-1 (at 20% of the messages; started again 5 s later), then of actions-2
   (at 55%; started again 5 s later). This bench talks to Rasa over REST and does not drive
   the Telegram bridge: its restart mid-flow is shown in tests/e2e/test_telegram.py
   (test_a_bridge_killed_mid_flow_loses_nothing_and_repeats_nothing). ``--faults-only``
   runs only this (no starter bot, no one-instance or fault-free cluster run).
4. ``--long``: one person holds a LONG conversation with the one-instance PeerScope; then
   the next 12 messages go in turn to it and to a new conversation (turns 2-13): the ratio
   of their median turn times. Sent alternately, both meet the same load on the machine
   (comparing the first and last 10 turns of one conversation measured the machine's
   drift over minutes as much as the conversation's length).

The client retries the one message in flight on a connection error, a timeout or a 5xx
(up to 60 times, a second apart), with the same message id, and counts the retries and how
many of them PeerScope answered from the stored reply of the message it had already handled
("replayed", addons/message_once.py). Checked after each PeerScope run:
lost messages (no answer after the retries), errors (final non-2xx, an empty answer, or
"try again" from the chat), lost WRSP answers (answered with "Saved" but not in the plan
table), duplicate answers (a WRSP answer stored under a field it was not sent for, or a
note stored twice), and wrong-user replies (a reply naming another user's marker, note or
plan; a note or plan holding another user's marker).

Prints throughput and median/p95 per message kind, the PeerScope/starter ratios, and
writes var/results/bench_load.json. Nothing here is asserted: it is a measurement.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bot.channels.servers import ServerSet, free_port, rasa_env  # noqa: E402

COMPARED_TURNS = 12  # messages sent in turn to the long conversation and to a new one
PEERSCOPE_SCRIPT = [  # the long conversation
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
POLICY_QUESTIONS = [
    "can I give the mom I work with a ride to her son's school meeting?",
    "how many people can I have in a peer support group?",
    "can I accept a $5 coffee gift card from a client?",
    "can I tell my client to stop taking her meds?",
    "is it ok to go to the movies with someone I support?",
    "can I lend my client money?",
]
STARTER_SCRIPT = [
    "hi",
    "I am sad",
    "yes",
    "hello",
    "I am great",
    "bye",
    "are you a bot?",
    "good morning",
    "no",
    "goodbye",
    "hey there",
    "very good",
]
WEBHOOK = "/webhooks/rest/webhook"
RETRIES = 60


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
        subprocess.run(
            [sys.executable, "-m", "rasa", "init", "--no-prompt", "--init-dir", str(project)],
            cwd=project,
            env=rasa_env(),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
    model = sorted((project / "models").glob("*.tar.gz"))[-1]
    log = open(cache / "starter-bot.log", "ab")
    return subprocess.Popen(
        [sys.executable, "-m", "rasa", "run", "--model", str(model), "--port", str(port), "--interface", "127.0.0.1"],
        cwd=project,
        env=rasa_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


# --- the client -------------------------------------------------------------------------------------


@dataclass
class Run:
    """What one load run saw."""

    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    sent: int = 0
    done: int = 0
    retries: int = 0
    replayed: int = 0  # retries answered with the stored reply of a message already handled
    lost: int = 0
    errors: int = 0
    wrong_user: list[str] = field(default_factory=list)
    wall: float = 0.0
    # (user, plan id, field) -> the value sent, for answers the chat confirmed with "Saved"
    wrsp_confirmed: dict[tuple[int, int, str], str] = field(default_factory=dict)
    notes: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))  # user -> note ids
    plans: dict[int, int] = field(default_factory=dict)  # user -> plan id

    def summary(self) -> dict:
        every = [t for ts in self.times.values() for t in ts]
        out = {
            "messages": len(every),
            "retries": self.retries,
            "replayed": self.replayed,
            "lost": self.lost,
            "errors": self.errors,
            "throughput_per_s": len(every) / self.wall if self.wall else 0.0,
        }
        if every:
            out.update(p50_ms=1000 * statistics.median(every), p95_ms=1000 * percentile(every, 0.95))
        out["by_kind"] = {
            kind: {"n": len(ts), "p50_ms": 1000 * statistics.median(ts), "p95_ms": 1000 * percentile(ts, 0.95)}
            for kind, ts in sorted(self.times.items())
            if ts
        }
        return out


class Client:
    def __init__(self, http: httpx.AsyncClient, url: str, run: Run, sign: bool) -> None:
        self.http, self.url, self.run, self.sign = http, url + WEBHOOK, run, sign

    async def send(self, kind: str, sender: str, text: str) -> list[dict] | None:
        """One message; retried on a connection error, a timeout or a 5xx. The replies, or
        None when it was lost."""
        from bot.channels.rest import new_message_id, signed_message

        self.run.sent += 1
        started = time.perf_counter()
        message_id = new_message_id()  # the same on every retry: PeerScope handles the message once
        for attempt in range(RETRIES + 1):
            try:
                if self.sign:
                    response = await self.http.post(self.url, **signed_message(sender, text, message_id))
                else:
                    response = await self.http.post(self.url, json={"sender": sender, "message": text})
                if response.status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if attempt == RETRIES:
                self.run.lost += 1
                self.run.done += 1
                return None
            self.run.retries += 1
            await asyncio.sleep(1)
        self.run.times[kind].append(time.perf_counter() - started)
        self.run.done += 1
        if response.headers.get("X-PeerScope-Replayed"):
            self.run.replayed += 1
        if response.status_code != 200:
            self.run.errors += 1
            return []
        replies = response.json()
        if not replies or (self.sign and "try again" in texts(replies).lower()):
            self.run.errors += 1
        return replies


def texts(replies: list[dict] | None) -> str:
    return "\n".join(r.get("text") or "" for r in replies or [])


def token(user: int) -> str:
    """A marker no message, rule or reply would contain by chance."""
    return f"qz{user:02d}kx"


def client_ref(user: int) -> str:
    return f"{chr(65 + user % 26)}.{chr(65 + (user // 26) % 26)}."


def wrsp_reply(step, mark: str) -> tuple[list[str], str | None]:
    """The messages that answer ``step`` and the marker text the stored value must hold
    (None for a date, yes/no or choice)."""
    tag = f"{mark} {step.field}"
    if step.type == "list":
        return [f"first {tag}, second {tag}", "done"], tag
    if step.type == "date":
        return (["March 3 2026"] if step.question.dates == "not_future" else ["March 15 2028"]), None
    if step.type == "yes_no":
        return ["yes"], None
    if step.type == "choice":
        return [step.question.choices[0].label], None
    return [f"text {tag}"], tag


def next_step(plan_id: int):
    from bot.store import session_scope
    from bot.store import wrsp as plans
    from bot.store.models import WrspPlan
    from bot.wrsp.interview import Interview

    with session_scope() as session:
        return Interview(None, plans.answers_of(session.get(WrspPlan, plan_id))).next_step()


async def peerscope_user(client: Client, user: int, sender: str, wrsp_answers: int, tokens: list[str]) -> None:
    run, mark = client.run, tokens[user]
    others = [t for n, t in enumerate(tokens) if n != user]

    async def step(kind: str, text: str) -> str:
        out = texts(await client.send(kind, sender, text))
        if any(t in out for t in others):
            run.wrong_user.append(f"user {user}: a {kind} reply names another user's marker")
        return out

    await step("greet", "hi")
    await step("policy", POLICY_QUESTIONS[user % len(POLICY_QUESTIONS)])
    await step("note_start", "check my note")
    checked = await step(
        "note_text",
        f"Met with {mark} at the library. I told her to stop taking her meds "
        "and then gave her a ride home in my car.",
    )
    run.notes[user] += [int(n) for n in re.findall(r"[Nn]ote #(\d+)", checked)]
    await step("note_submit", "/note_submit")
    await step("wrsp_start", "start a WRSP")
    started = await step("wrsp_ref", client_ref(user))
    found = re.search(r"Started plan #(\d+)", started)
    if found:
        plan_id = run.plans[user] = int(found.group(1))
        for _ in range(wrsp_answers):
            wanted = await asyncio.to_thread(next_step, plan_id)
            if wanted is None:
                break
            messages, tag = wrsp_reply(wanted, mark)
            first = await step("wrsp_answer", messages[0])
            for more in messages[1:]:
                await step("wrsp_answer", more)
            if "Saved" in first:
                run.wrsp_confirmed[(user, plan_id, wanted.field)] = tag or ""
        await step("other", "pause")
    await step("policy", POLICY_QUESTIONS[(user + 3) % len(POLICY_QUESTIONS)])
    await step("other", "help")
    await step("greet", "bye")


def check_database(run: Run, staff_ids: list[int], tokens: list[str]) -> dict:
    """Lost and duplicate WRSP answers, duplicate notes, and records holding another user's
    marker, from PeerScope's tables."""
    from sqlalchemy import select

    from bot.store import session_scope
    from bot.store import wrsp as plans
    from bot.store.models import Note, WrspPlan

    lost, duplicates, misfiled = [], [], []
    with session_scope() as session:
        for (user, plan_id, fld), tag in run.wrsp_confirmed.items():
            answers = plans.answers_of(session.get(WrspPlan, plan_id))
            if fld not in answers or (tag and tag not in json.dumps(answers[fld])):
                lost.append(f"user {user}: plan #{plan_id} {fld}")
        for user, plan_id in run.plans.items():
            plan = session.get(WrspPlan, plan_id)
            if plan.owner_id != staff_ids[user] or plan.client_ref != client_ref(user):
                run.wrong_user.append(f"user {user}: plan #{plan_id} is not theirs")
            for fld, value in plans.answers_of(plan).items():
                stored = json.dumps(value)
                if any(t in stored for n, t in enumerate(tokens) if n != user):
                    run.wrong_user.append(f"user {user}: plan #{plan_id} {fld} holds another user's answer")
                for tag in re.findall(re.escape(tokens[user]) + r" ([\w.]+)", stored):
                    if tag != fld:
                        duplicates.append(f"user {user}: plan #{plan_id} {fld} holds the answer sent for {tag}")
        for user, staff_id in enumerate(staff_ids):
            notes = list(session.scalars(select(Note).where(Note.author_id == staff_id)))
            if len(notes) > 1:
                duplicates.append(f"user {user}: {len(notes)} notes stored for one note")
            for note in notes:
                if any(t in note.text for n, t in enumerate(tokens) if n != user):
                    run.wrong_user.append(f"user {user}: note #{note.id} holds another user's text")
                elif tokens[user] not in note.text:  # one of their own other messages taken as the note
                    misfiled.append(f"user {user}: note #{note.id} is not the note they sent")
            for note_id in run.notes.get(user, []):
                note = session.get(Note, note_id)
                if note is None or note.author_id != staff_id:
                    run.wrong_user.append(f"user {user}: a reply named note #{note_id}, not theirs")
    return {
        "wrsp_answers_confirmed": len(run.wrsp_confirmed),
        "wrsp_answers_lost": len(lost),
        "duplicate_answers": len(duplicates),
        "wrong_user_replies": len(run.wrong_user),
        "notes_misfiled": len(misfiled),
        "details": (lost + duplicates + run.wrong_user + misfiled)[:20],
    }


def make_users(prefix: str, count: int) -> tuple[list[str], list[int]]:
    """Staff records (peers of one supervisor) linked to rest:<prefix><n>."""
    from bot.store import session_scope
    from bot.store import staff as repo

    with session_scope() as session:
        sup = repo.add(session, f"{prefix} supervisor", role="supervisor")
        senders, ids = [], []
        for n in range(count):
            member = repo.add(session, f"{prefix} user {n}", role="peer", program="adult", supervisor_id=sup.id)
            repo.link_identity(session, member.id, "rest", f"{prefix}{n}")
            senders.append(f"rest:{prefix}{n}")
            ids.append(member.id)
    return senders, ids


async def peerscope_load(
    url: str, prefix: str, users: int, wrsp_answers: int, faults=None, first: int = 0
) -> tuple[Run, dict]:
    """One run of USERS people on PeerScope (their markers numbered from FIRST, so no two runs
    share one): what it saw, and the database checks."""
    senders, staff_ids = make_users(prefix, users)
    tokens = [token(first + n) for n in range(users)]
    run = Run()
    expected = users * (11 + wrsp_answers * 1.3)  # about (a list answer takes two): for the fault schedule
    async with httpx.AsyncClient(timeout=120) as http:
        client = Client(http, url, run, sign=True)
        started = time.perf_counter()
        talking = asyncio.ensure_future(
            asyncio.gather(*(peerscope_user(client, n, senders[n], wrsp_answers, tokens) for n in range(users)))
        )
        if faults is not None:
            await faults(run, expected, talking)
        await talking
        run.wall = time.perf_counter() - started
    return run, check_database(run, staff_ids, tokens)


def pooled(runs: list[tuple[Run, dict]]) -> dict:
    """One report for several runs: every message's time, the walls and the checks added up."""
    every = Run(
        sent=sum(r.sent for r, _ in runs),
        retries=sum(r.retries for r, _ in runs),
        replayed=sum(r.replayed for r, _ in runs),
        lost=sum(r.lost for r, _ in runs),
        errors=sum(r.errors for r, _ in runs),
        wall=sum(r.wall for r, _ in runs),
    )
    for run, _ in runs:
        for kind, times in run.times.items():
            every.times[kind].extend(times)
    checks: dict = {}
    for _, found in runs:
        for key, value in found.items():
            checks[key] = checks.get(key, [] if isinstance(value, list) else 0) + value
    if "details" in checks:
        checks["details"] = checks["details"][:20]
    return {**every.summary(), **checks}


async def starter_load(url: str, users: int, turns: int, prefix: str = "u") -> Run:
    run = Run()

    async def one(user: int) -> None:
        for n in range(turns):
            await client.send("all", f"{prefix}{user}", STARTER_SCRIPT[n % len(STARTER_SCRIPT)])

    async with httpx.AsyncClient(timeout=120) as http:
        client = Client(http, url, run, sign=False)
        started = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(users)))
        run.wall = time.perf_counter() - started
    return run


def fault_schedule(cluster, log: list[str]):
    """kill -9 rasa-1 at 20% of the messages and actions-2 at 55%, each started again 5 s
    later (Cluster.kill / Cluster.restart)."""

    async def faults(run: Run, expected: float, talking: asyncio.Future) -> None:
        started = time.perf_counter()
        for share, name in ((0.20, "rasa-1"), (0.55, "actions-2")):
            while run.done < share * expected:
                if talking.done():
                    log.append(f"the run ended before {name} was killed")
                    return
                await asyncio.sleep(0.2)
            await asyncio.to_thread(cluster.kill, name)
            log.append(f"{time.perf_counter() - started:.1f} s: kill -9 {name} (after {run.done} messages)")
            say(log[-1])
            await asyncio.sleep(5)
            await asyncio.to_thread(cluster.restart, name)
            log.append(f"{time.perf_counter() - started:.1f} s: {name} started again")
            say(log[-1])

    return faults


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


def warm_up(url: str) -> None:
    """One message, so model loading is not measured."""
    from bot.channels.rest import signed_message

    httpx.post(url + WEBHOOK, timeout=120, **signed_message("rest:warm", "hi"))


def ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def line(name: str, figures: dict, base: dict | None = None) -> str:
    text = (
        f"{name:<34} {figures['throughput_per_s']:5.1f} msg/s  median {figures.get('p50_ms', 0):6.0f} ms  "
        f"p95 {figures.get('p95_ms', 0):6.0f} ms  errors {figures['errors']}  retries {figures['retries']} "
        f"(replayed {figures.get('replayed', 0)})  "
        f"lost {figures['lost']}"
    )
    if base:
        text += (
            f"  | vs starter: throughput {ratio(figures['throughput_per_s'], base['throughput_per_s']):.2f}x, "
            f"p95 {ratio(figures.get('p95_ms', 0), base['p95_ms']):.2f}x"
        )
    if "wrsp_answers_confirmed" in figures:
        text += (
            f"\n{'':<34} WRSP answers confirmed {figures['wrsp_answers_confirmed']}, lost "
            f"{figures['wrsp_answers_lost']}; duplicate answers {figures['duplicate_answers']}; "
            f"wrong-user replies {figures['wrong_user_replies']}; own message taken as the note "
            f"{figures['notes_misfiled']}"
        )
    return text


def databases(postgres) -> dict[str, str]:
    """Fresh PeerScope and tracker databases on ``postgres``; none (SQLite under var/) without it."""
    if postgres is None:
        return {}
    return {
        "PEERSCOPE_DATABASE_URL": postgres.create_database(),
        "PEERSCOPE_TRACKER_URL": postgres.create_database(),
    }


def measure(args, work: Path, postgres) -> dict:
    """Every run; the report without the ratios."""
    from bot.store import upgrade

    per_user = 13 + args.wrsp_answers  # about what a PeerScope user sends, for the starter bot
    report: dict = {
        "users": args.users,
        "wrsp_answers_per_user": args.wrsp_answers,
        "instances": args.instances,
        "load_average_start": os.getloadavg(),
    }
    if args.faults_only:
        return measure_cluster(args, work, postgres, report)

    # both bots up at once; the runs take turns, so a busy spell on the machine falls on both
    stores = databases(postgres)
    os.environ.update(stores)
    upgrade()
    one = ServerSet(rasa_port=free_port(), action_port=free_port(), log_dir=work / "logs-1", env=stores)
    starter_port = free_port()
    starter = starter_bot(ROOT / "var" / "cache", starter_port)  # stopped in the finally below
    say(f"starting PeerScope, one instance (logs in {work / 'logs-1'}), and the starter bot")
    try:
        one.start()
        starter_url = f"http://127.0.0.1:{starter_port}"
        wait_up(starter_url + "/", timeout=1200)
        one.wait_ready(timeout=1200)
        asyncio.run(starter_load(starter_url, 1, 1, prefix="warm"))
        warm_up(one.rasa_url)
        starter_runs, peerscope_runs = [], []
        for r in range(args.rounds):
            say(f"round {r + 1} of {args.rounds}: {args.users} users x {per_user} messages on the starter bot")
            starter_runs.append((asyncio.run(starter_load(starter_url, args.users, per_user, prefix=f"r{r}u")), {}))
            say(f"round {r + 1} of {args.rounds}: {args.users} users on PeerScope, one instance")
            peerscope_runs.append(
                asyncio.run(peerscope_load(one.rasa_url, f"a{r}x", args.users, args.wrsp_answers, first=r * args.users))
            )
            say(
                f"round {r + 1}: throughput {starter_runs[-1][0].summary()['throughput_per_s']:.1f} / "
                f"{peerscope_runs[-1][0].summary()['throughput_per_s']:.1f} msg/s (starter / PeerScope)"
            )
        report["starter_bot"] = pooled(starter_runs)
        report["peerscope_1"] = pooled(peerscope_runs)
        report["rounds_throughput_ratio"] = [
            ratio(p.summary()["throughput_per_s"], s.summary()["throughput_per_s"])
            for (s, _), (p, _) in zip(starter_runs, peerscope_runs)
        ]
        if args.long:
            say(f"one conversation of {args.long} turns on PeerScope")
            senders, _ = make_users("long", 2)

            async def long_run() -> tuple[list[float], list[float]]:
                """The long conversation, then the same messages sent in turn to it and to
                a new one: both in the same minute, so a busy spell on the machine falls
                on both."""
                run = Run()
                async with httpx.AsyncClient(timeout=120) as http:
                    client = Client(http, one.rasa_url, run, sign=True)
                    for n in range(args.long):
                        await client.send("long", senders[0], PEERSCOPE_SCRIPT[n % len(PEERSCOPE_SCRIPT)])
                    await client.send("warm-up", senders[1], PEERSCOPE_SCRIPT[0])  # starts its session
                    for n in range(1, COMPARED_TURNS + 1):
                        text = PEERSCOPE_SCRIPT[n % len(PEERSCOPE_SCRIPT)]
                        await client.send("new", senders[1], text)
                        await client.send("end", senders[0], text)
                return run.times["new"], run.times["end"]

            new, end = asyncio.run(long_run())
            short, long_ = statistics.median(new), statistics.median(end)
            report["long_conversation"] = {
                "turns": args.long,
                "compared_turns": COMPARED_TURNS,
                "new_conversation_median_ms": 1000 * short,
                "long_conversation_median_ms": 1000 * long_,
                "ratio": long_ / short,
            }
    finally:
        one.stop()
        starter.terminate()
        starter.wait(timeout=30)

    return measure_cluster(args, work, postgres, report)


def measure_cluster(args, work: Path, postgres, report: dict) -> dict:
    """The cluster runs (with --instances N >= 2): without faults (unless --faults-only), then
    with faults (--faults)."""
    from bot.store import upgrade

    if args.instances > 1:
        from bot.channels.servers import Cluster

        stores = databases(postgres)
        os.environ.update(stores)
        upgrade()
        cluster = Cluster(instances=args.instances, env=stores, log_dir=work / "logs-cluster")
        say(f"starting PeerScope, {args.instances} instances behind HAProxy (logs in {work / 'logs-cluster'})")
        try:
            cluster.start()
            cluster.wait_ready(timeout=1500)
            warm_up(cluster.url)
            if not args.faults_only:
                say(f"{args.users} users on PeerScope, {args.instances} instances")
                report[f"peerscope_{args.instances}"] = pooled(
                    [
                        asyncio.run(
                            peerscope_load(cluster.url, f"b{r}x", args.users, args.wrsp_answers, first=r * args.users)
                        )
                        for r in range(args.rounds)
                    ]
                )
            if args.faults:
                log: list[str] = []
                say(f"{args.users} new users on PeerScope, {args.instances} instances, with faults")
                report[f"peerscope_{args.instances}_faults"] = pooled(
                    [
                        asyncio.run(
                            peerscope_load(
                                cluster.url,
                                "c",
                                args.users,
                                args.wrsp_answers,
                                faults=fault_schedule(cluster, log),
                                first=args.rounds * args.users,  # markers unlike the fault-free rounds
                            )
                        )
                    ]
                )
                report[f"peerscope_{args.instances}_faults"]["faults"] = log
        finally:
            cluster.stop()

    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--wrsp-answers", type=int, default=5, help="WRSP answers per user")
    parser.add_argument(
        "--rounds", type=int, default=3, help="runs of USERS on each bot, taking turns (figures pool them)"
    )
    parser.add_argument("--long", type=int, default=300, help="turns of the long conversation (0: skip)")
    parser.add_argument(
        "--instances",
        type=int,
        default=1,
        help="N >= 2: also run PeerScope as a Cluster of N Rasa + N action servers (PostgreSQL, Redis)",
    )
    parser.add_argument(
        "--faults",
        action="store_true",
        help="with --instances >= 2: kill -9 a Rasa instance, then an action server, mid-run",
    )
    parser.add_argument(
        "--faults-only",
        action="store_true",
        help="only the cluster run with faults (no starter bot, no one-instance or fault-free run): "
        "the lost / duplicate / wrong-user counts without the comparisons",
    )
    args = parser.parse_args()
    args.faults = args.faults or args.faults_only
    if args.faults and args.instances < 2:
        parser.error("--faults needs --instances 2 or more (one instance killed is an outage, not a fault)")

    work = Path(tempfile.mkdtemp(prefix="peerscope-bench-load-"))
    os.environ.setdefault("PEERSCOPE_VAR_DIR", str(work / "var"))
    postgres = None
    if args.instances > 1:  # both PeerScope runs on the production stores, so they compare
        sys.path.insert(0, str(ROOT))
        from tests.pg import PostgresServer

        say("starting a private PostgreSQL server (temp directory, loopback)")
        postgres = PostgresServer().start()

    try:
        report = measure(args, work, postgres)
    finally:
        if postgres is not None:
            postgres.stop()
    report["load_average_end"] = os.getloadavg()
    base = report.get("starter_bot")
    for key in [k for k in report if k.startswith("peerscope_") and base]:
        report[key]["vs_starter"] = {
            "throughput": ratio(report[key]["throughput_per_s"], base["throughput_per_s"]),
            "p95": ratio(report[key].get("p95_ms", 0), base["p95_ms"]),
        }
    if args.instances > 1 and not args.faults_only:
        report["throughput_n_over_1"] = ratio(
            report[f"peerscope_{args.instances}"]["throughput_per_s"], report["peerscope_1"]["throughput_per_s"]
        )
    print(json.dumps(report, indent=1))
    print()
    if base:
        print(line("starter bot", base))
    for key in [k for k in report if k.startswith("peerscope_")]:
        n = key.split("_")[1]
        label = f"PeerScope, {n} instance{'s' if n != '1' else ''}" + (", faults" if key.endswith("_faults") else "")
        print(line(label, report[key], base))
    print("\nmedian / p95 per message kind (ms):")
    kinds = sorted({k for key in report if key.startswith("peerscope_") for k in report[key]["by_kind"]})
    columns = [k for k in report if k.startswith("peerscope_")]
    print(f"{'kind':<14}" + "".join(f"{c.replace('peerscope_', 'N='):>18}" for c in columns))
    for kind in kinds:
        cells = []
        for c in columns:
            k = report[c]["by_kind"].get(kind)
            cells.append(f"{k['p50_ms']:.0f} / {k['p95_ms']:.0f}" if k else "-")
        print(f"{kind:<14}" + "".join(f"{cell:>18}" for cell in cells))
    if "throughput_n_over_1" in report:
        print(f"\nthroughput, {args.instances} instances / 1 instance: {report['throughput_n_over_1']:.2f}x")
    if "long_conversation" in report:
        lc = report["long_conversation"]
        print(
            f"the same {lc['compared_turns']} messages, in turn: median {lc['long_conversation_median_ms']:.0f} ms "
            f"after {lc['turns']} turns, {lc['new_conversation_median_ms']:.0f} ms in a new conversation "
            f"(ratio {lc['ratio']:.2f}; target <= 1.2)"
        )
    if args.faults:
        print("faults: " + "; ".join(report[f"peerscope_{args.instances}_faults"]["faults"]))
        print(
            "the Telegram bridge is not driven by this bench; its kill -9 and restart mid-flow are in "
            "tests/e2e/test_telegram.py"
        )
    out = ROOT / "var" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_load.json").write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
