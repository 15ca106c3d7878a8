"""Every PeerScope table. Note and plan text is health information: it lives here
and nowhere else (not in logs, not in the Rasa tracker)."""

from __future__ import annotations

import enum
from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import declarative_base, relationship

# Stable constraint names so migrations behave the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
Base = declarative_base(metadata=MetaData(naming_convention=NAMING))


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, validate_strings=True, length=20)


class Role(str, enum.Enum):
    peer = "peer"
    supervisor = "supervisor"
    admin = "admin"


class Program(str, enum.Enum):
    adult = "adult"  # adult peer support (CPSS, SDMI waiver, DBH definition)
    family = "family"  # family peer support (FPS toolkit, DBH definition)


class NoteStatus(str, enum.Enum):
    draft = "draft"
    submitted = "submitted"
    approved = "approved"
    returned = "returned"
    discarded = "discarded"


class FlagStatus(str, enum.Enum):
    open = "open"
    confirmed = "confirmed"
    dismissed = "dismissed"


class PlanStatus(str, enum.Enum):
    in_progress = "in_progress"
    complete = "complete"
    signed = "signed"


class Staff(Base):
    __tablename__ = "staff"

    id = Column(Integer, primary_key=True)
    name = Column(String(200), nullable=False)
    role = Column(_enum(Role, "staff_role"), nullable=False, default=Role.peer)
    program = Column(_enum(Program, "staff_program"), nullable=True)
    supervisor_id = Column(Integer, ForeignKey("staff.id", ondelete="SET NULL"), nullable=True)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)

    supervisor = relationship("Staff", remote_side=[id], backref="supervisees")
    identities = relationship("ChatIdentity", back_populates="staff", cascade="all, delete-orphan")

    def __repr__(self) -> str:  # no personal data beyond id and role
        return f"<Staff id={self.id} role={self.role.value if self.role else None}>"


class ChatIdentity(Base):
    """A chat account (Telegram user, terminal user, REST sender) linked to a staff record."""

    __tablename__ = "chat_identity"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_chat_identity_channel_external"),)

    id = Column(Integer, primary_key=True)
    staff_id = Column(Integer, ForeignKey("staff.id", ondelete="CASCADE"), nullable=False, index=True)
    channel = Column(String(32), nullable=False)
    external_id = Column(String(128), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)

    staff = relationship("Staff", back_populates="identities")


class Note(Base):
    __tablename__ = "note"

    id = Column(Integer, primary_key=True)
    author_id = Column(Integer, ForeignKey("staff.id"), nullable=False, index=True)
    text = Column(Text, nullable=False)
    status = Column(_enum(NoteStatus, "note_status"), nullable=False, default=NoteStatus.draft)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    submitted_at = Column(DateTime(timezone=True), nullable=True)
    decided_at = Column(DateTime(timezone=True), nullable=True)
    review_comment = Column(Text, nullable=True)
    outcome_seen_at = Column(DateTime(timezone=True), nullable=True)

    author = relationship("Staff")
    flags = relationship("NoteFlag", back_populates="note", cascade="all, delete-orphan", order_by="NoteFlag.start")

    def __repr__(self) -> str:  # never the text
        return f"<Note id={self.id} status={self.status.value if self.status else None}>"


class NoteFlag(Base):
    __tablename__ = "note_flag"

    id = Column(Integer, primary_key=True)
    note_id = Column(Integer, ForeignKey("note.id", ondelete="CASCADE"), nullable=False, index=True)
    category = Column(String(32), nullable=False)
    start = Column(Integer, nullable=False)
    end = Column(Integer, nullable=False)
    reason = Column(Text, nullable=False)
    suggestion = Column(Text, nullable=False)
    citations = Column(JSON, nullable=False, default=list)
    status = Column(_enum(FlagStatus, "flag_status"), nullable=False, default=FlagStatus.open)
    reviewed_by_id = Column(Integer, ForeignKey("staff.id"), nullable=True)
    reviewed_at = Column(DateTime(timezone=True), nullable=True)

    note = relationship("Note", back_populates="flags")

    def __repr__(self) -> str:
        return f"<NoteFlag id={self.id} category={self.category}>"


