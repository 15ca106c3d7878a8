"""Turn scored (seen) blind note rounds into note-bank lines for the scope categories.

    .venv/bin/python scripts/seen_note_rounds_to_bank.py OUT.jsonl ROUND_DIR...

A blind note states its flags but not where they are. Each flag's span here is the
sentence the current note model scores highest for that category (the note itself when it
is one sentence); a clean note is a negative for every category. Notes flagged risk are
left out (risk is learned from the risk bank). Every line is ``scope_only``: the risk model
neither learns from it nor chooses its thresholds on it, so adding seen rounds leaves the
risk model as it was. Only rounds already scored belong here: a round scored after
training on it measures nothing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from bot.notes.checker import get_checker
from bot.notes.model import CATEGORIES, read_jsonl


def convert(rounds: list[Path]) -> list[dict]:
    checker = get_checker()
    out = []
    for folder in rounds:
        path = folder / "notes.jsonl"
        for row in read_jsonl(path) if path.exists() else []:
            text, flags = row["text"].strip(), list(row.get("flags", []))
            if "risk" in flags:
                continue
            spans = []
            if flags:
                sents, hits = checker.rule_hits(text)
                probs = checker.model.scope_probs([text[a:b] for a, b in sents], np.array(hits, dtype=np.float32))
                for category in flags:
                    a, b = sents[int(np.argmax(probs[:, CATEGORIES.index(category)]))]
                    spans.append({"category": category, "span": text[a:b].strip()})
            out.append(
                {"id": f"n20-{row['id']}", "text": text, "flags": spans, "kind": "seen_round", "scope_only": True}
            )
    return out


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: seen_note_rounds_to_bank.py OUT.jsonl ROUND_DIR...", file=sys.stderr)
        return 2
    rows = convert([Path(a) for a in argv[1:]])
    Path(argv[0]).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} notes ({sum(bool(r['flags']) for r in rows)} flagged) -> {argv[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
