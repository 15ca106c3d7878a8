"""Exports (Markdown, JSON, PDF) and the `peerscope wrsp` commands."""

from __future__ import annotations

import json
from datetime import date
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.store import access, session_scope, staff
from bot.store.models import AuditLog
from bot.wrsp import commands
from bot.wrsp import service as store
from bot.wrsp.export import document, export_plan, md_escape, pdf_text, render, to_markdown, to_pdf
from tests.acting import as_argv
from tests.unit.test_wrsp_interview import full_answers

TODAY = date(2026, 3, 4)


def _plan(**kw):
    base = dict(
        id=7,
        version=1,
        previous_id=None,
        status="in_progress",
        client_ref="J.D.",
        program="adult",
        admission_date=date(2026, 2, 20),
        owner_id=3,
        created_at=None,
        updated_at=None,
        completed_at=None,
    )
    return SimpleNamespace(**{**base, **kw})


def _strings(value):
    if isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def test_markdown_contains_every_answer_in_plan_order():
    answers = full_answers()
    md = to_markdown(document(_plan(), answers, owner_name="Pat Peer", today=TODAY))
    for field, value in answers.items():
        if field in ("admission_date", "program") or field.endswith("target_date"):
            continue  # shown as "Friday, February 20, 2026", "Adult peer support"
        for text in _strings(value):
            assert md_escape(text) in md, field
    assert "Tuesday, June 30, 2026" in md and "Saturday, August 1, 2026" in md  # target dates spelled out
    assert md.index("### Goal 1") < md.index("### Goal 2") < md.index("## Coordination of care")
    assert "Adult peer support" in md and "Friday, February 20, 2026" in md
    assert "Reason for refusing to sign" in md and "Not signed off yet." in md
    assert "The plan is due Sunday, March 22, 2026 (in 18 days)." in md


def test_markdown_neutralises_injected_markup():
    answers = {
        **full_answers(),
        "crisis_response": "<script>alert(1)</script>\n# Heading\n1. item\n- bullet",
        "goal.1.goal": "[click](javascript:alert(1)) **bold** `code` | a | table |",
        "wellness_plan": "<img src=x onerror=alert(1)>\n===\n> quote",
    }
    md = to_markdown(document(_plan(), answers, today=TODAY))
    for bad in (
        "<script>",
        "<img",
        "\n# Heading",
        "\n1. item",
        "\n- bullet",
        "[click](",
        "**bold**",
        "`code`",
        "\n===",
        "\n> quote",
    ):
        assert bad not in md, bad
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    assert md_escape("1. item") == "1\\. item" and md_escape("# h") == "\\# h"


def test_json_is_complete():
    answers = full_answers()
    signoff = {"staff_id": 1, "name": "Dana Boss", "role": "supervisor", "at": "2026-03-10T12:00:00+00:00"}
    doc = json.loads(
        render(
            document(
                _plan(status="signed", completed_at=date(2026, 3, 9)),
                answers,
                owner_name="Pat Peer",
                signoff=signoff,
                today=TODAY,
            ),
            "json",
        )
    )
    assert doc["answers"] == answers
    assert doc["signoff"] == signoff
    assert doc["plan"]["client_ref"] == "J.D." and doc["plan"]["owner_name"] == "Pat Peer"
    assert doc["due"]["kind"] == "review" and doc["due"]["due_date"] == "2026-06-07"
    assert doc["progress"] == {"answered": 28, "total": 28, "missing_required": []}
    goals = doc["sections"][2]["goals"]
    assert [g["number"] for g in goals] == [1, 2]
    assert goals[1]["fields"][4]["value"] == "2026-08-01"
    assert doc["policy"]["signoff"]["section"] == "Service Expectations"


def test_answers_that_no_longer_apply_are_still_exported():
    answers = {**full_answers(), "assessment_on_file": True}  # efforts recorded earlier, then found the copy
    doc = document(_plan(), answers, today=TODAY)
    assert [o["field"] for o in doc["other_answers"]] == ["assessment_efforts"]
    assert "asked the clinic twice" in to_markdown(doc)


def test_pdf_is_a_signable_plan():
    data = to_pdf(document(_plan(), full_answers(), owner_name="Pat Peer", today=TODAY))
    assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")
    assert len(data) > 2000


