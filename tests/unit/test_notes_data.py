"""knowledge/note_checks is data: its shape, its phrases and its citations."""

import pytest

from bot.knowledge.sources import check_citation, load_sources
from bot.notes.config import CATEGORIES, NoteCheckDataError, load_data
from bot.notes.patterns import compile_phrase


@pytest.fixture(scope="module")
def data():
    return load_data()


def test_every_category_has_a_file_rules_and_text(data):
    assert set(CATEGORIES) <= set(data.categories) <= set(CATEGORIES) | {"risk_possible"}
    for cat in data.categories.values():
        assert cat.name == "risk_possible" or (cat.rules and cat.cues)  # the classifier's tier has no cues
        assert cat.reason and cat.suggestion and cat.title


def test_every_citation_is_verbatim_in_its_source_and_section(data):
    sources = load_sources()
    for cat in data.categories.values():
        for c in cat.citations:
            err = check_citation(sources, c)
            assert err is None, f"{cat.name}: {err}"


def test_risk_text_names_the_supervisor_the_reporting_duty_and_988(data):
    risk = data.categories["risk"]
    for text in (risk.reason, risk.suggestion):
        assert "supervisor" in text.lower()
        assert "988" in text
    assert "report" in risk.reason.lower()
    quotes = " ".join(c.quote for c in risk.citations)
    assert "imminent harm" in quotes and "report abuse" in quotes


def test_every_phrase_compiles(data):
    from bot.notes.checker import get_checker

    nlp = get_checker().nlp
    from bot.notes.pipeline.shared import phrase_tokenizer

    tokenize = phrase_tokenizer(nlp, "")
    phrases = [p for ps in data.all_cues().values() for p in ps]
    phrases += [r["phrase"] for r in data.context["rules"]]
    for phrase in phrases:
        assert compile_phrase(phrase, data.lists, tokenize), phrase


def test_context_blocks_refer_to_known_categories(data):
    for blocked in data.context["blocks"].values():
        assert blocked == "all" or set(blocked) <= set(CATEGORIES)
    # a request by someone else never hides risk language
    assert "risk" not in data.context["blocks"]["REQUEST"]


def _copy_data(tmp_path):
    import shutil

    from bot.notes.config import default_dir

    target = tmp_path / "note_checks"
    shutil.copytree(default_dir(), target)
    return target


def test_schema_rejects_unknown_cue_labels(tmp_path):
    root = _copy_data(tmp_path)
    path = root / "gifts.yml"
    path.write_text(path.read_text().replace("match: [ACCEPT]", "match: [NO_SUCH_CUE]"))
    with pytest.raises(NoteCheckDataError, match="unknown cue label"):
        load_data(root)


def test_schema_rejects_citations_without_section(tmp_path):
    root = _copy_data(tmp_path)
    path = root / "legal.yml"
    path.write_text(path.read_text().replace("    section: Scope of Practice\n", "", 1))
    with pytest.raises(NoteCheckDataError, match="citation"):
        load_data(root)


def test_schema_rejects_bad_actor_mode(tmp_path):
    root = _copy_data(tmp_path)
    path = root / "transport.yml"
    path.write_text(path.read_text().replace("    actor: any\n", "    actor: somebody\n", 1))
    with pytest.raises(NoteCheckDataError, match="actor"):
        load_data(root)


def test_lexicon_has_every_word_list_the_components_read(data):
    from bot.notes.schema import CHAT_KEYS, GRAMMAR_KEYS, SENTENCE_KEYS

    lex = data.lexicon
    for section, keys in (("sentences", SENTENCE_KEYS), ("grammar", GRAMMAR_KEYS), ("chat", CHAT_KEYS)):
        assert set(lex[section]) == set(keys), section
        for key in keys:
            assert lex[section][key] and all(isinstance(w, str) and w for w in lex[section][key]), (section, key)
    assert "not" in lex["grammar"]["negation"] and "until" in lex["grammar"]["deferral"]
    assert "dr." in lex["sentences"]["abbreviations"]


@pytest.mark.parametrize(
    "old, new, message",
    [
        ('  negation: [not, never, without, "no", nor]\n', "", "grammar.negation"),
        (
            "  deferral: [until, till, til]\n",
            "  deferral: [until, till, til]\n  typo_key: [x]\n",
            "unknown grammar keys",
        ),
        ("  capitals_only: [hi, si]\n", '  capitals_only: [hi, "s i"]\n', "single words"),
        ('  cell_marks: ["|", "•"]\n', '  cell_marks: "|"\n', "sentences.cell_marks"),
    ],
)
def test_schema_rejects_broken_word_lists(tmp_path, old, new, message):
    root = _copy_data(tmp_path)
    path = root / "lexicon.yml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(NoteCheckDataError, match=message):
        load_data(root)


def test_the_pipeline_reads_its_words_from_the_data(tmp_path):
    """A word list edited in knowledge/note_checks changes what the checker does."""
    from bot.notes.checker import NoteChecker

    text = "Member asked about rides. Writer met Dr. Lin and member at the clinic."
    root = _copy_data(tmp_path)
    path = root / "lexicon.yml"
    lex = path.read_text(encoding="utf-8")
    path.write_text(lex.replace('"dr.", ', ""), encoding="utf-8")  # "Dr." now ends a sentence
    default = NoteChecker(model=False).nlp(text)
    edited = NoteChecker(root, model=False).nlp(text)
    assert len(list(edited.sents)) == len(list(default.sents)) + 1
