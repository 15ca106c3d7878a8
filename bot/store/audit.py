"""The append-only audit log: who read or changed which record, when, from which channel
and which OS user; the entries form a hash chain that `peerscope audit verify` checks.

Each entry's ``entry_hash`` is the SHA-256 of the previous entry's hash and the entry's
own content (:func:`entry_hash`), so changing, removing or inserting an entry anywhere
but at the end breaks the chain from there on. The hashes are computed when the session
flushes, under a lock that serialises writers (:func:`lock_chain`), so that concurrent
processes never chain two entries to the same predecessor.

Lock order: a transaction that writes audit entries holds the chain lock until it ends.
Code that also takes row locks (``SELECT ... FOR UPDATE``) takes the chain lock first
(:func:`lock_chain`), so two transactions never wait for each other the other way round.
"""

from __future__ import annotations

import hashlib
import json
import os
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import event, inspect, select, text
from sqlalchemy.orm import Session

from bot.store.models import AuditLog, utcnow

# One arbitrary 64-bit key for pg_advisory_xact_lock ("PSAUDIT").
CHAIN_LOCK_KEY = 0x5053_4155_4449_54
# a context variable: the action server serves many chats at once, each from its own channel
_channel: ContextVar[str] = ContextVar("audit_channel", default="unknown")


def set_channel(name: str) -> None:
    """The channel entries are written from (cli, telegram, chat:telegram, ...): set once per
    process, or per request in a server (it holds for the current task only)."""
    _channel.set((name or "unknown")[:32])


def current_channel() -> str:
    return _channel.get()


def record(
    session: Session,
    action: str,
    *,
    actor_id: int | None,
    object_type: str | None = None,
    object_id: int | None = None,
    outcome: str = "ok",
    detail: dict | None = None,
    channel: str | None = None,
) -> None:
    """Add an audit entry to the session. ``detail`` must never hold note or plan text."""
    session.add(
        AuditLog(
            at=utcnow(),
            action=action,
            actor_id=actor_id,
            object_type=object_type,
            object_id=object_id,
            outcome=outcome,
            detail=detail,
            channel=(channel or _channel.get())[:32],
            os_uid=os.getuid(),
        )
    )


# --- the hash chain ---------------------------------------------------------------------------


def _utc_text(moment: datetime | None) -> str | None:
    """The same text for a time as written (aware) and as read back (naive on SQLite)."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds")


def _json_value(value: Any) -> Any:
    """``value`` as the JSON column gives it back (string keys, lists for tuples)."""
    return None if value is None else json.loads(json.dumps(value))


def canonical(entry: AuditLog) -> str:
    """The entry's content as one JSON text with sorted keys."""
    return json.dumps(
        {
            "at": _utc_text(entry.at),
            "actor_id": entry.actor_id,
            "action": entry.action,
            "object_type": entry.object_type,
            "object_id": entry.object_id,
            "outcome": entry.outcome,
            "detail": _json_value(entry.detail),
            "channel": entry.channel,
            "os_uid": entry.os_uid,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )


def entry_hash(prev_hash: str | None, entry: AuditLog) -> str:
    return hashlib.sha256(f"{prev_hash or ''}\n{canonical(entry)}".encode()).hexdigest()


def lock_chain(session: Session) -> None:
    """Serialise audit writers until this transaction ends.

    PostgreSQL: a transaction-level advisory lock. SQLite: the database write lock, taken
    now (a write statement that matches no row) rather than at the first INSERT, so that
    the last hash read next is still the last when this transaction inserts after it."""
    connection = session.connection()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
    elif dialect == "sqlite":
        connection.execute(text("UPDATE audit_log SET id = id WHERE 0"))


def _last_hash(session: Session) -> str | None:
    return session.connection().execute(select(AuditLog.entry_hash).order_by(AuditLog.id.desc()).limit(1)).scalar()


@event.listens_for(Session, "before_flush")
def _chain_new_entries(session: Session, _flush_context, _instances) -> None:
    new = [obj for obj in session.new if isinstance(obj, AuditLog)]
    if not new:
        return
    lock_chain(session)
    previous = _last_hash(session)
    # the order the unit of work inserts them in, which is the order of their ids
    for entry in sorted(new, key=lambda obj: inspect(obj).insert_order):
        if entry.at is None:
            entry.at = utcnow()
        if entry.outcome is None:
            entry.outcome = "ok"
        entry.prev_hash = previous
        entry.entry_hash = previous = entry_hash(previous, entry)


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int  # entries read
    unchained: int = 0  # entries from before the hash chain existed (the first ones only)
    broken_id: int | None = None
    reason: str | None = None
    latest_hash: str | None = None  # keep a copy elsewhere: removing the newest entries shows only against it

    def message(self) -> str:
        if not self.ok:
            return f"audit log BROKEN at entry {self.broken_id}: {self.reason}"
        older = f" ({self.unchained} older entries from before the hash chain)" if self.unchained else ""
        latest = f"; latest hash {self.latest_hash}" if self.latest_hash else ""
        return f"audit log intact: {self.entries} entries{older}{latest}"


def verify(session: Session) -> Verification:
    """Recompute the chain, oldest entry first. Entries without a hash are accepted only
    before the first hashed one (written before the chain existed)."""
    count = unchained = 0
    previous: str | None = None
    started = False
    rows = session.execute(select(AuditLog).order_by(AuditLog.id).execution_options(yield_per=500)).scalars()
    for entry in rows:
        count += 1
        if entry.entry_hash is None and not started:
            unchained += 1
            continue
        if entry.entry_hash is None:
            return Verification(False, count, unchained, entry.id, "the entry has no hash")
        if entry.prev_hash != previous:
            why = (
                "it does not follow the entry before it (an entry was removed or inserted)"
                if started
                else "the chain does not start here (its first entries were removed)"
            )
            return Verification(False, count, unchained, entry.id, why)
        if entry_hash(entry.prev_hash, entry) != entry.entry_hash:
            return Verification(False, count, unchained, entry.id, "its content does not match its hash")
        started, previous = True, entry.entry_hash
    return Verification(True, count, unchained, latest_hash=previous)
