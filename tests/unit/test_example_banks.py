"""The note and risk example banks (knowledge/banks) are data the models learn from:
a wrong span, a duplicate id or a broken pair link silently teaches the wrong thing."""

from pathlib import Path

import pytest

from bot.notes.evaluate import read_jsonl
from bot.notes.model import CATEGORIES

BANKS = Path(__file__).parents[2] / "knowledge" / "banks"


def _rows(kind: str) -> list[tuple[str, int, dict]]:
    out = []
    for path in sorted((BANKS / kind).glob("*.jsonl")):
        for n, row, error in read_jsonl(path.read_text(encoding="utf-8").splitlines()):
            assert error is None, f"{path.name}: {error}"
            out.append((path.name, n, row))
    return out


@pytest.mark.parametrize("kind", ["notes", "risk"])
def test_ids_are_unique_across_the_bank(kind):
    ids = [row["id"] for _, _, row in _rows(kind)]
    assert len(ids) == len(set(ids))


def test_every_note_flag_names_a_scope_category_and_quotes_its_text():
    """Risk is learned from the risk bank; a note bank line labelled risk would become a
    risk negative, so note banks label only the scope categories."""
    for name, n, row in _rows("notes"):
        assert isinstance(row["text"], str) and row["text"].strip(), f"{name}:{n}"
        assert isinstance(row.get("scope_only", False), bool), f"{name}:{n} scope_only is true or false"
        for flag in row["flags"]:
            assert flag["category"] in CATEGORIES, f"{name}:{n} {flag['category']}"
            assert flag["span"] and flag["span"] in row["text"], f"{name}:{n} span not in text"


def test_risk_lines_are_labelled_and_pairs_are_near_misses_of_each_other():
    rows = {row["id"]: (name, n, row) for name, n, row in _rows("risk")}
    for name, n, row in rows.values():
        assert isinstance(row["text"], str) and row["text"].strip(), f"{name}:{n}"
        assert isinstance(row["risk"], bool), f"{name}:{n}"
        pair = row.get("pair")
        if pair:
            assert pair in rows, f"{name}:{n} pairs with a missing line"
            other = rows[pair][2]
            # a near miss has the other label, and the link is the same seen from both sides
            assert other["risk"] != row["risk"], f"{name}:{n} pairs two lines with the same label"
            assert other.get("pair") in (None, row["id"]), f"{name}:{n} pairs with a line paired elsewhere"
