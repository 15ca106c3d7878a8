"""Word lists that decide how PeerScope reads a message or a question are data in
knowledge/ (the note checker's lexicon, the interview's chat words, the question words in
knowledge/rules/_words.yml), not Python: no literal list, set or tuple of three or more
words, no word-to-number table and no regular expression alternating three or more words
is left anywhere in bot/ or actions/, apart from the names below."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot.paths import PROJECT_ROOT

CHECKED = sorted((PROJECT_ROOT / "bot").rglob("*.py")) + sorted((PROJECT_ROOT / "actions").glob("*.py"))
WORD = re.compile(r"^[a-z][a-z' ]*$")
ALTERNATION = re.compile(r"\((?:\?:)?[a-z' ]+(?:\|[a-z' ?()]+){2,}\)")
REGEX_CALLS = {"compile", "match", "fullmatch", "search", "sub", "subn", "split", "findall", "finditer"}
# Literals that are names in the code, not words read from a message, wherever they are.
NAMES = {
    ("md", "pdf", "json"): "--format choices",
    ("md", "json", "pdf"): "the export formats",
    ("due", "overdue", "ok"): "due statuses",
    ("due", "overdue", "signed", "ok"): "plan statuses in the console's charts",
    ("source", "section", "quote"): "a citation's keys",
    ("adult", "family", "both"): "programs",
    ("peer", "supervisor", "admin"): "staff roles",
    ("self", "client", "unknown"): "whom a risk finding is about",
    ("staff", "client", "child", "other"): "the note checker's mention kinds",
    ("section", "quote", "verdict", "question", "answer"): "options of `knowledge rule new`",
    ("issuer", "jurisdiction", "date", "file", "imported"): "a source's metadata keys",
}
# Literals in one file that are not words of a message, each with its reason.
ALLOWED = {
    ("validators.py", (r")\s+)?(mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*$",)),  # weekday stems
    ("validators.py", ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")),  # weekday()
    ("quantities.py", (r"\b(?:a|an|one) (",)),  # "a year and a half": articles in number grammar
}
# Regular expressions in one file allowed to alternate words, by a part of them.
ALLOWED_PATTERNS = {
    # heading prefixes of imported policy documents ("Section 4.2"): a document's layout, not a message
    ("importer.py", "(?:section|article|chapter|part)"),
}
# The note checker's own schema names (categories, scopes, keys): bot/notes/schema.py.
SCHEMA_FILE = "schema.py"


def word_lists(path: Path) -> list[tuple[int, tuple]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, (ast.Set, ast.List, ast.Tuple)):
            items = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            if len(items) >= 3 and len(items) == len(node.elts) and all(WORD.match(i) for i in items):
                found.append((node.lineno, tuple(items)))
        elif isinstance(node, ast.Dict) and len(node.keys) >= 3:
            keys = [k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
            numbers = [v for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, int)]
            if len(keys) == len(numbers) == len(node.keys) and all(WORD.match(k) for k in keys):
                found.append((node.lineno, tuple(keys)))
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") in REGEX_CALLS and node.args:
            found += [
                (part.lineno, (part.value,))
                for part in ast.walk(node.args[0])
                if isinstance(part, ast.Constant) and isinstance(part.value, str) and ALTERNATION.search(part.value)
            ]
    return found


def _schema_names(path: Path, items: tuple) -> bool:
    from bot.notes.schema import SCHEMA_NAMES

    return path.parent.name == "notes" and path.name == SCHEMA_FILE and set(items) <= SCHEMA_NAMES


def test_no_word_list_is_left_in_the_code():
    assert len(CHECKED) > 100
    left = [
        f"{p.relative_to(PROJECT_ROOT)}:{line} {items[:4]}"
        for p in CHECKED
        for line, items in word_lists(p)
        if items not in NAMES
        and (p.name, items) not in ALLOWED
        and not _schema_names(p, items)
        and not any(name == p.name and part in items[0] for name, part in ALLOWED_PATTERNS)
    ]
    assert left == []


def test_the_check_finds_each_kind_of_word_list(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        'YES = {"yes", "yeah", "yep"}\nORD = {"first": 1, "second": 2, "third": 3}\n'
        'CMD = re.compile(r"^(pause|stop for now|take a break)\\b")\nOK = ("a1", "B", "c")\n'
    )
    assert [line for line, _ in word_lists(sample)] == [1, 2, 3]


def test_question_words_are_checked_and_read(tmp_path):
    """knowledge/rules/_words.yml is validated like every knowledge/ file, and an edit to it
    changes how questions are read."""
    import yaml
    from pydantic import ValidationError

    from bot.knowledge.quantities import digits
    from bot.knowledge.words import QuestionWords, default_path

    data = yaml.safe_load(default_path().read_text(encoding="utf-8"))
    words = QuestionWords.parse_obj(data)
    assert digits("twenty-six clients", words).strip() == "26 clients"
    for bad in (
        {"pronouns": ["I"]},  # words are written lower-case
        {"permission_patterns": ["(can i"]},  # not a valid pattern
        {"colour": ["red"]},  # a typo must not be ignored
        {"numbers": {**data["numbers"], "tens": ["twenty"]}},  # 20 ... 90, all of them
    ):
        with pytest.raises(ValidationError):
            QuestionWords.parse_obj({**data, **bad})
    data["numbers"]["ones"][12] = "dozen"
    assert digits("dozen clients", QuestionWords.parse_obj(data)).strip() == "12 clients"
    data["numbers"]["counts"] = {"score": 20}  # words that count in groups are data too
    grouped = digits("a score of clients, 2 score families", QuestionWords.parse_obj(data))
    assert grouped.strip() == "20 clients , 40 families"
