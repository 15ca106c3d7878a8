"""Notes, flags and reviews in the store: who can read what, and what gets audited."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.cli_support import os_login
from bot.store import access, session_scope, staff
from bot.store import notes as repo
from bot.store.models import AuditLog, Note
from tests.acting import as_argv

TEXT = "Met with member to plan her week. Peer drove member to the pharmacy. Discussed coping skills."
FLAGS = [
    {
        "category": "transport",
        "start": 34,
        "end": 68,
        "reason": "rides",
        "suggestion": "help arrange a ride",
        "citations": [{"source": "cpss-job-description", "section": "x", "quote": "y"}],
    },
    {"category": "errands", "start": 34, "end": 68, "reason": "errand", "suggestion": "go together", "citations": []},
]


@pytest.fixture
def team(db_url):
    with session_scope() as s:
        boss = staff.add(s, "Dana Boss", role="supervisor")
        other_boss = staff.add(s, "Eli Other", role="supervisor")
        peer = staff.add(s, "Pat Peer", supervisor_id=boss.id)
        peer2 = staff.add(s, "Quinn Peer", supervisor_id=other_boss.id)
        admin = staff.add(s, "Ada Admin", role="admin")
        return {"boss": boss.id, "other_boss": other_boss.id, "peer": peer.id, "peer2": peer2.id, "admin": admin.id}


def _submitted_note(team) -> int:
    with session_scope() as s:
        author = access.actor(s, team["peer"])
        note = repo.save_draft(s, author, TEXT, FLAGS)
        repo.submit(s, author, note.id)
        return note.id


def _audit(action: str) -> list[tuple[int, str]]:
    with session_scope() as s:
        return [(a.actor_id, a.outcome) for a in s.scalars(select(AuditLog).where(AuditLog.action == action))]


def test_only_author_their_supervisor_and_admins_can_read_a_note(team):
    note_id = _submitted_note(team)
    for who in ("peer", "boss", "admin"):
        with session_scope() as s:
            assert repo.read(s, access.actor(s, team[who]), note_id).text == TEXT
    for who in ("peer2", "other_boss"):
        with pytest.raises(access.AccessDenied), session_scope() as s:
            repo.read(s, access.actor(s, team[who]), note_id)
    denied = [actor for actor, outcome in _audit("note.read") if outcome == "denied"]
    assert sorted(denied) == sorted([team["peer2"], team["other_boss"]])


def test_queue_review_and_outcome_reach_the_author(team):
    note_id = _submitted_note(team)
    with session_scope() as s:
        queue = repo.review_queue(s, access.actor(s, team["boss"]))
        assert [(q.note_id, q.flags, q.open_flags) for q in queue] == [(note_id, 2, 2)]
        assert repo.review_queue(s, access.actor(s, team["other_boss"])) == []
        with pytest.raises(access.AccessDenied):
            repo.review_queue(s, access.actor(s, team["peer"]))
    with session_scope() as s:
        boss = access.actor(s, team["boss"])
        repo.decide_flag(s, boss, note_id, 2, confirm=False)
        repo.decide_flag(s, boss, note_id, 1, confirm=True)
        with pytest.raises(repo.NoteError, match="say what to change"):
            repo.decide_note(s, boss, note_id, approve=False, comment="  ")
        repo.decide_note(s, boss, note_id, approve=False, comment="Say who drove.")
    with session_scope() as s:
        author = access.actor(s, team["peer"])
        seen = repo.take_unseen_outcomes(s, author)
        assert [(n.id, n.status.value, n.review_comment) for n in seen] == [(note_id, "returned", "Say who drove.")]
    with session_scope() as s:
        assert repo.take_unseen_outcomes(s, access.actor(s, team["peer"])) == []  # told once
        examples = repo.dismissed_examples(s, access.actor(s, team["admin"]))
        assert examples == [
            {
                "category": "errands",
                "text": TEXT[34:68],
                "label": "false_positive",
                "reviewed_at": examples[0]["reviewed_at"],
            }
        ]
    assert [a for a, _ in _audit("review.decide")] == [team["boss"]]


def test_a_supervisor_cannot_review_someone_elses_supervisee(team):
    note_id = _submitted_note(team)
    with pytest.raises(access.AccessDenied), session_scope() as s:
        repo.decide_note(s, access.actor(s, team["other_boss"]), note_id, approve=True)


def test_peers_cannot_edit_or_submit_another_peers_draft(team):
    with session_scope() as s:
        note = repo.save_draft(s, access.actor(s, team["peer"]), TEXT, [])
    with pytest.raises(access.AccessDenied), session_scope() as s:
        repo.submit(s, access.actor(s, team["peer2"]), note.id)


def test_discarding_erases_the_text(team):
    with session_scope() as s:
        author = access.actor(s, team["peer"])
        note = repo.save_draft(s, author, TEXT, FLAGS)
        repo.discard(s, author, note.id)
    with session_scope() as s:
        assert s.get(Note, note.id).text == "" and s.get(Note, note.id).flags == []


def test_review_cli_refuses_other_peoples_notes_and_decides(team, capsys):
    note_id = _submitted_note(team)
    # the command acts as the OS login's staff profile: as_argv points the login at --as first
    assert main(as_argv(["review", "show", str(note_id), "--as", str(team["peer2"])])) == 3
    assert "don't have access" in capsys.readouterr().err
    assert main(as_argv(["review", "list", "--as", str(team["boss"])])) == 0
    assert f"#{note_id}" in capsys.readouterr().out
    assert main(["review", "list", "--json"]) == 0
    assert [item["note_id"] for item in json.loads(capsys.readouterr().out)] == [note_id]
    assert main(["review", "decide", str(note_id), "--dismiss", "1", "--approve"]) == 0  # still the boss
    assert "approved" in capsys.readouterr().out
    assert main(["review", "export-feedback"]) == 3  # admins only
    assert main(["review", "list", "--as", str(team["peer"])]) == 3  # --as someone else: refused
    assert f"is staff #{team['boss']}" in capsys.readouterr().err


def test_staff_cli_adds_lists_and_reports_bad_input(db_url, capsys):
    assert main(["staff", "add", "Dana Boss", "--role", "supervisor"]) == 2  # the first must be an admin
    assert "--role admin" in capsys.readouterr().err
    assert main(["staff", "add", "Ada Admin", "--role", "admin"]) == 0  # the first admin: this OS login
    assert f"linked your OS login '{os_login()}'" in capsys.readouterr().out
    assert main(["staff", "add", "Dana Boss", "--role", "supervisor", "--link", "telegram:77"]) == 0
    assert main(["staff", "add", "Pat", "--supervisor", "2", "--program", "family"]) == 0
    assert main(["staff", "add", "Bad", "--link", "nocolon"]) == 2
    assert "CHANNEL:ID" in capsys.readouterr().err
    assert main(["staff", "list"]) == 0
    out = capsys.readouterr().out
    assert "telegram:77" in out and "family" in out and f"local:{os_login()}" in out
    assert main(["staff", "list", "--json"]) == 0
    listed = {s["name"]: s for s in json.loads(capsys.readouterr().out)}
    assert listed["Dana Boss"]["accounts"] == ["telegram:77"] and listed["Pat"]["program"] == "family"
    assert main(["unanswered"]) == 0  # the admin
    assert "no unanswered questions" in capsys.readouterr().out
    assert main(as_argv(["unanswered", "--as", "3"])) == 3  # a peer may not
    assert main(as_argv(["unanswered", "--as", "2"])) == 0
    assert main(["staff", "add", "Eve", "--as", "2"]) == 3  # only an admin adds staff
    assert "only an admin" in capsys.readouterr().err
