"""An agency brings its own policies: `peerscope knowledge add|list|show|remove|enable|disable|
rule new|check`, answers from an added document without a hand-written rule, and sources
enabled or disabled per deployment.

Every test works on a copy of knowledge/ (PEERSCOPE_KNOWLEDGE_DIR) and its own var/
(PEERSCOPE_VAR_DIR); the shipped models are used as they are, never retrained.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.knowledge.sources import check_citation, normalise
from bot.paths import PROJECT_ROOT

SEEDS = PROJECT_ROOT / "tests" / "data" / "seeds"  # copies of ../shared/seeds (see its README)
DBH_TXT = SEEDS / "000_816b2db3f3d61f84.txt"
DBH = "dbh-service-definition"
DBH_SECTIONS = [
    "Service Name",
    "Setting",
    "Facility License",
    "Basic Definition",
    "Service Expectations",
    "Length of Service",
    "Staffing",
    "Staffing ratio",
    "Hours of Operation",
    "Rate",
    "Desired Individual Outcome",
    "Admission Guidelines",
    "Continued Stay Guidelines",
]
# Factual questions about the service definition, in our own words: (question, section, words the quote has)
FACTUAL = [
    ("What is the maximum caseload for a peer support provider?", "Staffing ratio", "1:25"),
    ("How many participants can be in a group?", "Staffing ratio", "maximum of 12 participants"),
    ("How old must a peer support provider be?", "Staffing", "19 years of age"),
    ("Within how many days of admission must the WRSP be developed?", "Service Expectations", "within 30 days"),
    ("When are peer support services available?", "Hours of Operation", "evenings, weekends"),
    ("What is the minimum amount of face to face service?", "Rate", "one (1) hour of face to face"),
]
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


# -- helpers ------------------------------------------------------------------------------


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def copy_knowledge(dest: Path) -> Path:
    shutil.copytree(PROJECT_ROOT / "knowledge", dest)
    return dest


def cites(rule: dict, source: str) -> bool:
    found = list(rule.get("citations") or []) + list(rule.get("thresholds") or []) + list(rule.get("positions") or [])
    found += [c for v in rule.get("variants") or [] for c in v.get("citations") or []]
    return any(c["source"] == source for c in found)


def remove_source_and_rules(root: Path, source: str) -> int:
    """Delete a source and every rule citing it; returns how many rules went."""
    (root / "sources" / f"{source}.md").unlink()
    gone = 0
    for path in (root / "rules").glob("*.yml"):
        if path.name.startswith("_"):
            continue
        rules = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        keep = [r for r in rules if not cites(r, source)]
        gone += len(rules) - len(keep)
        path.write_text(yaml.safe_dump(keep, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return gone


def seed_rows() -> list[tuple[str, str]]:
    """The service definition's table: (label, value) per line of the seed text."""
    rows = []
    for line in DBH_TXT.read_text(encoding="utf-8").split("\n"):
        if line.strip():
            label, value = line.split("\t", 1) if "\t" in line else ("", line)
            rows.append((label.strip(), value.strip()))
    return rows


def build_pdf(path: Path) -> Path:
    """The seed's table as a PDF: two columns, labels at the top of their cells."""
    from fpdf import FPDF
    from fpdf.enums import VAlign

    pdf = FPDF()
    pdf.add_page()
    if DEJAVU.is_file():
        pdf.add_font("DejaVu", "", str(DEJAVU))
        pdf.set_font("DejaVu", size=9)
        clean = str
    else:  # core fonts are Latin-1 only; a bullet is not a word
        pdf.set_font("Helvetica", size=9)
        clean = lambda t: t.replace("\u2022", "-")  # noqa: E731
    with pdf.table(col_widths=(30, 70), first_row_as_headings=False, v_align=VAlign.T, borders_layout="NONE") as table:
        for label, value in seed_rows():
            row = table.row()
            row.cell(clean(label))
            row.cell(clean(value))
    pdf.output(str(path))
    return path


