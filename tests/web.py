"""The supervisor console for tests: a seeded team and a real `peerscope web` process.

``console(tmp)`` migrates a SQLite database of its own, seeds it (:func:`seed`), points
this process at it (so tests read what the server writes) and starts `peerscope web` on a
free loopback port. Nothing is mocked: the server is the real command.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

from bot.paths import PROJECT_ROOT

NOTE_PAT = (
    "Met with member to plan her week. Peer drove member to the pharmacy. "
    "Discussed coping skills and the next group."
)
NOTE_FRAN = "Talked about sleep. Told her she probably has bipolar disorder. Said to stop taking the lithium."
NOTE_QUINN = "Explained how to answer the eviction notice in court."
NOTE_OLD = "Accepted a $20 gift card from the family."
# the figures the insights page must show for Sam's team (see seed)
SAM_FIGURES = {
    "Flags raised": 4,
    "Flags confirmed": 1,
    "Flags dismissed": 1,
    "Policy questions answered": 3,
    "Unanswered questions": 1,
    "Plans due": 1,
    "Plans overdue": 1,
    "Plans signed in range": 1,
    "Quiz attempts in range": 2,
}
CITE = [
    {
        "source": "cpss-job-description",
        "section": "Scope of Practice",
        "quote": "Peer specialists do not provide transportation.",
    }
]


def _flag(text: str, passage: str, category: str, suggestion: str) -> dict:
    start = text.index(passage)
    return {
        "category": category,
        "start": start,
        "end": start + len(passage),
        "reason": f"{category} is out of scope",
        "suggestion": suggestion,
        "citations": CITE,
    }


def _note(session, author, text, flags, days_ago: int) -> int:
    from bot.store import notes

    note = notes.save_draft(session, author, text, flags)
    notes.submit(session, author, note.id)
    note.submitted_at = datetime.now(timezone.utc) - timedelta(days=days_ago)
    session.flush()
    return note.id


def _plan(session, owner, answers: dict, complete: bool) -> int:
    from bot.wrsp import service as wrsp

    plan = wrsp.create_plan(session, owner, "J.D.", "adult")
    for field, value in answers.items():
        wrsp.save_answer(session, owner, plan.id, field, value)
    if complete:
        wrsp.complete_plan(session, owner, plan.id)
    return plan.id


def seed() -> dict:
    """Sam supervises Pat and Fran; Eve supervises Quinn; Ada is the admin. Returns ids."""
    from bot.settings import local_today
    from bot.store import access, insights, notes, onboarding, session_scope, unanswered
    from bot.store import staff as repo
    from bot.wrsp import service as wrsp
    from tests.unit.test_wrsp_interview import full_answers

    ids: dict = {}
    with session_scope() as s:
        for key, name, role, boss in (
            ("ada", "Ada Admin", "admin", None),
            ("sam", "Sam Reyes", "supervisor", None),
            ("eve", "Eve Park", "supervisor", None),
            ("pat", "Pat Lee", "peer", "sam"),
            ("fran", "Fran Ortiz", "peer", "sam"),
            ("quinn", "Quinn Hale", "peer", "eve"),
        ):
            ids[key] = repo.add(
                s, name, role=role, program="adult" if role == "peer" else None, supervisor_id=ids.get(boss)
            ).id
    with session_scope() as s:
        pat, fran, quinn, sam = (access.actor(s, ids[k]) for k in ("pat", "fran", "quinn", "sam"))
        ids["note_pat"] = _note(
            s,
            pat,
            NOTE_PAT,
            [
                _flag(NOTE_PAT, "Peer drove member to the pharmacy.", "transport", "Helped her plan a ride."),
                _flag(NOTE_PAT, "drove member to the pharmacy", "errands", "Went with her to plan the errand."),
            ],
            3,
        )
        ids["note_fran"] = _note(
            s,
            fran,
            NOTE_FRAN,
            [
                _flag(
                    NOTE_FRAN,
                    "Told her she probably has bipolar disorder.",
                    "diagnosis",
                    "Encouraged her to ask her doctor.",
                ),
                _flag(
                    NOTE_FRAN,
                    "Said to stop taking the lithium.",
                    "medication",
                    "Encouraged her to talk to her prescriber.",
                ),
            ],
            10,
        )
        ids["note_quinn"] = _note(
            s,
            quinn,
            NOTE_QUINN,
            [_flag(NOTE_QUINN, "answer the eviction notice in court", "legal", "Connected him with legal aid.")],
            2,
        )
        ids["note_old"] = _note(
            s, pat, NOTE_OLD, [_flag(NOTE_OLD, "Accepted a $20 gift card", "gifts", "Declined.")], 40
        )
    with session_scope() as s:
        sam = access.actor(s, ids["sam"])
        notes.decide_flag(s, sam, ids["note_fran"], 1, confirm=False)
        notes.decide_flag(s, sam, ids["note_fran"], 2, confirm=True)
        notes.decide_note(s, sam, ids["note_fran"], approve=True)
        for who, rule in (
            ("pat", "transport-rides"),
            ("pat", "transport-rides"),
            ("fran", "gifts-money"),
            ("quinn", "legal-advice"),
        ):
            insights.record_policy_answer(s, ids[who], rule, "not_allowed")
        unanswered.record("Can I bring my dog to a home visit?", staff_id=ids["pat"], session=s)
        unanswered.record("Can I co-sign a lease?", staff_id=ids["quinn"], session=s)
        for score in (15, 20):
            attempt = onboarding.start_attempt(s, ids["pat"])
            onboarding.finish_attempt(s, ids["pat"], attempt.id, score, 22, passed=score >= 18)
    today = local_today()
    with session_scope() as s:
        pat, fran = access.actor(s, ids["pat"]), access.actor(s, ids["fran"])
        ids["plan_overdue"] = _plan(s, pat, {"admission_date": (today - timedelta(days=40)).isoformat()}, False)
        ids["plan_due"] = _plan(s, fran, {"admission_date": (today - timedelta(days=10)).isoformat()}, False)
        ids["plan_signable"] = _plan(s, fran, full_answers(), True)
        ids["plan_signed"] = _plan(s, pat, full_answers(), True)
    with session_scope() as s:
        wrsp.sign_off(s, access.actor(s, ids["sam"]), ids["plan_signed"], attested=True)
    return ids


def web_code(staff_id: int, admin_id: int, minutes: float | None = None, now: datetime | None = None) -> str:
    from bot.store import access, session_scope, web_auth

    with session_scope() as s:
        return web_auth.issue_code(s, access.actor(s, admin_id), staff_id, minutes=minutes, now=now)[0]


def figures_in_html(html: str) -> dict[str, int]:
    pairs = re.findall(r'<td class="fig-label">([^<]+)</td><td class="num fig-value">(\d+)</td>', html)
    return {label: int(value) for label, value in pairs}


@dataclass
class Console:
    url: str
    port: int
    ids: dict
    log: Path
    process: subprocess.Popen

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=30)


def _free_port() -> int:
    from bot.channels.servers import free_port

    return free_port()


@contextmanager
def console(work: Path):
    """A seeded database and a running console; this process reads the same database."""
    from bot.store import upgrade

    env = {"PEERSCOPE_DATABASE_URL": f"sqlite:///{work / 'peerscope.db'}", "PEERSCOPE_VAR_DIR": str(work / "var")}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    process = None
    try:
        upgrade()
        ids = seed()
        port = _free_port()
        log = work / "web.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "web", "--port", str(port)],
                cwd=PROJECT_ROOT,
                env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/signin", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the console did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield Console(url, port, ids, log, process)
    finally:
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
