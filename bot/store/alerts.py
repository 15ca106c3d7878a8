"""Risk alerts: a staff member's chat or note described a risk of harm; their supervisor must know.

An alert records only that it happened, when, who was talking or writing, where
(``source``: ``chat`` or ``note``) and whom it was about (``self``, ``client`` or
``unknown``), never the words. It stays open until a supervisor (the staff member's
own, or an admin) acknowledges it: nothing the staff member says afterwards ("no,
I'm fine") closes it.

Delivery (the Telegram bridge's ``watch_alerts`` calls these; every channel that can
push a message could):

- :func:`due_for_notice` lists the open alerts that need a notice now, each with the
  people to tell and their chat accounts: the staff member's supervisor first; every
  active admin as well when the alert has been open longer than ``escalate_after``, or
  the person has no active supervisor, or the supervisor has no linked account.
- :func:`claim` takes one alert for one notice with a compare-and-set UPDATE, so two
  bridges never send the same notice; :func:`mark_notified` counts a delivered notice
  and :func:`release` gives back a claim whose notice reached nobody (retried at once).
  A claim records which bridge took it and when (``notice_claimed_*``), cleared by
  :func:`mark_notified`: a bridge that dies between its claim and the send leaves a claim
  that runs out after ``CLAIM_LEASE``, and the notice is due again then (not a whole
  ``repeat`` later); a bridge stopped normally gives its claims back at once
  (:func:`release_claims`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from bot.store import audit
from bot.store.access import AccessDenied, NotFound, may_read, team
from bot.store.models import ChatIdentity, RiskAlert, Role, Staff, utcnow

ABOUT = ("self", "client", "unknown")
CLAIM_LEASE = timedelta(seconds=60)  # longer than a notice with all its retries takes
SOURCES = ("chat", "note")
ABOUT_WORDS = {"self": "about themselves", "client": "about someone they support", "unknown": "unclear about whom"}


def raise_alert(
    session: Session, staff_id: int, about: str, source: str = "chat", note_id: int | None = None
) -> RiskAlert:
    """Record an alert (no text) and audit it. ``source`` is where the risk came up:
    ``chat`` (a message) or ``note`` (a checked progress note, ``note_id``)."""
    if about not in ABOUT:
        about = "unknown"
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}")
    alert = RiskAlert(staff_id=staff_id, about=about, source=source)
    session.add(alert)
    session.flush()
    detail = {"about": about, "source": source}
    if note_id is not None:
        detail["note"] = note_id
    audit.record(
        session, "risk_alert.raise", actor_id=staff_id, object_type="risk_alert", object_id=alert.id, detail=detail
    )
    return alert


def raise_unless_recent(
    session: Session, staff_id: int, about: str, source: str = "chat", within: float | timedelta = 300
) -> RiskAlert | None:
    """For a channel that answered a risk message itself because the assistant could not
    (bot/channels/telegram/): raise the alert the assistant would have raised, unless an
    open alert from the same source for the person is less than ``within`` old (the
    assistant may have recorded it before its answer was lost). None if one exists."""
    recent = session.scalar(
        select(RiskAlert.id)
        .where(
            RiskAlert.staff_id == staff_id,
            RiskAlert.source == source,
            RiskAlert.acknowledged_at.is_(None),
            RiskAlert.created_at >= utcnow() - _delta(within),
        )
        .limit(1)
    )
    if recent is not None:
        return None
    return raise_alert(session, staff_id, about, source=source)


def _require_supervisor(session: Session, actor: Staff, action: str) -> None:
    if actor.role not in (Role.supervisor, Role.admin):
        audit.record(session, action, actor_id=actor.id, object_type="risk_alert", outcome="denied")
        session.commit()
        raise AccessDenied("only supervisors and admins can see risk alerts")


def visible(session: Session, actor: Staff, include_acknowledged: bool = False) -> list[RiskAlert]:
    """Alerts the supervisor may see (their supervisees', or all for an admin), newest first."""
    _require_supervisor(session, actor, "risk_alert.list")
    query = select(RiskAlert).order_by(RiskAlert.created_at.desc(), RiskAlert.id.desc())
    if not include_acknowledged:
        query = query.where(RiskAlert.acknowledged_at.is_(None))
    if actor.role != Role.admin:
        query = query.where(RiskAlert.staff_id.in_(team(actor)))
    rows = list(session.scalars(query))
    audit.record(session, "risk_alert.list", actor_id=actor.id, object_type="risk_alert", detail={"count": len(rows)})
    return rows


def acknowledge(session: Session, actor: Staff, alert_id: int) -> RiskAlert:
    """Close an alert. Only the staff member's supervisor or an admin may; both are audited."""
    _require_supervisor(session, actor, "risk_alert.ack")
    alert = session.get(RiskAlert, alert_id)
    if alert is None:
        raise NotFound(f"no risk alert #{alert_id}")
    owner = session.get(Staff, alert.staff_id)
    if owner is None or owner.id == actor.id or not may_read(actor, owner):
        audit.record(
            session, "risk_alert.ack", actor_id=actor.id, object_type="risk_alert", object_id=alert_id, outcome="denied"
        )
        session.commit()
        raise AccessDenied(f"you don't have access to risk alert #{alert_id}")
    if alert.acknowledged_at is None:
        alert.acknowledged_at = utcnow()
        alert.acknowledged_by = actor.id
    audit.record(session, "risk_alert.ack", actor_id=actor.id, object_type="risk_alert", object_id=alert.id)
    return alert


def open_about(session: Session, staff_id: int) -> list[str]:
    """Whom the staff member's open alerts are about (for the "I'm fine" reply)."""
    return list(
        session.scalars(
            select(RiskAlert.about).where(RiskAlert.staff_id == staff_id, RiskAlert.acknowledged_at.is_(None))
        )
    )


def about_words(about: str) -> str:
    return ABOUT_WORDS[about if about in ABOUT else "unknown"]


def describe(alert: RiskAlert, names: dict[int, str] | None = None) -> str:
    """One line for a supervisor: id, when, who, about whom, where (a note), status and
    delivery (never any text)."""
    who = (names or {}).get(alert.staff_id) or f"staff #{alert.staff_id}"
    about = about_words(alert.about)
    if alert.source == "note":
        about += ", in a note"
    from bot.settings import show_time, to_local

    status = f"acknowledged {show_time(alert.acknowledged_at)}" if alert.acknowledged_at else "open"
    if alert.notify_count:
        status += f", notified {alert.notify_count}x"
    if alert.escalated_at is not None:
        escalated = to_local(alert.escalated_at)
        status += f", escalated to admins {escalated:%H:%M} {escalated.tzname()}"
    return f"#{alert.id}  {show_time(alert.created_at)}  {who}, {about}  ({status})"


# --- delivery: who is told, when, and only once per notice ------------------------------------

OPEN_TOO_LONG = "open_too_long"  # open longer than escalate_after
NO_SUPERVISOR = "no_supervisor"  # the person has no active supervisor
SUPERVISOR_NOT_LINKED = "supervisor_not_linked"  # the supervisor has no account on the channel
ESCALATED = "escalated"  # escalated earlier; admins keep getting the reminders


@dataclass(frozen=True)
class Recipient:
    staff_id: int
    role: str  # "supervisor" (the person's own) or "admin" (escalation)
    accounts: tuple[str, ...]  # their external ids on the channel (e.g. Telegram user ids)


@dataclass(frozen=True)
class Due:
    """An open alert that needs a notice now, and whom to tell (never any text)."""

    alert: RiskAlert
    staff_name: str
    recipients: tuple[Recipient, ...]
    escalate: str | None  # why admins are told too (one of the constants above), or None

    @property
    def reminder(self) -> bool:
        """A notice about this alert was delivered before."""
        return (self.alert.notify_count or 0) > 0


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def _delta(value: float | timedelta) -> timedelta:
    return value if isinstance(value, timedelta) else timedelta(seconds=float(value))


def due_for_notice(
    session: Session,
    now: datetime | None = None,
    repeat: float | timedelta = 900,
    escalate_after: float | timedelta = 1800,
    channel: str = "telegram",
) -> list[Due]:
    """Open alerts that need a notice at ``now``, oldest first: never notified, last notified
    more than ``repeat`` ago, or due for escalation (open longer than ``escalate_after`` and
    not escalated yet). Acknowledged alerts never come back. Each comes with its recipients on
    ``channel``: the supervisor if linked, plus every active admin with a linked account when
    the alert is escalated (see the reasons above). The recipients may be empty: nobody can be
    reached on the channel (``peerscope alerts list`` still shows the alert)."""
    now = _aware(now) or utcnow()
    cutoff = now - _delta(repeat)
    escalate_before = now - _delta(escalate_after)
    alerts = list(
        session.scalars(
            select(RiskAlert)
            .where(
                RiskAlert.acknowledged_at.is_(None),
                or_(
                    RiskAlert.last_notified_at.is_(None),
                    RiskAlert.last_notified_at < cutoff,
                    and_(RiskAlert.escalated_at.is_(None), RiskAlert.created_at < escalate_before),
                    RiskAlert.notice_claimed_at < now - CLAIM_LEASE,
                ),
            )
            .order_by(RiskAlert.created_at, RiskAlert.id)
        )
    )
    if not alerts:
        return []
    admins = list(
        session.scalars(select(Staff.id).where(Staff.role == Role.admin, Staff.active.is_(True)).order_by(Staff.id))
    )
    accounts: dict[int, list[str]] = {}
    for staff_id, external_id in session.execute(
        select(ChatIdentity.staff_id, ChatIdentity.external_id)
        .join(Staff)
        .where(ChatIdentity.channel == channel, Staff.active.is_(True))
        .order_by(ChatIdentity.id)
    ):
        accounts.setdefault(staff_id, []).append(external_id)
    out = []
    for alert in alerts:
        owner = session.get(Staff, alert.staff_id)
        supervisor = owner.supervisor if owner is not None else None
        if supervisor is not None and (not supervisor.active or supervisor.id == alert.staff_id):
            supervisor = None
        recipients = []
        if supervisor is None:
            reason = NO_SUPERVISOR
        elif not accounts.get(supervisor.id):
            reason = SUPERVISOR_NOT_LINKED
        else:
            recipients.append(Recipient(supervisor.id, "supervisor", tuple(accounts[supervisor.id])))
            if _aware(alert.created_at) < escalate_before:
                reason = OPEN_TOO_LONG
            else:
                reason = ESCALATED if alert.escalated_at is not None else None
        if reason:
            skip = {alert.staff_id} | ({supervisor.id} if supervisor is not None else set())
            recipients += [
                Recipient(a, "admin", tuple(accounts[a])) for a in admins if a not in skip and accounts.get(a)
            ]
        out.append(
            Due(
                alert=alert,
                staff_name=owner.name if owner else f"staff #{alert.staff_id}",
                recipients=tuple(recipients),
                escalate=reason,
            )
        )
    return out


def claim(session: Session, due: Due, now: datetime, repeat: float | timedelta = 900, by: str = "") -> bool:
    """Take ``due`` for one notice: a compare-and-set on ``last_notified_at`` (and
    ``escalated_at`` for an escalation), so of two bridges only one gets True. Commit (or
    let the caller's session_scope commit) before sending. A first escalation is audited."""
    now = _aware(now)
    alert = due.alert
    fresh = or_(
        RiskAlert.last_notified_at.is_(None),
        RiskAlert.last_notified_at < now - _delta(repeat),
        RiskAlert.notice_claimed_at < now - CLAIM_LEASE,
    )  # a claim left by a bridge that died
    values: dict = {"last_notified_at": now, "notice_claimed_at": now, "notice_claimed_by": by[:64]}
    first_escalation = due.escalate is not None and alert.escalated_at is None
    if first_escalation:
        audit.lock_chain(session)  # it will be audited: the chain lock before the row lock
        fresh = or_(fresh, RiskAlert.escalated_at.is_(None))
        values["escalated_at"] = now
    result = session.execute(
        update(RiskAlert)
        .where(RiskAlert.id == alert.id, RiskAlert.acknowledged_at.is_(None), fresh)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    if first_escalation:
        audit.record(
            session,
            "risk_alert.escalate",
            actor_id=None,
            object_type="risk_alert",
            object_id=alert.id,
            detail={"reason": due.escalate, "admins": sorted(r.staff_id for r in due.recipients if r.role == "admin")},
        )
    return True


def mark_notified(session: Session, alert_id: int, delivered_to: list[int] | tuple[int, ...]) -> None:
    """A claimed notice went out to these staff ids: count it and audit it."""
    audit.lock_chain(session)  # the chain lock before the row lock (see bot.store.audit)
    session.execute(
        update(RiskAlert)
        .where(RiskAlert.id == alert_id)
        .values(notify_count=RiskAlert.notify_count + 1, notice_claimed_at=None, notice_claimed_by=None)
        .execution_options(synchronize_session=False)
    )
    audit.record(
        session,
        "risk_alert.notify",
        actor_id=None,
        object_type="risk_alert",
        object_id=alert_id,
        detail={"to": sorted(set(delivered_to))},
    )


def release(session: Session, due: Due, claimed_at: datetime) -> None:
    """A claimed notice reached nobody (the channel failed): put the claim back, so the next
    round tries again instead of waiting ``repeat``. A newer claim is left alone."""
    session.execute(
        update(RiskAlert)
        .where(RiskAlert.id == due.alert.id, RiskAlert.last_notified_at == _aware(claimed_at))
        .values(last_notified_at=due.alert.last_notified_at, notice_claimed_at=None, notice_claimed_by=None)
        .execution_options(synchronize_session=False)
    )


def release_claims(session: Session, by: str) -> int:
    """A bridge stopping: the notices it claimed and has not sent are due at the next round
    of any bridge (their claims are marked run out). How many."""
    result = session.execute(
        update(RiskAlert)
        .where(RiskAlert.notice_claimed_by == by[:64], RiskAlert.notice_claimed_at.isnot(None))
        .values(notice_claimed_at=datetime(2000, 1, 1, tzinfo=timezone.utc))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
