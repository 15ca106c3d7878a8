"""Word lists that decide how the WRSP interview and onboarding read a message are data
(knowledge/wrsp/chat_words.yml), not Python: no literal list, set or tuple of three or
more words, no word-to-number table and no regular expression alternating three or more
words is left in the code that reads chat messages for them."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from bot.paths import PROJECT_ROOT

CHECKED = [
    *sorted((PROJECT_ROOT / "bot" / "wrsp").glob("*.py")),
    *sorted((PROJECT_ROOT / "bot" / "onboarding").glob("*.py")),
    PROJECT_ROOT / "actions" / "wrsp.py",
    PROJECT_ROOT / "actions" / "wrsp_plans.py",
    PROJECT_ROOT / "actions" / "onboarding.py",
]
WORD = re.compile(r"^[a-z][a-z' ]*$")
ALTERNATION = re.compile(r"\((?:\?:)?[a-z' ]+(?:\|[a-z' ?()]+){2,}\)")
REGEX_CALLS = {"compile", "match", "fullmatch", "search", "sub", "subn", "split", "findall", "finditer"}
# literals that are names in the code, not words read from a message
ALLOWED = {
    ("commands.py", ("md", "pdf", "json")),  # --format choices
    ("export.py", ("md", "json", "pdf")),  # the export formats
    ("due.py", ("due", "overdue", "ok")),  # due statuses
    ("schema.py", ("source", "section", "quote")),  # a citation's keys
    ("validators.py", (r")\s+)?(mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*$",)),  # weekday stems
    ("validators.py", ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")),  # weekday()
}


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


def test_no_word_list_is_left_in_the_interview_code():
    assert len(CHECKED) > 10
    left = [
        f"{p.relative_to(PROJECT_ROOT)}:{line} {items[:4]}"
        for p in CHECKED
        for line, items in word_lists(p)
        if (p.name, items) not in ALLOWED
    ]
    assert left == []


def test_the_check_finds_each_kind_of_word_list(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        'YES = {"yes", "yeah", "yep"}\nORD = {"first": 1, "second": 2, "third": 3}\n'
        'CMD = re.compile(r"^(pause|stop for now|take a break)\\b")\nOK = ("a1", "B", "c")\n'
    )
    assert [line for line, _ in word_lists(sample)] == [1, 2, 3]
