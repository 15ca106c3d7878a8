"""The declarative base every table shares, and the enums more than one table uses."""

from __future__ import annotations

import enum
from datetime import datetime, timezone

from sqlalchemy import Enum, MetaData
from sqlalchemy.orm import declarative_base

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
