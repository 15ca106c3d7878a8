"""`peerscope ask` and `peerscope eval qa`."""

import json

import pytest

from bot.cli import main


@pytest.fixture
def recorded(db_url):
    """The questions logged in the real unanswered-questions table, as (question, staff, program)."""

    class Logged:
        def __eq__(self, other):
            from sqlalchemy import select

            from bot.store import session_scope
            from bot.store.models import UnansweredQuestion

            with session_scope() as session:
                rows = [
                    (q.question, q.staff_id, q.program)
                    for q in session.scalars(select(UnansweredQuestion).order_by(UnansweredQuestion.id))
                ]
            return rows == other

    return Logged()


def test_ask_json(capsys, recorded):
    assert main(["ask", "Can I run errands for my client?", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == "not_allowed"
    assert (
        {"verdict", "answer", "citations", "confidence"}
        <= set(out)
        <= {"verdict", "answer", "citations", "confidence", "clarify"}
    )
    assert recorded == []


def test_ask_text_and_program(capsys, recorded):
    assert main(["ask", "How much training do I need?", "--program", "family"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Verdict: info") and "fps-toolkit" in out


def test_ask_not_covered_is_recorded(capsys, recorded):
    assert main(["ask", "Does the agency pay for my cell phone plan?", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "not_covered"
    assert recorded == [("Does the agency pay for my cell phone plan?", None, None)]


def test_ask_jsonl(tmp_path, capsys, recorded):
    f = tmp_path / "q.jsonl"
    f.write_text(
        '{"id": "a", "question": "Can I date a client?"}\nnot json\n\n'
        '{"id": 2, "question": "What is the max group size?"}\n'
    )
    assert main(["ask", "--jsonl", str(f)]) == 1
    captured = capsys.readouterr()
    lines = [json.loads(x) for x in captured.out.splitlines()]
    assert [x["id"] for x in lines] == ["a", 2]
    assert lines[0]["verdict"] == "not_allowed" and lines[1]["verdict"] == "info"
    assert ":2:" in captured.err and "malformed" in captured.err


def test_ask_jsonl_missing_file(capsys):
    assert main(["ask", "--jsonl", "/nonexistent/q.jsonl"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_eval_qa(tmp_path, capsys, recorded):
    f = tmp_path / "e.jsonl"
    rows = [
        {
            "id": "x1",
            "question": "Can I keep my client's phone for her?",
            "verdict": "not_allowed",
            "sources": ["cpss-job-description"],
            "must_mention": ["personal belongings"],
        },
        {
            "id": "x2",
            "question": "Does my agency reimburse mileage for home visits?",
            "verdict": "not_covered",
            "sources": [],
            "must_mention": [],
        },
    ]
    f.write_text("\n".join(json.dumps(r) for r in rows))
    assert main(["eval", "qa", str(f), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["n"] == 2
    assert summary["verdict_accuracy"] == 1.0 and summary["source_hit_rate"] == 1.0
    assert summary["must_mention_rate"] == 1.0
    assert main(["eval", "qa", str(f)]) == 0
    assert "verdict accuracy" in capsys.readouterr().out


def test_ask_dash_reads_the_question_from_standard_input(capsys, monkeypatch, recorded):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("Can I run errands for my client?\n"))
    assert main(["ask", "-", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "not_allowed"


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.startswith("peerscope ")


def test_knowledge_coverage_finds_no_normative_sentence_without_a_rule_or_a_reason(capsys):
    assert main(["knowledge", "coverage"]) == 0
    assert (
        capsys.readouterr()
        .out.strip()
        .endswith("0 normative sentence(s) with no rule and no stated reason; 0 stale exemption(s)")
    )
