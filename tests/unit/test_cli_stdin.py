"""`-` reads standard input wherever the command line takes a file or text: check-note and
its --jsonl, ask and its --jsonl, eval qa|notes|risk, knowledge add, the text options of
knowledge rule new, and review decide --return. One helper does it (bot.cli_support)."""

from __future__ import annotations

import argparse
import io
import json
import sys

import pytest

from bot.cli import main
from bot.cli_support import input_path, read_input, text_arguments
from tests.unit.test_knowledge_import import DOG_QUOTE, HANDBOOK, env  # noqa: F401  (fixture)


def _run(capsys, monkeypatch, stdin: str, *argv) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_helper(tmp_path, monkeypatch):
    note = tmp_path / "note.txt"
    note.write_text("from a file", encoding="utf-8")
    assert read_input(str(note)) == "from a file"
    monkeypatch.setattr(sys, "stdin", io.StringIO("from stdin\n"))
    assert read_input("-") == "from stdin\n"

    args = argparse.Namespace(quote="-", answer="typed", example=["one", "-"])
    with pytest.raises(ValueError, match="only one option can read standard input"):
        text_arguments(args, "quote", "answer", "example")
    args = argparse.Namespace(quote="typed", example=["one", "-"])
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long example\n"))
    text_arguments(args, "quote", "example")
    assert args.example == ["one", "a long example"] and args.quote == "typed"

    monkeypatch.setattr(sys, "stdin", io.StringIO("%PDF-1.7 not really"))
    with input_path("-") as path:
        assert path.suffix == ".pdf" and path.read_bytes() == b"%PDF-1.7 not really"
        assert path.stat().st_mode & 0o077 == 0  # owner-only
    assert not path.exists()


def test_check_note_and_eval_read_json_lines_from_stdin(capsys, monkeypatch):
    lines = "\n".join(
        json.dumps(item)
        for item in (
            {"id": "a", "text": "Writer gave her a ride to the clinic."},
            {"id": "b", "text": "Member reviewed her WRAP plan."},
        )
    )
    code, out, _ = _run(capsys, monkeypatch, lines, "check-note", "--jsonl", "-")
    results = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["id"] for r in results] == ["a", "b"]
    assert [f["category"] for f in results[0]["flags"]] == ["transport"] and results[1]["flags"] == []

    risk = "\n".join(
        json.dumps(item)
        for item in (
            {"id": 1, "text": "She said she wants to kill herself tonight.", "risk": True},
            {"id": 2, "text": "We practiced a job interview.", "risk": False},
        )
    )
    code, out, _ = _run(capsys, monkeypatch, risk, "eval", "risk", "-", "--json")
    assert code == 0 and json.loads(out)["items"] == 2


def test_ask_reads_json_lines_from_stdin(capsys, monkeypatch):
    lines = json.dumps({"id": "q1", "question": "can I drive my client to her appointment in my own car?"})
    code, out, err = _run(capsys, monkeypatch, lines, "ask", "--jsonl", "-")
    [answer] = [json.loads(line) for line in out.splitlines()]
    assert code == 0, err
    assert answer["id"] == "q1" and answer["verdict"] == "not_allowed"


def test_knowledge_add_and_rule_new_read_stdin(env, capsys, monkeypatch):  # noqa: F811
    add = ["knowledge", "add", "-", "--id", "agency-handbook", "--title", "Agency Handbook", "--program", "adult"]
    code, _, err = _run(capsys, monkeypatch, HANDBOOK, *add)
    assert code == 2 and "--yes" in err and len(err.strip().splitlines()) == 1
    code, out, err = _run(capsys, monkeypatch, HANDBOOK, *add, "--dry-run")
    assert code == 0, err
    assert "Read standard input" in out and "Home Visits" in out and "Dry run" in out
    assert not (env / "sources" / "agency-handbook.md").exists()
    code, out, err = _run(capsys, monkeypatch, HANDBOOK, *add, "--yes")
    assert code == 0, err
    assert "58 cents per mile" in (env / "sources" / "agency-handbook.md").read_text(encoding="utf-8")

    rule = [
        "knowledge",
        "rule",
        "new",
        "--source",
        "agency-handbook",
        "--section",
        "Home Visits",
        "--verdict",
        "depends",
        "--condition",
        "the client has given written consent",
        "--question",
        "Can I bring my therapy dog on a home visit?",
        "--answer",
        "Only with the client's written consent, and only a certified therapy dog.",
        "--id",
        "therapy-dog-visits",
        "--yes",
        "--quote",
        "-",
    ]
    code, out, err = _run(capsys, monkeypatch, DOG_QUOTE + "\n", *rule)
    assert code == 0, err
    assert DOG_QUOTE in (env / "rules" / "local-agency-handbook.yml").read_text(encoding="utf-8")
    code, _, err = _run(capsys, monkeypatch, "x", *rule[:-1], "-", "--example", "-")
    assert code == 2 and "only one option can read standard input" in err


def test_review_decide_reads_the_return_comment_from_stdin(db_url, capsys, monkeypatch):
    from bot.store import access, session_scope, staff
    from bot.store import notes as repo
    from bot.store.models import Note
    from tests.acting import act_as

    with session_scope() as s:
        boss = staff.add(s, "Dana Boss", role="supervisor")
        peer = staff.add(s, "Pat Peer", supervisor_id=boss.id)
        ids = (boss.id, peer.id)
    with session_scope() as s:
        author = access.actor(s, ids[1])
        note = repo.save_draft(s, author, "Met with member. Peer drove member to the pharmacy.", [])
        repo.submit(s, author, note.id)
        note_id = note.id
    act_as(ids[0])
    comment = "Please rewrite the second sentence:\nsay you helped arrange a ride."
    code, out, err = _run(capsys, monkeypatch, comment + "\n", "review", "decide", note_id, "--return", "-")
    assert code == 0, err
    with session_scope() as s:
        assert s.get(Note, note_id).review_comment == comment
