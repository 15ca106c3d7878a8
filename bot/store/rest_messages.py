"""Messages to the REST channel by their client's id: each is handled once.

A client (the terminal chat, the Telegram bridge, the load benchmark) gives every message
an id and keeps it when it sends the message again (after a timeout or a 5xx); HAProxy
also sends a request again when its Rasa instance died before answering. Without a
record, the repeat is a second message: a WRSP answer applied twice lands in the next
question's field. Every Rasa instance shares this table:

- :func:`claim` records the id with an INSERT that the primary key turns into nothing the
  second time. The first request handles the message; a repeat gets "done" and the stored reply,
  or "busy" while the first is still running (it waits and asks again), or takes the
  message over when its handler is gone (its process is dead on this host, or it has not
  said it is alive for ``stale_seconds``).
- :func:`heartbeat` is the handler saying it is alive; :func:`finish` stores the reply;
  :func:`release` drops the record after a failure, so a repeat handles the message anew.
- Records older than ``KEEP_SECONDS`` are deleted when a message is claimed.

An action call of such a message is answered once too: :func:`keep_result` stores what it
answered under a key naming the message and the call (addons.action_once), and
:func:`kept_result` gives it back when the same call is made again (HAProxy's retry after an
action server died before answering; the turn handled again after its Rasa instance died).

The reply is stored as given (the caller encrypts it: it may quote a note or plan).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.store.models import ActionResult, RestMessage, utcnow

KEEP_SECONDS = 900  # a client's retries end well before this
STALE_SECONDS = 45.0


@dataclass(frozen=True)
class Claim:
    state: str  # "mine" (handle it), "done" (``reply`` is the answer) or "busy" (wait)
    reply: str | None = None


def owner_id(pid: int | None = None) -> str:
    """This process, as recorded on the messages it handles: host, pid and a random part."""
    return f"{socket.gethostname()[:16]}:{pid or os.getpid()}:{os.urandom(4).hex()}"


def _dead_here(owner: str) -> bool:
    """True when ``owner`` is a process on this host that no longer runs."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname()[:16] or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, another account's
        return False
    return False


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)  # SQLite gives naive UTC back


def _row(session: Session, sender: str, message_id: str):
    return session.execute(
        select(RestMessage.owner, RestMessage.heartbeat_at, RestMessage.reply).where(
            RestMessage.sender == sender, RestMessage.message_id == message_id
        )
    ).one_or_none()


def _insert_new(session: Session, table, **values) -> bool:
    """INSERT a row unless its primary key is taken (no error, no savepoint): True if it went in."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return session.execute(insert(table).values(**values).on_conflict_do_nothing()).rowcount == 1


def claim(
    session: Session,
    sender: str,
    message_id: str,
    owner: str,
    stale_seconds: float = STALE_SECONDS,
    now: datetime | None = None,
) -> Claim:
    now = now or utcnow()
    if _insert_new(
        session, RestMessage, sender=sender, message_id=message_id, owner=owner, heartbeat_at=now, created_at=now
    ):
        session.execute(delete(RestMessage).where(RestMessage.created_at < now - timedelta(seconds=KEEP_SECONDS)))
        return Claim("mine")
    row = _row(session, sender, message_id)  # another request with this id was first
    if row is None:  # released (or pruned) in between: ask again
        return Claim("busy")
    if row.reply is not None:
        return Claim("done", row.reply)
    if _aware(row.heartbeat_at) >= now - timedelta(seconds=stale_seconds) and not _dead_here(row.owner):
        return Claim("busy")
    taken = session.execute(
        update(RestMessage)
        .where(
            RestMessage.sender == sender,
            RestMessage.message_id == message_id,
            RestMessage.owner == row.owner,
            RestMessage.reply.is_(None),
        )
        .values(owner=owner, heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )
    return Claim("mine" if taken.rowcount == 1 else "busy")


def _mine(sender: str, message_id: str, owner: str):
    return (RestMessage.sender == sender, RestMessage.message_id == message_id, RestMessage.owner == owner)


def heartbeat(session: Session, sender: str, message_id: str, owner: str) -> bool:
    """False when the message is no longer this owner's."""
    result = session.execute(
        update(RestMessage)
        .where(*_mine(sender, message_id, owner), RestMessage.reply.is_(None))
        .values(heartbeat_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def finish(session: Session, sender: str, message_id: str, owner: str, reply: str) -> bool:
    result = session.execute(
        update(RestMessage)
        .where(*_mine(sender, message_id, owner))
        .values(reply=reply, heartbeat_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release(session: Session, sender: str, message_id: str, owner: str) -> None:
    session.execute(delete(RestMessage).where(*_mine(sender, message_id, owner), RestMessage.reply.is_(None)))


def kept_result(session: Session, key: str) -> str | None:
    return session.scalar(select(ActionResult.result).where(ActionResult.key == key))


def keep_result(session: Session, key: str, result: str, now: datetime | None = None) -> None:
    """Store an action call's answer (the first one stays if the call was answered twice)."""
    now = now or utcnow()
    if _insert_new(session, ActionResult, key=key, result=result, created_at=now):
        session.execute(delete(ActionResult).where(ActionResult.created_at < now - timedelta(seconds=KEEP_SECONDS)))
