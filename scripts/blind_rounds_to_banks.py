"""Turn scored blind note and risk rounds into bank lines the note model learns from.

    .venv/bin/python scripts/blind_rounds_to_banks.py ROUND_DIR...   (e.g. tests/data/blind/round11)

writes knowledge/banks/risk/r16_blind_rounds.jsonl and knowledge/banks/notes/n14_blind_rounds.jsonl.
A risk round's lines are risk-bank lines as they are. A blind note states its flags but not
where they are, so only its notes with no flag join the note bank (every sentence a
negative for every category, and for risk); a note flagged risk, of at most two sentences,
becomes a risk line. Flagged notes were tried as one-sentence bank notes (the whole
sentence the span) and left out: on ../shared/eval's dev notes, legal and diagnosis then
fired on in-scope sentences. Only rounds already scored (seen) belong here: a round scored
after training on it measures nothing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bot.notes.model import read_jsonl
from bot.notes.passages import split_sentences
from bot.paths import knowledge_dir

RISK_OUT, NOTES_OUT = "risk/r16_blind_rounds.jsonl", "notes/n14_blind_rounds.jsonl"


def _rows(path: Path) -> list[dict]:
    """A round's lines (a bad line stops the run with its line number; none is dropped)."""
    return read_jsonl(path) if path.exists() else []


def convert(rounds: list[Path]) -> tuple[list[dict], list[dict]]:
    risk, notes = [], []
    for folder in rounds:
        for row in _rows(folder / "risk.jsonl"):
            line = {"id": f"r16-{row['id']}", "text": row["text"], "risk": bool(row["risk"]), "kind": "blind_round"}
            risk.append(line)
        for row in _rows(folder / "notes.jsonl"):
            text, flags = row["text"], list(row.get("flags", []))
            if "risk" in flags and len(split_sentences(text)) <= 2:
                risk.append({"id": f"r16-{row['id']}", "text": text, "risk": True, "kind": "blind_round_note"})
            elif not flags:
                notes.append({"id": f"n14-{row['id']}", "text": text.strip(), "flags": [], "kind": "blind_round"})
    return risk, notes


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: blind_rounds_to_banks.py ROUND_DIR...", file=sys.stderr)
        return 2
    risk, notes = convert([Path(a) for a in argv])
    banks = knowledge_dir() / "banks"
    for rel, rows in ((RISK_OUT, risk), (NOTES_OUT, notes)):
        (banks / rel).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(risk)} risk lines -> banks/{RISK_OUT}; {len(notes)} notes -> banks/{NOTES_OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
