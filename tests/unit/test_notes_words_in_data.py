"""The note checker's code holds no word lists: every word that decides behaviour
(negation words, abbreviations, pronouns, function words...) is data in
knowledge/note_checks, validated by tests/unit/test_notes_data.py."""

from __future__ import annotations

import ast
import re

from bot.notes.pipeline.actor_index import MENTION_KINDS
from bot.notes.schema import SCHEMA_NAMES
from bot.paths import PROJECT_ROOT

NOTES = PROJECT_ROOT / "bot" / "notes"
MIN_WORDS = 3
# a word ("not", "i'm", "dr.", "e.g.", "risk-of-harm"), not an identifier ("ps_cues", "token.lemma")
WORD = re.compile(r"^[^\W\d_](?:[^\W_]|['’-])*\.?$|^(?:[^\W\d_]\.){2,}$")
REGEX_WORDS = re.compile(r"(?:[^\W\d_][\w'’-]*\|){%d,}[^\W\d_]" % (MIN_WORDS - 1))  # she|he|they
REGEX_CALLS = {"compile", "search", "match", "fullmatch", "findall", "finditer", "sub", "subn", "split"}
# Names of the YAML schema (categories, keys, actor modes...) and of the code's own kinds are
# not words of notes.
ALLOWED = SCHEMA_NAMES | set(MENTION_KINDS)
# Known exceptions, each with its reason.
EXCEPTIONS = {
    # ids of policy rules in knowledge/rules, not words; bot/notes/model.py is part of the
    # trained note model's fingerprint, so moving them means retraining that model.
    ("model.py", "RISK_RULES"),
}


def _words(node) -> list[str]:
    return [
        e.value
        for e in node.elts
        if isinstance(e, ast.Constant) and isinstance(e.value, str) and WORD.match(e.value) and e.value not in ALLOWED
    ]


def _assigned_name(tree, node) -> str | None:
    for parent in ast.walk(tree):
        if (
            isinstance(parent, (ast.Assign, ast.AnnAssign))
            and parent.value is not None
            and any(n is node for n in ast.walk(parent.value))
        ):
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            if names:
                return names[0]
    return None


def _unpacking(tree) -> set[int]:
    """Literal tuples that bind one constant per name: ``SELF, CLIENT = "self", "client"``."""
    out = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Tuple)
            and isinstance(node.value, ast.Tuple)
        ):
            out.add(id(node.value))
    return out


def word_lists(path, root=PROJECT_ROOT) -> list[str]:
    """Every literal list / set / tuple of >= MIN_WORDS words, every ``"a b c".split()``
    and every regex alternation of words in one module, as "file:line: what"."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    unpacking = _unpacking(tree)
    found = []
    for node in ast.walk(tree):
        what = None
        if isinstance(node, (ast.List, ast.Set, ast.Tuple)) and id(node) not in unpacking:
            words = _words(node)
            if len(words) >= MIN_WORDS:
                what = f"literal of words {words[:4]}..."
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = node.func.value
            if node.func.attr == "split" and isinstance(target, ast.Constant) and isinstance(target.value, str):
                words = [w for w in target.value.split() if WORD.match(w) and w not in ALLOWED]
                if len(words) >= MIN_WORDS:
                    what = f"split word list {words[:4]}..."
            elif isinstance(target, ast.Name) and target.id == "re" and node.func.attr in REGEX_CALLS and node.args:
                pattern = node.args[0]
                if (
                    isinstance(pattern, ast.Constant)
                    and isinstance(pattern.value, str)
                    and REGEX_WORDS.search(pattern.value)
                ):
                    what = f"regex of words {pattern.value[:40]!r}"
        name = _assigned_name(tree, node) if what else None
        if what and name != "__all__" and (path.name, name) not in EXCEPTIONS:
            found.append(f"{path.relative_to(root)}:{node.lineno}: {what}")
    return found


def test_no_word_list_is_hard_coded_in_bot_notes():
    found = [hit for path in sorted(NOTES.rglob("*.py")) for hit in word_lists(path)]
    assert not found, "move these words to knowledge/note_checks/lexicon.yml:\n" + "\n".join(found)


def test_the_detector_finds_word_lists(tmp_path):
    """The check above is only as good as its detector: it must see each kind of list."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        'NEG = ("not", "never", "no")\n'
        'ABBR = {"dr.", "mr.", "e.g."}\n'
        'def f(w):\n    return w in ["until", "till", "til"]\n'
        'OPENERS = frozenset("and but so".split())\n'
        'import re\nFIRST = re.compile(r"\\b(i|me|my)\\b")\n'
        'OK = ("diagnosis", "medication", "errands")\n'  # schema names
        'A, B, C = "self", "client", "unknown"\n'  # one constant per name
        'PUNCT = (".", "!", "?")\n',
        encoding="utf-8",
    )
    hits = word_lists(sample, root=tmp_path)
    lines = sorted(int(h.split(":")[1]) for h in hits)
    assert lines == [1, 2, 4, 5, 7], hits
