"""knowledge/sources: verbatim text, section structure, citation checking."""

import collections
import re
from pathlib import Path

import pytest

from bot.knowledge.sources import SOURCE_IDS, Citation, check_citation, load_sources, normalise, parse_source
from bot.paths import knowledge_dir

SEEDS = Path(__file__).resolve().parents[1] / "data" / "seeds"  # copies of ../shared/seeds
DELIVERED = Path(__file__).resolve().parents[3] / "shared" / "seeds"
SEED_FILES = {
    "dbh-service-definition": "000_816b2db3f3d61f84.txt",
    "peer-support-services": "001_c247e077a0e1c7c7.txt",
    "sdmi-waiver": "002_b1c22256f5fa598b.txt",
    "cpss-job-description": "003_273981846d3e6a45.txt",
    "fps-toolkit": "004_75f2ad6ad981f745.txt",
}


@pytest.fixture(scope="module")
def sources():
    return load_sources()


def test_all_five_sources_with_front_matter(sources):
    assert set(sources) == set(SOURCE_IDS)
    for src in sources.values():
        assert src.title and src.audience and set(src.programs) <= {"adult", "family"}
        assert src.sections
    assert sources["cpss-job-description"].jurisdiction == "Idaho"
    assert sources["fps-toolkit"].jurisdiction == "Montana"


def test_section_ids_unique_and_stable(sources):
    for src in sources.values():
        ids = [s.id for s in src.sections]
        assert len(ids) == len(set(ids)), src.id
        assert all(re.fullmatch(r"[a-z0-9][a-z0-9-]*", i) for i in ids)
    cpss = sources["cpss-job-description"]
    assert cpss.section("scope-of-practice").title == "Scope of Practice"
    assert cpss.section("Scope of Practice").id == "scope-of-practice"
    assert sources["peer-support-services"].section("Definition of Services").id == "definition-of-services"
    assert sources["dbh-service-definition"].section("Staffing ratio") is not None


@pytest.mark.parametrize("source_id", SOURCE_IDS)
def test_every_word_of_the_document_is_kept(source_id):
    seed = SEEDS / SEED_FILES[source_id]
    words = lambda t: collections.Counter(re.findall(r"[A-Za-z0-9]+", t))  # noqa: E731
    md = (knowledge_dir() / "sources" / f"{source_id}.md").read_text(encoding="utf-8").split("---", 2)[2]
    md = re.sub(r"\{#[a-z0-9-]+\}", "", md)
    assert words(seed.read_text(encoding="utf-8")) == words(md)


def test_normalise():
    assert normalise("  a **bold**\n\tword ") == "a bold word"
    assert normalise("\u201cquoted\u201d it\u2019s *em*") == '"quoted" it\'s em'
    assert normalise("costs \\$53") == "costs $53"


def test_check_citation(sources):
    good = Citation(
        "cpss-job-description",
        "Scope of Practice",
        "Peer Support is NOT transportation in lieu of medicaid transportation",
    )
    assert check_citation(sources, good) is None
    assert check_citation(sources, good.to_dict()) is None
    # section by id, and with extra whitespace/markdown in the quote
    assert (
        check_citation(
            sources, Citation("cpss-job-description", "scope-of-practice", "Peer Support  is **NOT**\ntransportation")
        )
        is None
    )
    wrong_section = Citation("cpss-job-description", "Job Responsibilities", good.quote)
    assert "Scope of Practice" in check_citation(sources, wrong_section)
    assert "not found" in check_citation(sources, Citation("sdmi-waiver", "DEFINITION", "peers may drive clients"))
    assert "unknown source" in check_citation(sources, Citation("nope", "x", "y"))
    assert "no section" in check_citation(sources, Citation("sdmi-waiver", "Nowhere", "10 units per week"))
    assert "empty" in check_citation(sources, Citation("sdmi-waiver", "DEFINITION", "  "))


def test_subsection_quote_matches_parent_section(sources):
    c = Citation("cpss-job-description", "In Summary", "Peer Support Workers may NOT run errands")
    assert check_citation(sources, c) is None
    assert sources["cpss-job-description"].section_of(c.quote).title == "A PSS Worker CANNOT"


def test_parse_source_opening_text_kept():
    src = parse_source("---\nid: x\ntitle: X\n---\nintro text\n\n## A {#a}\nbody\n")
    assert [s.id for s in src.sections] == ["opening", "a"]
    assert src.section_of("intro text").id == "opening"


def test_the_copies_match_the_delivered_seeds():
    """tests/data/seeds must be byte-for-byte the delivered documents (when they are here to compare)."""
    for name in SEED_FILES.values():
        assert (SEEDS / name).is_file(), name
        if DELIVERED.is_dir():
            assert (SEEDS / name).read_bytes() == (DELIVERED / name).read_bytes(), name
