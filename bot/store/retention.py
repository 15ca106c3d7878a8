"""Retention: prune old notes, plans and conversation events; never the audit log.

Records (progress notes and WRSP plans, with their flags, reviews and answers) are
kept ``PEERSCOPE_RETENTION_YEARS`` years (default 7) after their last change. The
policy sets the floor, so a shorter period is refused:

    fps-toolkit, Code of Ethics: "These records shall be maintained by the licensee or
    agency employing the licensee under secure conditions and for time periods in
    compliance with applicable federal or state law, but in no case for fewer than
    seven years after the last date of service."

Conversation events in Rasa's tracker store (the ``events`` table, in the database of
``PEERSCOPE_TRACKER_URL`` or ``var/tracker.db``) are kept
``PEERSCOPE_CONVERSATION_DAYS`` days (default 90): they are a working log, not the
record. The tracker table is read with plain SQLAlchemy; Rasa is not imported.
Questions the policies did not cover (they may name a client) go with the conversation
events.

Each real prune is audited with counts only. Risk alerts and the audit log are kept.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import Column, Float, Integer, MetaData, Table, create_engine, delete, func, inspect, select, update
from sqlalchemy.orm import Session

from bot.paths import var_dir
from bot.settings import SettingError
from bot.store import audit
from bot.store.models import Note, UnansweredQuestion, WrspPlan

DEFAULT_RECORD_YEARS = 7
MIN_RECORD_YEARS = 7
DEFAULT_CONVERSATION_DAYS = 90
RECORDS_CITATION = {
    "source": "fps-toolkit",
    "section": "Code of Ethics",
    "quote": "These records shall be maintained by the licensee or agency employing the licensee under "
    "secure conditions and for time periods in compliance with applicable federal or state law, "
    "but in no case for fewer than seven years after the last date of service.",
}


class RetentionError(SettingError):
    """A retention setting that cannot be used; the message is safe to show."""


@dataclass(frozen=True)
class Settings:
    record_years: float
    conversation_days: float

    @classmethod
    def from_env(cls, env: dict | None = None) -> "Settings":
        from bot.settings import SettingError, load

        try:
            settings = load(env)  # numbers, finite: checked with every other setting
        except SettingError as exc:
            raise RetentionError(str(exc)) from None
        years, days = settings.retention_years, settings.conversation_days
        if years < MIN_RECORD_YEARS:
            raise RetentionError(
                f"PEERSCOPE_RETENTION_YEARS={years:g} is shorter than the policy allows: records are kept "
                f'"in no case for fewer than seven years after the last date of service" '
                f"(fps-toolkit, Code of Ethics)"
            )
        if days <= 0:
            raise RetentionError("PEERSCOPE_CONVERSATION_DAYS must be a positive number of days")
        return cls(years, days)


@dataclass
class PruneReport:
    dry_run: bool
    records_before: str
    events_before: str
    notes: int = 0
    plans: int = 0
    tracker_events: int = 0
    tracker_checked: bool = False
    unanswered_questions: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def tracker_url() -> str:
    from bot.settings import load

    return load().tracker_url or f"sqlite:///{var_dir() / 'tracker.db'}"


def _note_last_change():
    return func.coalesce(Note.decided_at, Note.submitted_at, Note.created_at)


def prune(
    session: Session,
    settings: Settings | None = None,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
    tracker: str | None = None,
    actor_id: int | None = None,
) -> PruneReport:
    """Delete (or with ``dry_run`` only count) what is past its retention period."""
    settings = settings or Settings.from_env()
    now = now or datetime.now(timezone.utc)
    record_cutoff = now - timedelta(days=365.25 * settings.record_years)
    event_cutoff = now - timedelta(days=settings.conversation_days)
    report = PruneReport(
        dry_run, record_cutoff.isoformat(timespec="seconds"), event_cutoff.isoformat(timespec="seconds")
    )

    # timestamps are stored in UTC; SQLite hands them back naive, so compare naive-UTC there
    cutoff = record_cutoff if session.bind.dialect.name != "sqlite" else record_cutoff.replace(tzinfo=None)
    old_notes = select(Note.id).where(_note_last_change() < cutoff)
    old_plans = select(WrspPlan.id).where(func.coalesce(WrspPlan.updated_at, WrspPlan.created_at) < cutoff)
    note_ids = list(session.scalars(old_notes))
    plan_ids = list(session.scalars(old_plans))
    report.notes, report.plans = len(note_ids), len(plan_ids)
    if not dry_run and (note_ids or plan_ids):
        for chunk in _chunks(plan_ids):
            # a newer version of a plan keeps its place; only the link to the pruned one goes
            session.execute(
                update(WrspPlan)
                .where(WrspPlan.previous_id.in_(chunk))
                .values(previous_id=None)
                .execution_options(synchronize_session=False)
            )
        for chunk in _chunks(plan_ids):
            session.execute(delete(WrspPlan).where(WrspPlan.id.in_(chunk)).execution_options(synchronize_session=False))
        for chunk in _chunks(note_ids):  # flags and reviews go with their note (ON DELETE CASCADE)
            session.execute(delete(Note).where(Note.id.in_(chunk)).execution_options(synchronize_session=False))

    event_cutoff_db = event_cutoff if session.bind.dialect.name != "sqlite" else event_cutoff.replace(tzinfo=None)
    old_questions = UnansweredQuestion.created_at < event_cutoff_db
    report.unanswered_questions = (
        session.scalar(select(func.count()).select_from(UnansweredQuestion).where(old_questions)) or 0
    )
    if not dry_run and report.unanswered_questions:
        session.execute(delete(UnansweredQuestion).where(old_questions).execution_options(synchronize_session=False))

    report.tracker_events, report.tracker_checked = _prune_events(
        tracker or tracker_url(), event_cutoff.timestamp(), dry_run
    )

    if not dry_run:
        audit.record(
            session,
            "retention.prune",
            actor_id=actor_id,
            detail={
                "notes": report.notes,
                "plans": report.plans,
                "tracker_events": report.tracker_events,
                "unanswered_questions": report.unanswered_questions,
                "record_years": settings.record_years,
                "conversation_days": settings.conversation_days,
            },
        )
    return report


def _chunks(ids: list[int], size: int = 500):
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def _prune_events(url: str, cutoff_epoch: float, dry_run: bool) -> tuple[int, bool]:
    """Rasa's ``events`` table: (rows older than the cutoff, whether the table exists)."""
    from bot.store.db import _sqlite_pragmas  # same pragmas as our own SQLite files

    if url.startswith("sqlite") and not _sqlite_file_exists(url):
        return 0, False
    engine = create_engine(url, future=True, hide_parameters=True)
    if url.startswith("sqlite"):
        from sqlalchemy import event

        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        if not inspect(engine).has_table("events"):
            return 0, False
        events = Table("events", MetaData(), Column("id", Integer, primary_key=True), Column("timestamp", Float))
        old = events.c.timestamp < cutoff_epoch
        with engine.begin() as conn:
            count = conn.scalar(select(func.count()).select_from(events).where(old)) or 0
            if not dry_run and count:
                conn.execute(delete(events).where(old))
        return int(count), True
    finally:
        engine.dispose()


def _sqlite_file_exists(url: str) -> bool:
    from sqlalchemy.engine import make_url

    database = make_url(url).database
    return bool(database) and (database == ":memory:" or os.path.exists(database))
