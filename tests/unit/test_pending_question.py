"""The question a clarifying choice refers to is kept in the database, so the pick can reach
any action server (two behind HAProxy, or one restarted) and still be answered."""

from __future__ import annotations

from datetime import timedelta

from bot.store import pending, session_scope
from bot.store.models import PendingQuestion


def test_a_question_kept_by_one_process_is_read_by_another_and_expires(db_url):
    with session_scope() as s:
        pending.remember(s, "rest:pat", "can I drive my client to the pharmacy?")
        pending.remember(s, "rest:fran", "can I hold her keys?")
    # another process: a new session on the same database
    with session_scope() as s:
        assert pending.recall(s, "rest:pat") == "can I drive my client to the pharmacy?"
        assert pending.recall(s, "rest:ola") == ""
        pending.remember(s, "rest:pat", "can I lend him money?")  # a new question replaces the old one
    with session_scope() as s:
        assert pending.recall(s, "rest:pat") == "can I lend him money?"
        s.get(PendingQuestion, "rest:fran").asked_at -= timedelta(seconds=pending.PENDING_SECONDS + 1)
    with session_scope() as s:
        assert pending.recall(s, "rest:fran") == ""  # too old
        pending.remember(s, "rest:ned", "can I text my client at night?")
    with session_scope() as s:  # old rows are deleted when a question is kept
        assert sorted(r.sender for r in s.query(PendingQuestion)) == ["rest:ned", "rest:pat"]
        assert "lend" not in repr(s.get(PendingQuestion, "rest:pat"))