class Review(Base):
    """A supervisor's decision on a submitted note."""

    __tablename__ = "review"

    id = Column(Integer, primary_key=True)
    note_id = Column(Integer, ForeignKey("note.id", ondelete="CASCADE"), nullable=False, index=True)
    reviewer_id = Column(Integer, ForeignKey("staff.id"), nullable=False)
    decision = Column(String(20), nullable=False)  # approved | returned
    comment = Column(Text, nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class WrspPlan(Base):
    __tablename__ = "wrsp_plan"

    id = Column(Integer, primary_key=True)
    owner_id = Column(Integer, ForeignKey("staff.id"), nullable=False, index=True)
    client_ref = Column(String(64), nullable=False)  # initials or record number, never a full name
    program = Column(_enum(Program, "plan_program"), nullable=True)
    admission_date = Column(Date, nullable=True)
    status = Column(_enum(PlanStatus, "plan_status"), nullable=False, default=PlanStatus.in_progress)
    version = Column(Integer, nullable=False, default=1)
    previous_id = Column(Integer, ForeignKey("wrsp_plan.id"), nullable=True)
    completed_at = Column(DateTime(timezone=True), nullable=True)
    signed_by_id = Column(Integer, ForeignKey("staff.id"), nullable=True)
    signed_at = Column(DateTime(timezone=True), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)

    answers = relationship("WrspAnswer", back_populates="plan", cascade="all, delete-orphan")


class WrspAnswer(Base):
    __tablename__ = "wrsp_answer"
    __table_args__ = (UniqueConstraint("plan_id", "field", name="uq_wrsp_answer_plan_field"),)

    id = Column(Integer, primary_key=True)
    plan_id = Column(Integer, ForeignKey("wrsp_plan.id", ondelete="CASCADE"), nullable=False, index=True)
    field = Column(String(100), nullable=False)
    value = Column(JSON, nullable=True)
    answered_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)

    plan = relationship("WrspPlan", back_populates="answers")


class WrspAnswerHistory(Base):
    """An answer as it was before a change: the old and new value, who changed it, when, and
    through which channel. Plan text, so it lives here only (never in logs or the audit log);
    deleted with its plan."""

    __tablename__ = "wrsp_answer_history"

    id = Column(Integer, primary_key=True)
    plan_id = Column(Integer, ForeignKey("wrsp_plan.id", ondelete="CASCADE"), nullable=False, index=True)
    field = Column(String(100), nullable=False)
    old_value = Column(JSON, nullable=True)
    new_value = Column(JSON, nullable=True)
    old_answered_at = Column(DateTime(timezone=True), nullable=True)
    actor_id = Column(Integer, ForeignKey("staff.id", ondelete="SET NULL"), nullable=True)
    channel = Column(String(32), nullable=True)
    changed_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class OnboardingProgress(Base):
    __tablename__ = "onboarding_progress"
    __table_args__ = (UniqueConstraint("staff_id", "module", name="uq_onboarding_progress_staff_module"),)

    id = Column(Integer, primary_key=True)
    staff_id = Column(Integer, ForeignKey("staff.id", ondelete="CASCADE"), nullable=False, index=True)
    module = Column(String(100), nullable=False)
    step = Column(Integer, nullable=False, default=0)
    completed_at = Column(DateTime(timezone=True), nullable=True)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)


class QuizAttempt(Base):
    __tablename__ = "quiz_attempt"

    id = Column(Integer, primary_key=True)
    staff_id = Column(Integer, ForeignKey("staff.id", ondelete="CASCADE"), nullable=False, index=True)
    answers = Column(JSON, nullable=False, default=dict)
    score = Column(Integer, nullable=True)
    total = Column(Integer, nullable=True)
    passed = Column(Boolean, nullable=True)
    started_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    finished_at = Column(DateTime(timezone=True), nullable=True)


