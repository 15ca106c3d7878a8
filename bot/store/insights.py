"""Supervision insights: what a team's notes, questions, plans and quizzes add up to.

One service for the console's insights page and `peerscope report weekly`, so both show
the same figures. Supervisors see their own team (their supervisees), admins everyone;
anyone else is refused (audited). Reads go through the existing services where one
exists (plans due, onboarding progress, unanswered questions), so the same access rules
hold; the flag counts are aggregates over the same team rule as the review queue.
Nothing here returns note text; unanswered questions are listed as the CLI lists them.

Which policy topics are asked is recorded by :func:`record_policy_answer` as an audit
entry naming the rule id and verdict (never the question).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store import access, audit
from bot.store.models import AuditLog, FlagStatus, Note, NoteFlag, NoteStatus, Role, Staff

POLICY_ANSWER = "policy.answer"
MAX_DAYS = 400


class RangeError(ValueError):
    """A date range that cannot be used; the message is one line."""


def record_policy_answer(session: Session, staff_id: int | None, rule_id: str | None, verdict: str) -> None:
    """Note which rule (topic) a policy question was answered from; never the question."""
    audit.record(
        session,
        POLICY_ANSWER,
        actor_id=staff_id,
        object_type="rule",
        detail={"rule": rule_id or "not_covered", "verdict": verdict},
    )


def parse_range(start: str | None, end: str | None, today: date) -> tuple[date, date]:
    """The range from two ISO dates (either may be empty); default: the last 28 days."""
    try:
        end_day = date.fromisoformat(end) if end else today
        start_day = date.fromisoformat(start) if start else end_day - timedelta(days=27)
    except ValueError:
        raise RangeError("dates must be written YYYY-MM-DD") from None
    if start_day > end_day:
        raise RangeError("the start date is after the end date")
    if (end_day - start_day).days > MAX_DAYS:
        raise RangeError(f"choose a range of at most {MAX_DAYS} days")
    return start_day, end_day


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass
class Insights:
    start: date
    end: date
    scope: str  # "your team" or "all staff"
    weeks: list[date] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    by_week: dict[tuple[date, str], int] = field(default_factory=dict)
    by_peer: dict[str, Counter] = field(default_factory=dict)
    decisions: dict[str, Counter] = field(default_factory=dict)  # category -> confirmed/dismissed/open
    topics: list[tuple[str, int]] = field(default_factory=list)
    unanswered: list[tuple[date, str]] = field(default_factory=list)
    plans: list[dict] = field(default_factory=list)
    plan_counts: Counter = field(default_factory=Counter)  # due / overdue / signed / ok
    quiz: list[dict] = field(default_factory=list)

    @property
    def flag_total(self) -> int:
        return sum(self.by_week.values())

    def figures(self) -> list[tuple[str, int]]:
        """The headline numbers, in the order the page and the report show them."""
        confirmed = sum(c["confirmed"] for c in self.decisions.values())
        dismissed = sum(c["dismissed"] for c in self.decisions.values())
        return [
            ("Flags raised", self.flag_total),
            ("Flags confirmed", confirmed),
            ("Flags dismissed", dismissed),
            ("Policy questions answered", sum(n for _, n in self.topics)),
            ("Unanswered questions", len(self.unanswered)),
            ("Plans due", self.plan_counts["due"]),
            ("Plans overdue", self.plan_counts["overdue"]),
            ("Plans signed in range", self.plan_counts["signed"]),
            ("Quiz attempts in range", sum(q["attempts"] for q in self.quiz)),
        ]


def _local_day(moment: datetime | None) -> date | None:
    from bot.settings import local_date

    return local_date(moment) if moment is not None else None


def _team(session: Session, actor: Staff) -> list[int] | None:
    """Staff ids the actor sees, or None for everyone (admins)."""
    if actor.role == Role.admin:
        return None
    return list(session.scalars(access.team(actor)))


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """UTC bounds wide enough for any local zone; rows are then filtered by their local day."""
    return (
        datetime.combine(start - timedelta(days=1), time.min, timezone.utc),
        datetime.combine(end + timedelta(days=2), time.min, timezone.utc),
    )


def _flags(session: Session, out: Insights, team: list[int] | None) -> None:
    low, high = _bounds(out.start, out.end)
    query = (
        select(NoteFlag.category, NoteFlag.status, Staff.name, Staff.id, Note.submitted_at)
        .join(Note, Note.id == NoteFlag.note_id)
        .join(Staff, Staff.id == Note.author_id)
        .where(
            Note.submitted_at.is_not(None),
            Note.submitted_at >= low,
            Note.submitted_at < high,
            Note.status != NoteStatus.discarded,
        )
    )
    if team is not None:
        query = query.where(Note.author_id.in_(team))
    categories = set()
    for category, status, name, staff_id, submitted in session.execute(query):
        day = _local_day(submitted)
        if not out.start <= day <= out.end:
            continue
        categories.add(category)
        week = week_of(day)
        out.by_week[(week, category)] = out.by_week.get((week, category), 0) + 1
        out.by_peer.setdefault(f"{name} (#{staff_id})", Counter())[category] += 1
        out.decisions.setdefault(category, Counter())[FlagStatus(status).value] += 1
    out.categories = sorted(categories)
    week, out.weeks = week_of(out.start), []
    while week <= out.end:
        out.weeks.append(week)
        week += timedelta(days=7)


def _topics(session: Session, out: Insights, team: list[int] | None) -> None:
    low, high = _bounds(out.start, out.end)
    query = select(AuditLog.at, AuditLog.detail).where(
        AuditLog.action == POLICY_ANSWER, AuditLog.at >= low, AuditLog.at < high
    )
    if team is not None:
        query = query.where(AuditLog.actor_id.in_(team))
    counts = Counter()
    for at, detail in session.execute(query):
        if out.start <= _local_day(at) <= out.end and isinstance(detail, dict):
            counts[str(detail.get("rule") or "not_covered")] += 1
    out.topics = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:15]


def _unanswered(session: Session, out: Insights, actor: Staff) -> None:
    from bot.store import unanswered

    rows = unanswered.list_open(session, actor, limit=500)
    out.unanswered = sorted(
        ((_local_day(r.created_at), r.question) for r in rows if out.start <= _local_day(r.created_at) <= out.end),
        reverse=True,
    )


def _plans(
    session: Session, out: Insights, actor: Staff, team: list[int] | None, today: date, plans_due: PlansDue
) -> None:
    names = {s.id: s.name for s in session.scalars(select(Staff))}
    for plan, due in plans_due(session, actor, today, include_ok=True):
        if team is not None and plan.owner_id not in team:
            continue  # a supervisor's own plans are not the team's
        signed_day = _local_day(plan.signed_at)
        if signed_day is not None and out.start <= signed_day <= out.end:
            out.plan_counts["signed"] += 1
        out.plan_counts[due.status] += 1
        out.plans.append(
            {
                "id": plan.id,
                "owner": names.get(plan.owner_id, f"#{plan.owner_id}"),
                "client_ref": plan.client_ref,
                "version": plan.version,
                "status": plan.status.value,
                "due_status": due.status,
                "due_date": due.due_date,
                "message": due.message,
                "signed_at": signed_day,
            }
        )


def _quiz(session: Session, out: Insights, actor: Staff) -> None:
    from bot.store import onboarding

    for member, progress in onboarding.supervisee_progress(session, actor):
        done = [a for a in progress.attempts if a.finished and a.total]
        in_range = [a for a in done if out.start <= _local_day(a.finished_at) <= out.end]
        best = max((round(100 * a.score / a.total) for a in done), default=None)
        latest = done[-1] if done else None
        out.quiz.append(
            {
                "name": f"{member.name} (#{member.id})",
                "attempts": len(in_range),
                "best": best,
                "latest": round(100 * latest.score / latest.total) if latest else None,
                "passed": any(a.passed for a in done),
            }
        )


# (session, actor, today, include_ok=True) -> [(plan, due status)]: the WRSP deadline rule,
# bot.wrsp.service.plans_due, passed in by the caller (the store imports no feature)
PlansDue = Callable[..., list]


def build(
    session: Session, actor: Staff, start: date, end: date, today: date | None = None, *, plans_due: PlansDue
) -> Insights:
    """The insights for the actor's team (admins: everyone) between two local dates;
    ``plans_due`` is bot.wrsp.service.plans_due."""
    from bot.settings import local_today

    if actor.role not in (Role.supervisor, Role.admin):
        access.deny(session, "insights.read", "insights are for supervisors and admins", actor_id=actor.id)
    team = _team(session, actor)
    out = Insights(start=start, end=end, scope="all staff" if team is None else "your team")
    _flags(session, out, team)
    _topics(session, out, team)
    _unanswered(session, out, actor)
    _plans(session, out, actor, team, today or local_today(), plans_due)
    _quiz(session, out, actor)
    audit.record(
        session,
        "insights.read",
        actor_id=actor.id,
        detail={"start": start.isoformat(), "end": end.isoformat(), "scope": out.scope},
    )
    return out


def weekly_rows(out: Insights) -> list[tuple[str, list[int], int]]:
    """(week label, count per category in ``out.categories`` order, total) per week."""
    rows = []
    for week in out.weeks:
        counts = [out.by_week.get((week, c), 0) for c in out.categories]
        rows.append((week.isoformat(), counts, sum(counts)))
    return rows


def peer_rows(out: Insights) -> list[tuple[str, list[int], int]]:
    rows = [
        (name, [counts.get(c, 0) for c in out.categories], sum(counts.values())) for name, counts in out.by_peer.items()
    ]
    return sorted(rows, key=lambda r: (-r[2], r[0]))


def decision_rows(out: Insights) -> list[tuple[str, int, int, int]]:
    """(category, confirmed, dismissed, still open)."""
    return [
        (c, out.decisions[c]["confirmed"], out.decisions[c]["dismissed"], out.decisions[c]["open"])
        for c in out.categories
    ]


__all__ = [
    "Insights",
    "RangeError",
    "build",
    "decision_rows",
    "parse_range",
    "peer_rows",
    "record_policy_answer",
    "weekly_rows",
    "week_of",
]
