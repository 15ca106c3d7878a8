"""Risk alerts: a staff member's chat described a risk of harm; their supervisor must know.

An alert records only that it happened, when, who was talking and whom it was
about (``self``, ``client`` or ``unknown``), never the words. It stays open until a
supervisor (the staff member's own, or an admin) acknowledges it: nothing the staff
member says afterwards ("no, I'm fine") closes it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store import audit
from bot.store.access import AccessDenied, NotFound, may_read
from bot.store.models import RiskAlert, Role, Staff, utcnow

ABOUT = ("self", "client", "unknown")


def raise_alert(session: Session, staff_id: int, about: str) -> RiskAlert:
    """Record an alert (no text) and audit it."""
    if about not in ABOUT:
        about = "unknown"
    alert = RiskAlert(staff_id=staff_id, about=about)
    session.add(alert)
    session.flush()
    audit.record(session, "risk_alert.raise", actor_id=staff_id, object_type="risk_alert",
                 object_id=alert.id, detail={"about": about})
    return alert


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
        query = query.join(Staff, Staff.id == RiskAlert.staff_id).where(Staff.supervisor_id == actor.id)
    rows = list(session.scalars(query))
    audit.record(session, "risk_alert.list", actor_id=actor.id, object_type="risk_alert",
                 detail={"count": len(rows)})
    return rows


def acknowledge(session: Session, actor: Staff, alert_id: int) -> RiskAlert:
    """Close an alert. Only the staff member's supervisor or an admin may; both are audited."""
    _require_supervisor(session, actor, "risk_alert.ack")
    alert = session.get(RiskAlert, alert_id)
    if alert is None:
        raise NotFound(f"no risk alert #{alert_id}")
    owner = session.get(Staff, alert.staff_id)
    if owner is None or owner.id == actor.id or not may_read(actor, owner):
        audit.record(session, "risk_alert.ack", actor_id=actor.id, object_type="risk_alert",
                     object_id=alert_id, outcome="denied")
        session.commit()
        raise AccessDenied(f"you don't have access to risk alert #{alert_id}")
    if alert.acknowledged_at is None:
        alert.acknowledged_at = utcnow()
        alert.acknowledged_by = actor.id
    audit.record(session, "risk_alert.ack", actor_id=actor.id, object_type="risk_alert", object_id=alert.id)
    return alert


def open_about(session: Session, staff_id: int) -> list[str]:
    """Whom the staff member's open alerts are about (for the "I'm fine" reply)."""
    return list(session.scalars(select(RiskAlert.about).where(
        RiskAlert.staff_id == staff_id, RiskAlert.acknowledged_at.is_(None))))


def describe(alert: RiskAlert, names: dict[int, str] | None = None) -> str:
    """One line for a supervisor: id, when, who, about whom, status (never any text)."""
    who = (names or {}).get(alert.staff_id) or f"staff #{alert.staff_id}"
    about = {"self": "about themselves", "client": "about someone they support",
             "unknown": "unclear about whom"}[alert.about if alert.about in ABOUT else "unknown"]
    status = (f"acknowledged {alert.acknowledged_at:%Y-%m-%d %H:%M} UTC" if alert.acknowledged_at
              else "open")
    return f"#{alert.id}  {alert.created_at:%Y-%m-%d %H:%M} UTC  {who}, {about}  ({status})"