class UnansweredQuestion(Base):
    """A question the policies do not cover, kept for supervisors (staff id only, no name)."""

    __tablename__ = "unanswered_question"

    id = Column(Integer, primary_key=True)
    question = Column(Text, nullable=False)
    staff_id = Column(Integer, ForeignKey("staff.id", ondelete="SET NULL"), nullable=True)
    program = Column(String(20), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    resolved_at = Column(DateTime(timezone=True), nullable=True)


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


class StaffInvite(Base):
    """A one-time sign-in code for a chat channel. Only the SHA-256 of the code is kept."""

    __tablename__ = "staff_invite"

    id = Column(Integer, primary_key=True)
    code_hash = Column(String(64), nullable=False, unique=True)
    role = Column(_enum(Role, "invite_role"), nullable=False, default=Role.peer)
    program = Column(_enum(Program, "invite_program"), nullable=True)
    supervisor_id = Column(Integer, ForeignKey("staff.id", ondelete="SET NULL"), nullable=True)
    name = Column(String(200), nullable=True)
    staff_id = Column(Integer, ForeignKey("staff.id", ondelete="CASCADE"), nullable=True)  # links an existing record
    created_by_id = Column(Integer, ForeignKey("staff.id", ondelete="SET NULL"), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at = Column(DateTime(timezone=True), nullable=False)
    used_at = Column(DateTime(timezone=True), nullable=True)
    used_by_staff_id = Column(Integer, ForeignKey("staff.id", ondelete="SET NULL"), nullable=True)
    revoked_at = Column(DateTime(timezone=True), nullable=True)

    def __repr__(self) -> str:  # never the hash or the name
        return f"<StaffInvite id={self.id} role={self.role.value if self.role else None}>"


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


class WebCode(Base):
    """A one-time code to sign in to the supervisor console (`peerscope staff web-code`).
    Only the SHA-256 of the code is kept; it expires within minutes and works once."""

    __tablename__ = "web_code"

    id = Column(Integer, primary_key=True)
    staff_id = Column(Integer, ForeignKey("staff.id", ondelete="CASCADE"), nullable=False, index=True)
    code_hash = Column(String(64), nullable=False, unique=True)
    created_by_id = Column(Integer, ForeignKey("staff.id", ondelete="SET NULL"), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at = Column(DateTime(timezone=True), nullable=False)
    used_at = Column(DateTime(timezone=True), nullable=True)

    def __repr__(self) -> str:  # never the hash
        return f"<WebCode id={self.id} staff_id={self.staff_id}>"


class WebSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is kept."""

    __tablename__ = "web_session"

    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    staff_id = Column(Integer, ForeignKey("staff.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at = Column(DateTime(timezone=True), nullable=False)
    revoked_at = Column(DateTime(timezone=True), nullable=True)

    def __repr__(self) -> str:
        return f"<WebSession id={self.id} staff_id={self.staff_id}>"


# --- the Telegram bridge's own state (bot/store/telegram_state.py) ----------------------------
# Kept here rather than in the bridge's memory, so a restarted bridge, or a second one, sees it.


class TelegramRate(Base):
    """Flood control per Telegram account: the times of its accepted messages in the last
    window (at most the limit), and when it was last told to slow down."""

    __tablename__ = "telegram_rate"

    user_id = Column(BigInteger, primary_key=True, autoincrement=False)
    hits = Column(JSON, nullable=False, default=list)  # epoch seconds, oldest first
    warned_at = Column(DateTime(timezone=True), nullable=True)


class TelegramUpdate(Base):
    """An update the bridge has taken (a message by chat and message id, or a button press
    by its id), so one Telegram delivers again is dropped. Pruned after two days."""

    __tablename__ = "telegram_update"

    key = Column(String(80), primary_key=True)
    seen_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)


class TelegramButton(Base):
    """A button payload longer than Telegram's 64-byte callback data, under the short key the
    button carries. Payloads are the assistant's own commands, never what a person wrote."""

    __tablename__ = "telegram_button"

    key = Column(String(32), primary_key=True)
    payload = Column(Text, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)


class PendingQuestion(Base):
    """The question a clarifying choice ("Do you mean ...?") refers to, per chat sender,
    for a few minutes. The tracker store keeps questions redacted (they may name a client),
    so it is kept here, where any action server that gets the user's pick can read it."""

    __tablename__ = "pending_question"

    sender = Column(String(128), primary_key=True)
    question = Column(Text, nullable=False)
    asked_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)

    def __repr__(self) -> str:  # never the question
        return f"<PendingQuestion sender={self.sender!r}>"


class RestMessage(Base):
    """A message to the REST channel by its client's id, so a repeat of it (a client's or
    HAProxy's retry) is answered from here and never handled twice. ``owner`` is the Rasa
    process handling it and ``heartbeat_at`` when that process last said so; ``reply`` is
    the answer, encrypted (it may quote a note or plan). Kept for minutes (bot.store.rest_messages)."""

    __tablename__ = "rest_message"

    sender = Column(String(128), primary_key=True)
    message_id = Column(String(64), primary_key=True)
    owner = Column(String(40), nullable=False)
    heartbeat_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    reply = Column(Text, nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)

    def __repr__(self) -> str:  # never the reply
        return f"<RestMessage sender={self.sender!r} message_id={self.message_id!r}>"


class ActionResult(Base):
    """What an action call answered (events and replies, encrypted), under a key naming the
    conversation, the client's message id, the action and its place in the turn, so the same
    call made again (HAProxy's retry when an action server died before answering, or the
    turn handled again after its Rasa instance died) gets the same answer instead of running
    the action twice. Kept for minutes (bot.store.rest_messages)."""

    __tablename__ = "action_result"

    key = Column(String(64), primary_key=True)
    result = Column(Text, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)

    def __repr__(self) -> str:  # never the result
        return f"<ActionResult key={self.key!r}>"
