"""`peerscope check-note` and `peerscope eval notes|risk`."""

import io
import json
import sys
from pathlib import Path

from bot.cli import main

DATA = Path(__file__).resolve().parent.parent / "data"


def run(argv, capsys, stdin=None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_check_note_json_from_file(tmp_path, capsys):
    note = tmp_path / "note.txt"
    note.write_text("Met member at home. Writer gave her a ride to the clinic.")
    code, out, _ = run(["check-note", str(note), "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert list(data) == ["flags"]
    [flag] = data["flags"]
    assert flag["category"] == "transport"
    assert flag["text"] == "Writer gave her a ride to the clinic."
    assert {"category", "start", "end", "text", "reason", "citations", "suggestion"} <= set(flag)
    assert set(flag) <= {"category", "start", "end", "text", "reason", "citations", "suggestion", "confidence"}


def test_check_note_reads_stdin(capsys, monkeypatch):
    code, out, _ = run(["check-note", "-", "--json"], capsys, "Writer lent the member $20.", monkeypatch)
    assert [f["category"] for f in json.loads(out)["flags"]] == ["gifts"]
    code, out, _ = run(["check-note"], capsys, "Member reviewed her WRAP plan.", monkeypatch)
    assert "No out-of-scope passages" in out


def test_check_note_human_output(capsys, monkeypatch):
    code, out, _ = run(["check-note"], capsys, "Peer told member she probably has ADHD.", monkeypatch)
    assert "[diagnosis]" in out and "Source:" in out and "Try:" in out


def test_check_note_jsonl_reports_bad_lines_and_continues(tmp_path, capsys):
    path = tmp_path / "notes.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps({"id": "a", "text": "Writer drove the member home."}),
                "{not json",
                json.dumps({"id": "b"}),
                json.dumps({"id": "c", "text": "Member practiced calling her landlord."}),
            ]
        )
        + "\n"
    )
    code, out, err = run(["check-note", "--jsonl", str(path)], capsys)
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in rows] == ["a", "c"]
    assert [f["category"] for f in rows[0]["flags"]] == ["transport"] and rows[1]["flags"] == []
    assert "line 2" in err and "line 3" in err
    assert "drove" not in err


def test_eval_notes_prints_scores_and_misses(tmp_path, capsys):
    path = tmp_path / "items.jsonl"
    path.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {"id": "x1", "text": "Writer drove the member home.", "flags": ["transport"]},
                {"id": "x2", "text": "Member reviewed her goals.", "flags": []},
                {"id": "x3", "text": "Member reviewed her goals.", "flags": ["legal"]},
            ]
        )
    )
    code, out, _ = run(["eval", "notes", str(path)], capsys)
    assert "transport" in out and "macro" in out and "in-scope items with no flag: 1.000" in out
    assert "x3: expected ['legal'] got []" in out
    code, out, _ = run(["eval", "notes", str(path), "--json"], capsys)
    data = json.loads(out)
    assert data["per_category"]["transport"]["recall"] == 1.0
    assert data["per_category"]["legal"]["recall"] == 0.0
    assert [m["id"] for m in data["misses"]] == ["x3"]


def test_eval_risk_on_our_labelled_lines(capsys):
    code, out, _ = run(["eval", "risk", str(DATA / "risk_lines.jsonl"), "--json"], capsys)
    data = json.loads(out)
    assert data["items"] >= 120
    # issue 12's targets: recall over both tiers, the alert tier's precision, few "please check"s
    assert data["recall"] >= 0.98 and data["alert_tier"]["precision"] >= 0.85
    assert data["non_risk_lines_possible"] <= 0.30


def test_eval_risk_chat_scores_lines_as_the_chat_answers_them(tmp_path, capsys):
    from bot.notes.risk import risk_in

    lines = [
        {"id": "c1", "text": "hi", "risk": False},
        {"id": "c2", "text": "let me see note 4", "risk": False},
        {"id": "c3", "text": "honestly I'm done, I'm going to kill myself tonight", "risk": True},
        {"id": "c4", "text": "my client told me she has pills saved up to end it", "risk": True},
    ]
    path = tmp_path / "chat.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in lines))
    code, out, _ = run(["eval", "risk", str(path), "--chat", "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["items"] == 4
    assert data["recall"] == 1.0 and data["fp"] == 0 and not data["misses"]
    # the same verdict, line by line, as the chat's own check
    assert [bool(risk_in(row["text"])) for row in lines] == [row["risk"] for row in lines]


def test_risk_lines_file_covers_the_kinds_of_language():
    rows = [json.loads(line) for line in (DATA / "risk_lines.jsonl").read_text().splitlines()]
    assert len(rows) >= 120
    assert {True, False} == {r["risk"] for r in rows}
    texts = " ".join(r["text"].lower() for r in rows)
    for phrase in (
        "end it all",
        "won't be around much longer",
        "giving away her things",
        "denied si",
        "no thoughts of self-harm",
        "killer workout",
        "dying to see the game",
        "phone died",
        "shoot him a text",
    ):
        assert phrase in texts, phrase


def test_files_the_cli_creates_are_owner_only(tmp_path, capsys):
    import os
    import stat

    note = tmp_path / "note.txt"
    note.write_text("Writer drove the member home.")
    code, out, _ = run(["check-note", str(note), "--json"], capsys)
    probe = tmp_path / "created-after.txt"
    probe.write_text("x")
    assert stat.S_IMODE(os.stat(probe).st_mode) & 0o077 == 0
