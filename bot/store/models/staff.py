"""Staff records and how they sign in: chat accounts, invite codes, the console's codes and sessions."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import relationship

from bot.store.models.base import Base, Program, Role, _enum, utcnow


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
