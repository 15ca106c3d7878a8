"""When a WRSP is due, from the DBH service definition (Service Expectations):

"The Wellness and Recovery Service Plan (WRSP) is developed within 30 days following
admission, reviewed and updated a minimum of every 90 days, or more frequently as
clinically necessary thereafter while receiving services."

- A plan in progress (version 1) is due 30 days after admission.
- A completed or signed plan is due for review 90 days after it was completed.
- A review version in progress is due when the plan it revises was due for review.

The day counts come from the schema (``deadlines``), so a policy change is a data edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from bot.knowledge.sources import Citation
from bot.wrsp.schema import Schema, load_schema
from bot.wrsp.validators import format_date

DUE, OVERDUE, OK = "due", "overdue", "ok"


@dataclass(frozen=True)
class DueStatus:
    status: str  # due | overdue | ok
    kind: str  # "plan" (first plan) or "review"
    due_date: date | None  # None: no admission date recorded yet
    days_left: int | None  # negative when overdue
    message: str
    cite: Citation

    def to_dict(self) -> dict:
        return {
            "status": self.status,
            "kind": self.kind,
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "days_left": self.days_left,
            "message": self.message,
            "citation": self.cite.to_dict(),
        }


def _day(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):  # a stored time: its day where the program is (PEERSCOPE_TIMEZONE)
        from bot.settings import local_date

        return local_date(value)
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _status_value(plan: Any) -> str:
    status = getattr(plan, "status", None)
    return getattr(status, "value", status) or "in_progress"


def due_date(plan: Any, previous: Any = None, schema: Schema | None = None) -> tuple[str, date | None]:
    """("plan" | "review", the date) for ``plan`` (``previous``: the version it revises)."""
    rules = (schema or load_schema()).deadlines
    if _status_value(plan) in ("complete", "signed"):
        done = _day(getattr(plan, "completed_at", None))
        return "review", done + timedelta(days=rules.review_every_days) if done else None
    if previous is not None and getattr(plan, "version", 1) > 1:
        done = _day(getattr(previous, "completed_at", None))
        return "review", done + timedelta(days=rules.review_every_days) if done else None
    admitted = _day(getattr(plan, "admission_date", None))
    return "plan", admitted + timedelta(days=rules.plan_due_days) if admitted else None


def due_status(plan: Any, today: date, previous: Any = None, schema: Schema | None = None) -> DueStatus:
    """due / overdue / ok for a plan, with the date and a sentence to show.

    ``plan`` is a WrspPlan (or anything with status, admission_date, completed_at and
    version); ``previous`` the plan a review version revises, when there is one."""
    schema = schema or load_schema()
    rules = schema.deadlines
    kind, when = due_date(plan, previous, schema)
    what = "The plan" if kind == "plan" else "The plan review"
    if when is None:
        return DueStatus(
            DUE,
            kind,
            None,
            None,
            "The plan is in progress; the admission date isn't recorded yet, " "so its 30-day deadline is unknown.",
            rules.cite,
        )
    days = (when - today).days
    shown = format_date(when)
    if days < 0:
        return DueStatus(OVERDUE, kind, when, days, f"{what} was due {shown} ({-days} days ago).", rules.cite)
    in_progress = _status_value(plan) == "in_progress"
    if in_progress or days <= rules.due_soon_days:
        left = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
        return DueStatus(DUE, kind, when, days, f"{what} is due {shown} ({left}).", rules.cite)
    return DueStatus(OK, kind, when, days, f"{what} is next due {shown}.", rules.cite)
