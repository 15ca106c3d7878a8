"""The append-only audit log, risk alerts, and the notification outbox."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Integer, String, event

from bot.store.models.base import Base, utcnow


class AuditLog(Base):
    """Append-only: who read or changed what, and when. Never holds note or plan text."""

    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    actor_id = Column(Integer, ForeignKey("staff.id", ondelete="SET NULL"), nullable=True)
    action = Column(String(64), nullable=False)
    object_type = Column(String(32), nullable=True)
    object_id = Column(Integer, nullable=True)
    outcome = Column(String(20), nullable=False, default="ok")  # ok | denied
    detail = Column(JSON, nullable=True)
    channel = Column(String(32), nullable=True)  # cli | terminal | telegram | rest | actions
    os_uid = Column(Integer, nullable=True)  # the OS user of the process that wrote the entry
    prev_hash = Column(String(64), nullable=True)  # hash chain: `peerscope audit verify`
    entry_hash = Column(String(64), nullable=True)


class AuditLogIsAppendOnly(Exception):
    pass


@event.listens_for(AuditLog, "before_update")
@event.listens_for(AuditLog, "before_delete")
def _refuse_audit_change(*_args) -> None:
    raise AuditLogIsAppendOnly("the audit log is append-only")


class RiskAlert(Base):
    """A risk-of-harm disclosure in chat, for the supervisor. Never the message text:
    only who was talking, when, and whom it was about. Closed only by a supervisor's
    acknowledgement."""

    __tablename__ = "risk_alert"

    id = Column(Integer, primary_key=True)
    staff_id = Column(Integer, ForeignKey("staff.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    about = Column(String(10), nullable=False, default="unknown")  # self | client | unknown
    acknowledged_at = Column(DateTime(timezone=True), nullable=True)
    acknowledged_by = Column(Integer, ForeignKey("staff.id", ondelete="SET NULL"), nullable=True)
    source = Column(String(10), nullable=False, default="chat", server_default="chat")  # chat | note
    notify_count = Column(Integer, nullable=False, default=0, server_default="0")
    last_notified_at = Column(DateTime(timezone=True), nullable=True)
    escalated_at = Column(DateTime(timezone=True), nullable=True)
    # a notice being sent: which bridge took it and when (bot/store/alerts.py claim); cleared
    # when it went out, so a claim left behind by a bridge that died is taken again
    notice_claimed_at = Column(DateTime(timezone=True), nullable=True)
    notice_claimed_by = Column(String(64), nullable=True)

    def __repr__(self) -> str:
        return f"<RiskAlert id={self.id} about={self.about}>"


class Notification(Base):
    """A message for a staff member, sent by the Telegram bridge (the only process that
    holds the bot token). Names the kind and the record id, never any note or plan text."""

    __tablename__ = "notification"

    id = Column(Integer, primary_key=True)
    staff_id = Column(Integer, ForeignKey("staff.id", ondelete="CASCADE"), nullable=False)
    kind = Column(String(32), nullable=False)  # e.g. plan_signed_off
    object_id = Column(Integer, nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    sent_at = Column(DateTime(timezone=True), nullable=True, index=True)
    attempts = Column(Integer, nullable=False, default=0, server_default="0")
    # what the message is about, once: a reminder or notice with the same key is never queued
    # twice (e.g. "wrsp_due_soon:12:2026-03-22"), so a restart or a second pass sends nothing new
    dedupe_key = Column(String(120), nullable=True, unique=True)
    # being sent: which bridge took it and when (bot/store/notifications.py claim); ``sent_at``
    # is set only once it went out, so a claim left by a bridge that died is taken again
    claimed_at = Column(DateTime(timezone=True), nullable=True)
    claimed_by = Column(String(64), nullable=True)