def test_pdf_survives_any_unicode():
    nasty = {
        **full_answers(),
        "wellness_plan": "walk 🌞 daily — “journal” ✓ 日本語 Ελληνικά ł ﬁ \u200b\u202e" + "x" * 400,
        "triggers": ["𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "\x00\x07bell", "é à ü"],
        "client_ref": "J.Ł.",
    }
    assert to_pdf(document(_plan(client_ref="J.Ł."), nasty, today=TODAY)).startswith(b"%PDF")
    assert pdf_text("“a” — b…") == '"a" - b...'
    assert pdf_text("é日") == "é?"


def test_pdf_prints_names_in_any_latin_script_as_typed():
    from io import BytesIO

    from pypdf import PdfReader

    names = {
        "wellness_plan": "Zofia Łukasiewicz from Łódź walks daily",
        "triggers": ["Nguyễn Thị Minh Khai's anniversary", "José Peña Muñoz, señora Ibáñez"],
    }
    data = to_pdf(
        document(_plan(client_ref="Ł.Ż."), {**full_answers(), **names}, owner_name="Đặng Văn Lâm", today=TODAY)
    )
    text = "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)
    for typed in (
        "Zofia Łukasiewicz",
        "Łódź",
        "Nguyễn Thị Minh Khai",
        "José Peña Muñoz",
        "Ibáñez",
        "Đặng Văn Lâm",
        "Ł.Ż.",
    ):
        assert typed in text, typed


@settings(max_examples=25, deadline=None)
@given(st.text(min_size=1, max_size=300))
def test_pdf_and_markdown_never_fail_on_arbitrary_text(text):
    doc = document(_plan(), {**full_answers(), "discharge_plan": text, "areas": [text]}, today=TODAY)
    assert to_pdf(doc).startswith(b"%PDF")
    assert "<" not in md_escape(text)


# --- through the store and the command line ----------------------------------------------


@pytest.fixture
def signed_plan(db_url):
    with session_scope() as s:
        boss = staff.add(s, "Dana Boss", role="supervisor")
        peer = staff.add(s, "Pat Peer", supervisor_id=boss.id)
        other = staff.add(s, "Quinn Peer")
        ids = {"boss": boss.id, "peer": peer.id, "other": other.id}
    with session_scope() as s:
        peer = access.actor(s, ids["peer"])
        plan = store.create_plan(s, peer, "J.D.")
        for field, value in full_answers().items():
            store.save_answer(s, peer, plan.id, field, value)
        store.complete_plan(s, peer, plan.id)
        ids["plan"] = plan.id
    return ids


def test_export_plan_is_audited_and_access_checked(signed_plan):
    with session_scope() as s:
        md = export_plan(s, access.actor(s, signed_plan["boss"]), signed_plan["plan"], "md", today=TODAY)
        assert b"anniversaries" in md
    with pytest.raises(access.AccessDenied), session_scope() as s:
        export_plan(s, access.actor(s, signed_plan["other"]), signed_plan["plan"], "pdf")
    with session_scope() as s:
        rows = [
            (a.action, a.actor_id, a.outcome, a.detail)
            for a in s.scalars(
                select(AuditLog).where(AuditLog.action.in_(("wrsp.export", "wrsp.read"))).order_by(AuditLog.id)
            )
        ][-3:]
    assert rows == [
        ("wrsp.read", signed_plan["boss"], "ok", None),
        ("wrsp.export", signed_plan["boss"], "ok", {"format": "md"}),
        ("wrsp.read", signed_plan["other"], "denied", None),
    ]


def _cli(*argv) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="peerscope")
    sub = parser.add_subparsers(dest="command")
    commands.register(sub, None)
    args = parser.parse_args(as_argv(list(argv)))  # the command acts as the OS login: point it at --as
    return args.func(args)


def test_cli_list_show_export_signoff(signed_plan, tmp_path, capsys):
    plan, boss, peer, other = (str(signed_plan[k]) for k in ("plan", "boss", "peer", "other"))
    assert _cli("wrsp", "list", "--as", peer) == 0
    assert f"#{plan}  v1  J.D." in capsys.readouterr().out
    assert _cli("wrsp", "list", "--json", "--as", peer) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(p["id"], p["client_ref"]) for p in listed] == [(int(plan), "J.D.")]
    assert _cli("wrsp", "show", plan, "--as", boss) == 0
    assert "anniversaries" in capsys.readouterr().out
    out = tmp_path / "plan.pdf"
    assert _cli("wrsp", "export", plan, "--format", "pdf", "--output", str(out), "--as", peer) == 0
    assert out.read_bytes().startswith(b"%PDF") and (out.stat().st_mode & 0o777) == 0o600
    # an existing file is not overwritten without --force
    capsys.readouterr()
    assert _cli("wrsp", "export", plan, "--format", "md", "--output", str(out), "--as", peer) == 1
    assert "--force" in capsys.readouterr().err and out.read_bytes().startswith(b"%PDF")
    assert _cli("wrsp", "export", plan, "--format", "md", "--output", str(out), "--force", "--as", peer) == 0
    assert not out.read_bytes().startswith(b"%PDF")
    assert _cli("wrsp", "export", plan, "--format", "json", "--as", peer) == 0
    assert json.loads(capsys.readouterr().out)["answers"]["triggers"] == ["anniversaries"]
    assert _cli("wrsp", "export", plan, "--as", other) == 3
    assert "don't have access" in capsys.readouterr().err
    assert _cli("wrsp", "signoff", plan, "--as", peer) == 3
    assert _cli("wrsp", "signoff", plan, "--as", boss) == 0  # step one: review, nothing signed
    shown = capsys.readouterr().out
    assert "anniversaries" in shown and "I have reviewed this plan as the clinical consultant." in shown
    digest = shown.split("Content SHA-256: ", 1)[1].split()[0]
    assert _cli("wrsp", "signoff", plan, "--attest", "--as", boss) == 2  # the hash of what was reviewed
    assert _cli("wrsp", "signoff", plan, "--attest", "--hash", "0" * 12, "--as", boss) == 3
    assert "changed since it was reviewed" in capsys.readouterr().err
    assert _cli("wrsp", "signoff", plan, "--attest", "--hash", digest[:12], "--as", boss) == 0
    out_text = capsys.readouterr().out
    assert "signed off by Dana Boss (supervisor)" in out_text and digest in out_text
    assert _cli("wrsp", "signoff", plan, "--attest", "--hash", digest, "--as", boss) == 3
    assert "already signed off" in capsys.readouterr().err
    assert _cli("wrsp", "review", plan, "--as", other) == 3
    assert _cli("wrsp", "review", plan, "--as", peer) == 0
    assert f"review of plan #{plan}" in capsys.readouterr().out
    assert _cli("wrsp", "review", plan, "--as", peer) == 3  # one review at a time
    assert "already has a review" in capsys.readouterr().err
    assert _cli("wrsp", "show", "999", "--as", boss) == 3
    assert _cli("wrsp", "export", plan, "--output", str(tmp_path / "no" / "such" / "dir.md"), "--as", peer) == 1
