"""State the chat processes share through the database: the Telegram bridge's (bot/store/telegram_state.py)
and the question a clarifying choice refers to (bot/store/pending.py)."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, DateTime, String, Text

from bot.store.models.base import Base, utcnow

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
