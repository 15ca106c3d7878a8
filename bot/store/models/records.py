"""Notes and their reviews, WRSP plans, onboarding progress and unanswered questions. Note and
plan text is health information: it lives in these tables and nowhere else."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import relationship

from bot.store.models.base import Base, FlagStatus, NoteStatus, PlanStatus, Program, _enum, utcnow


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