def build_docx(path: Path) -> Path:
    """The seed's table as a Word document with a two-column table."""
    import docx

    doc = docx.Document()
    table = doc.add_table(rows=0, cols=2)
    for label, value in seed_rows():
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value
    doc.save(str(path))
    return path


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A copy of knowledge/, a var/ of its own and a SQLite database there."""
    root = copy_knowledge(tmp_path / "knowledge")
    var = tmp_path / "var"
    monkeypatch.setenv("PEERSCOPE_KNOWLEDGE_DIR", str(root))
    monkeypatch.setenv("PEERSCOPE_VAR_DIR", str(var))
    monkeypatch.setenv("PEERSCOPE_DATABASE_URL", f"sqlite:///{tmp_path / 'peerscope.db'}")
    return root


def engine():
    from bot.knowledge.engine import get_engine

    return get_engine()


def assert_located(eng, citation) -> None:
    """Verbatim and correctly located: the quote is in the text of the section it names."""
    assert check_citation(eng.sources, citation) is None, citation
    section = eng.sources[citation.source].section(citation.section)
    assert section is not None and section.title == citation.section
    assert normalise(citation.quote) in eng.sources[citation.source].section_text(section), citation


# -- importing the seed back: text, PDF, Word -----------------------------------------------


@pytest.mark.parametrize("fmt", ["txt", "pdf", "docx"])
def test_removed_seed_added_back_answers_factual_questions_verbatim(env, tmp_path, capsys, fmt):
    gone = remove_source_and_rules(env, DBH)
    assert gone >= 20
    assert DBH not in engine().sources
    # without the document and its rules, the caseload question is not answered
    assert engine().answer(FACTUAL[0][0]).verdict == "not_covered"

    document = {
        "txt": lambda: DBH_TXT,
        "pdf": lambda: build_pdf(tmp_path / "dbh.pdf"),
        "docx": lambda: build_docx(tmp_path / "dbh.docx"),
    }[fmt]()
    code, out, err = cli(
        capsys,
        "knowledge",
        "add",
        document,
        "--id",
        DBH,
        "--title",
        "Peer Support service definition",
        "--program",
        "both",
        "--yes",
    )
    assert code == 0, err
    assert "Found 13 sections" in out and "Staffing ratio" in out and "Saved" in out

    eng = engine()
    source = eng.sources[DBH]
    assert [s.title for s in source.sections] == DBH_SECTIONS
    assert source.meta["imported"] and source.meta["file"] == document.name
    assert set(source.programs) == {"adult", "family"}
    for question, section, words in FACTUAL:
        ans = eng.answer(question)
        assert (ans.verdict, ans.kind) == ("info", "passage"), (question, ans.answer)
        assert ans.rule_id is None and len(ans.citations) == 1
        cit = ans.citations[0]
        assert (cit.source, cit.section) == (DBH, section), question
        assert words in cit.quote, (question, cit.quote)
        assert_located(eng, cit)
        for rel in ans.related:
            assert_located(eng, rel)

    code, out, _ = cli(capsys, "ask", FACTUAL[1][0], "--json")
    shown = json.loads(out)
    assert code == 0 and shown["verdict"] == "info" and shown["citations"][0]["section"] == "Staffing ratio"


def test_can_i_question_without_a_rule_quotes_the_policy_and_is_logged(env, capsys):
    remove_source_and_rules(env, DBH)
    assert (
        cli(
            capsys,
            "knowledge",
            "add",
            DBH_TXT,
            "--id",
            DBH,
            "--title",
            "Peer Support service definition",
            "--program",
            "both",
            "--yes",
        )[0]
        == 0
    )
    question = "Can I have 30 people on my caseload?"
    ans = engine().answer(question)
    assert ans.verdict == "not_covered" and ans.citations == [] and ans.rule_id is None
    assert "no rule" in ans.answer and "What your policy says about this" in ans.answer
    assert "Caseloads for peer support providers must not exceed 1:25." in ans.answer
    assert any(c.source == DBH and c.section == "Staffing ratio" for c in ans.related)
    for rel in ans.related:
        assert_located(engine(), rel)

    assert cli(capsys, "ask", question, "--json")[0] == 0
    from sqlalchemy import select

    from bot.store import session_scope
    from bot.store.models import UnansweredQuestion

    with session_scope() as session:  # logged for a supervisor, as bot/store/unanswered.record does
        assert list(session.scalars(select(UnansweredQuestion.question))) == [question]


def test_the_curated_rules_validate_against_the_reimported_document(env, capsys):
    """Headings, table rows and wrapped labels come out as in the curated file: every
    rule quoting the service definition still finds its quote in the section it names."""
    (env / "sources" / f"{DBH}.md").unlink()
    assert cli(capsys, "knowledge", "check")[0] == 1  # rules cite a source that is gone
    assert (
        cli(
            capsys,
            "knowledge",
            "add",
            DBH_TXT,
            "--id",
            DBH,
            "--title",
            "Peer Support service definition",
            "--program",
            "both",
            "--yes",
        )[0]
        == 0
    )
    code, out, _ = cli(capsys, "knowledge", "check")
    assert code == 0, out
    assert "ok: every source, rule and quote checks out" in out


def test_a_pdf_without_text_is_refused(env, tmp_path, capsys):
    from fpdf import FPDF
    from PIL import Image

    image = tmp_path / "scan.png"
    Image.new("RGB", (400, 500), "white").save(image)
    pdf = FPDF()
    for _ in range(2):
        pdf.add_page()
        pdf.image(str(image), x=10, y=10, w=180)
    pdf.output(str(tmp_path / "scan.pdf"))
    code, out, err = cli(
        capsys,
        "knowledge",
        "add",
        tmp_path / "scan.pdf",
        "--id",
        "scan",
        "--title",
        "Scan",
        "--program",
        "adult",
        "--yes",
    )
    assert code == 2 and "no text layer" in err and len(err.strip().splitlines()) == 1
    assert not (env / "sources" / "scan.md").exists()


def test_bad_input_is_one_line_and_exit_code_2(env, tmp_path, capsys):
    rtf = tmp_path / "policy.rtf"
    rtf.write_text("{\\rtf1 hello}")
    cases = [
        (tmp_path / "missing.txt", "x-doc", "no such file"),
        (rtf, "x-doc", "unsupported file type"),
        (DBH_TXT, DBH, "already exists"),
        (DBH_TXT, "Bad Id", "bad id"),
    ]
    for path, source_id, message in cases:
        code, out, err = cli(
            capsys, "knowledge", "add", path, "--id", source_id, "--title", "T", "--program", "adult", "--yes"
        )
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1, (message, err)
    # no terminal and no --yes: refused before reading, nothing written
    code, out, err = cli(
        capsys, "knowledge", "add", DBH_TXT, "--id", "copy-of-dbh", "--title", "T", "--program", "adult"
    )
    assert code == 2 and "--yes" in err and len(err.strip().splitlines()) == 1
    assert not (env / "sources" / "copy-of-dbh.md").exists()


def test_markdown_and_numbered_headings(env, tmp_path, capsys):
    doc = tmp_path / "handbook.md"
    doc.write_text(
        "---\nowner: HR\n---\n"
        "Agency Handbook for peer staff.\n\n"
        "1. PURPOSE\n\nThis handbook sets out local practice.\n\n"
        "2. Home Visits\n\nStaff may bring a certified therapy dog on home visits only with the client's "
        "written consent.\n\n"
        "2.1 Mileage\n\nMileage for home visits is reimbursed at 58 cents per mile.\n\n"
        "**ON-CALL**\n\nPeer staff are not on call after 6 pm.\n",
        encoding="utf-8",
    )
    code, out, err = cli(
        capsys,
        "knowledge",
        "add",
        doc,
        "--id",
        "agency-handbook",
        "--title",
        "Agency Handbook",
        "--program",
        "adult",
        "--jurisdiction",
        "Idaho",
        "--dry-run",
    )
    assert code == 0 and "Dry run" in out and not (env / "sources" / "agency-handbook.md").exists()
    assert (
        cli(
            capsys,
            "knowledge",
            "add",
            doc,
            "--id",
            "agency-handbook",
            "--title",
            "Agency Handbook",
            "--program",
            "adult",
            "--jurisdiction",
            "Idaho",
            "--yes",
        )[0]
        == 0
    )
    text = (env / "sources" / "agency-handbook.md").read_text(encoding="utf-8")
    assert "## 1. PURPOSE {#purpose}" in text and "### 2.1 Mileage {#mileage}" in text
    assert "## **ON-CALL** {#on-call}" in text and "owner: HR" not in text
    src = engine().sources["agency-handbook"]
    assert [s.id for s in src.sections] == ["opening", "purpose", "home-visits", "mileage", "on-call"]
    assert src.jurisdiction == "Idaho" and src.programs == ("adult",)


# -- enabled and disabled sources ------------------------------------------------------------

FAMILY_QUESTIONS = [
    "How much training do I need?",
    "How often do I need clinical supervision?",
    "Can I accept a small gift from a parent?",
    "Can I tell a parent which medication their son should take?",
    "Can I date the mom of a kid I work with?",
]
NOTE = (
    "Met with mom at the library. She gave me a $50 gift card to thank me and I accepted it. "
    "I told her my cousin could date her sister and we could all hang out as friends."
)


def _cited(ans) -> set[str]:
    return {c.source for c in ans.citations + ans.related}


def test_disabling_fps_toolkit_removes_it_from_answers_and_note_flags(tmp_path, monkeypatch, capsys):
    from bot.knowledge import deployment
    from bot.knowledge.rules import load_rule_files
    from bot.notes.checker import NoteChecker

    monkeypatch.setenv("PEERSCOPE_VAR_DIR", str(tmp_path / "var"))
    checker = NoteChecker()

    def note_sources():
        flags = checker.check(NOTE)
        assert flags
        return {c.source for f in flags for c in f.citations}

    eng = engine()
    before = [eng.answer(q, program="family") for q in FAMILY_QUESTIONS]
    assert sum("fps-toolkit" in _cited(a) for a in before) >= 3
    assert "fps-toolkit" in note_sources()
    only_fps = [
        r
        for r in load_rule_files(PROJECT_ROOT / "knowledge" / "rules")
        if {c.source for c in r.citations} == {"fps-toolkit"}
    ]
    assert only_fps

    assert not deployment.settings_path().exists()
    code, out, _ = cli(capsys, "knowledge", "disable", "fps-toolkit")
    assert code == 0 and "disabled" in out
    assert deployment.settings_path().is_file()
    eng = engine()
    assert "fps-toolkit" not in eng.sources and not {r.id for r in only_fps} & set(eng.rule_by_id)
    for q in FAMILY_QUESTIONS + [r.question for r in only_fps]:
        for program in ("family", None):
            ans = eng.answer(q, program=program)
            assert "fps-toolkit" not in _cited(ans), (q, ans.citations)
            assert ans.rule_id not in {r.id for r in only_fps}
            for c in ans.citations + ans.related:
                assert check_citation(eng.sources, c) is None
    assert "fps-toolkit" not in note_sources()
    code, out, _ = cli(capsys, "knowledge", "list")
    assert any(line.startswith("fps-toolkit") and " no " in line for line in out.splitlines())

    assert cli(capsys, "knowledge", "enable", "fps-toolkit")[0] == 0
    eng = engine()
    after = [eng.answer(q, program="family") for q in FAMILY_QUESTIONS]
    assert [_cited(a) for a in after] == [_cited(a) for a in before]
    assert [(a.verdict, a.rule_id) for a in after] == [(a.verdict, a.rule_id) for a in before]
    assert "fps-toolkit" in note_sources()


def test_available_rules_unchanged_when_everything_is_enabled():
    from bot.knowledge.deployment import available_rules
    from bot.knowledge.rules import load_rule_files
    from bot.knowledge.sources import SOURCE_IDS

    rules = load_rule_files(PROJECT_ROOT / "knowledge" / "rules")
    kept = available_rules(rules, set(SOURCE_IDS))
    assert len(kept) == len(rules) and all(a is b for a, b in zip(kept, rules))
    without = available_rules(rules, set(SOURCE_IDS) - {"fps-toolkit"})
    assert all(c.source != "fps-toolkit" for r in without for c in r.all_citations())
    assert all(r.citations for r in without)


def test_enable_for_one_program_and_unknown_source(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PEERSCOPE_VAR_DIR", str(tmp_path / "var"))
    assert cli(capsys, "knowledge", "enable", "peer-support-services", "--program", "adult")[0] == 0
    assert engine().sources["peer-support-services"].programs == ("adult",)
    code, _, err = cli(capsys, "knowledge", "disable", "no-such-source")
    assert code == 2 and "no source" in err


# -- rules for an added document ----------------------------------------------------------------

HANDBOOK = (
    "# Agency Handbook\n\n## Home Visits\n\n"
    "Staff may bring a certified therapy dog on home visits only with the client's written consent. "
    "Visits end by 6 pm.\n\n## Mileage\n\nMileage for home visits is reimbursed at 58 cents per mile.\n"
)
DOG_QUOTE = "Staff may bring a certified therapy dog on home visits only with the client's written consent."


def test_rule_new_is_used_by_the_next_ask_and_quotes_are_checked(env, tmp_path, capsys):
    doc = tmp_path / "handbook.md"
    doc.write_text(HANDBOOK, encoding="utf-8")
    assert (
        cli(
            capsys,
            "knowledge",
            "add",
            doc,
            "--id",
            "agency-handbook",
            "--title",
            "Agency Handbook",
            "--program",
            "adult",
            "--yes",
        )[0]
        == 0
    )
    asked = "Am I allowed to take my dog with me when I visit a client at home?"
    before = engine().answer(asked)
    assert before.verdict == "not_covered"  # no rule yet: no verdict, only the passage
    assert DOG_QUOTE in before.answer

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
        "--example",
        "Is it ok to take my dog along when I visit a client at home?",
        "--example",
        "can my service dog come to client visits",
        "--id",
        "therapy-dog-visits",
        "--yes",
    ]
    code, out, err = cli(capsys, *rule, "--quote", "Staff may bring any dog on home visits.")
    assert code == 2 and "any dog on home visits." in err and "Staff may bring" in err
    assert len(err.strip().splitlines()) == 1
    assert not (env / "rules" / "local-agency-handbook.yml").exists()

    code, out, err = cli(capsys, *rule, "--quote", DOG_QUOTE)
    assert code == 0, err
    assert "without retraining" in out
    saved = yaml.safe_load((env / "rules" / "local-agency-handbook.yml").read_text(encoding="utf-8"))
    assert saved[0]["id"] == "therapy-dog-visits" and saved[0]["citations"][0]["section"] == "Home Visits"

    code, out, _ = cli(capsys, "ask", asked, "--json")
    shown = json.loads(out)
    assert code == 0 and shown["verdict"] == "depends"
    assert shown["citations"] == [{"source": "agency-handbook", "section": "Home Visits", "quote": DOG_QUOTE}]
    ans = engine().answer(asked)
    assert ans.rule_id == "therapy-dog-visits" and ans.condition == "the client has given written consent"
    # a question about something else is not taken by the new rule
    assert engine().answer("Can I drive my client to the doctor in my own car?").rule_id == "transport-client"

    code, out, _ = cli(capsys, "knowledge", "check")
    assert code == 0 and "ok: every source, rule and quote checks out" in out, out
    assert cli(capsys, *rule, "--quote", DOG_QUOTE)[0] == 2  # the id is taken now


def test_rule_new_bad_input(env, capsys):
    base = ["knowledge", "rule", "new", "--verdict", "info", "--question", "Q?", "--answer", "A", "--yes"]
    code, _, err = cli(capsys, *base, "--source", "nope", "--section", "x", "--quote", "y")
    assert code == 2 and "no source" in err
    code, _, err = cli(capsys, *base, "--source", "sdmi-waiver", "--section", "Nowhere", "--quote", "y")
    assert code == 2 and "no section" in err
    code, _, err = cli(capsys, "knowledge", "rule", "new", "--source", "sdmi-waiver")
    assert code == 2 and "missing --section" in err


def test_show_and_remove(env, tmp_path, capsys):
    doc = tmp_path / "handbook.md"
    doc.write_text(HANDBOOK, encoding="utf-8")
    assert (
        cli(
            capsys,
            "knowledge",
            "add",
            doc,
            "--id",
            "agency-handbook",
            "--title",
            "Agency Handbook",
            "--program",
            "family",
            "--yes",
        )[0]
        == 0
    )
    code, out, _ = cli(capsys, "knowledge", "show", "agency-handbook")
    assert code == 0 and "Home Visits" in out and "Mileage" in out and "Rules citing it: 0" in out
    code, _, err = cli(capsys, "knowledge", "remove", "cpss-job-description", "--yes")
    assert code == 2 and "rule(s) cite cpss-job-description" in err
    assert cli(capsys, "knowledge", "remove", "agency-handbook", "--yes")[0] == 0
    assert not (env / "sources" / "agency-handbook.md").exists()
    assert "agency-handbook" not in engine().sources


# -- small pieces -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question, permission",
    [
        ("Can I run a group with 15 people?", True),
        ("Is it OK to text a client after 9 pm?", True),
        ("Is telehealth allowed?", True),
        ("Do I have to be certified?", True),
        ("How many participants can be in a group?", False),
        ("What is the maximum caseload?", False),
        ("Is there a limit on group size?", False),
        ("My client is 17 and her mom asked. Can I serve her?", True),
    ],
)
def test_asks_permission(question, permission):
    from bot.knowledge.engine import asks_permission

    assert asks_permission(question) is permission
