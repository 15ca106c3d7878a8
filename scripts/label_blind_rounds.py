"""Turn scored blind policy rounds into bank questions (knowledge/banks/questions/q13_blind_rounds.jsonl, q14_...).

A blind round states each question's verdict, sources and must-mention phrases, not the
rule. The rule is the one that can give the expected verdict and whose citations hold a
must-mention phrase (else the round's verdict sentence), from the expected sources; when
several do, the one the trained policy model ranks highest. A question no rule's
citations match is left out, and so is one word for word in the calibration set (which
the classifiers must never see). Only rounds already scored (seen) belong in the bank: a
round scored after training on it measures nothing. Each line's id is the output file's
prefix ("q14" for q14_blind_rounds.jsonl) and the round's id.

    .venv/bin/python scripts/label_blind_rounds.py OUT.jsonl tests/data/blind/round11/policy.jsonl ...
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from bot.knowledge.engine import get_engine
from bot.knowledge.model import NOT_COVERED
from bot.knowledge.reading import focus, normalise_question
from bot.nlp.encoder import get_encoder
from bot.notes.model import read_jsonl


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[^\w%$]+", " ", text.lower()).split())


def _match(rule, verdict: str, sources: set[str], phrases: list[str], sentence: str) -> int:
    """2 per must-mention phrase inside one of the rule's quotes, 1 for the verdict sentence."""
    if not (verdict in rule.verdicts or (rule.thresholds and verdict in ("allowed", "not_allowed", "depends"))):
        return 0
    best = 0
    for citation in rule.all_citations():
        if sources and citation.source not in sources:
            continue
        quote = _plain(citation.quote)
        long_quote = len(quote) > 20
        hits = sum(p in quote or (long_quote and quote in p) for p in phrases)
        best = max(best, 2 * hits + (long_quote and (quote in sentence or sentence in quote)))
    return best


def label(rows: list[dict], prefix: str) -> list[dict]:
    engine = get_engine()
    model = engine.model
    texts = [focus(normalise_question(r["question"])) for r in rows]
    probs = model.rule_probs(texts, get_encoder().encode(texts))
    out = []
    for row, p in zip(rows, probs):
        verdict, rule_id = row["verdict"], NOT_COVERED
        if verdict != NOT_COVERED:
            phrases = [_plain(m) for m in row.get("must_mention", []) if m.strip()]
            sentence, sources = _plain(row.get("note", "")), set(row.get("sources", []))
            scored = [(_match(r, verdict, sources, phrases, sentence), r.id) for r in engine.rules]
            top = max((s for s, _ in scored), default=0)
            if not top:
                continue
            pool = [rid for s, rid in scored if s == top]
            rule_id = max(pool, key=lambda rid: p[model.labels.index(rid)] if rid in model.labels else -1.0)
        out.append({"id": prefix + row["id"], "text": row["question"], "rule": rule_id, "verdict": verdict})
    return out


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    from bot.knowledge.training import load_calibration
    from bot.paths import knowledge_dir

    rows = [row for path in argv[1:] for row in read_jsonl(Path(path))]
    calibration = {c.text for c in load_calibration(knowledge_dir())}
    rows = [r for r in rows if r["question"] not in calibration]
    labelled = label(rows, Path(argv[0]).name.split("_")[0] + "-")
    Path(argv[0]).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in labelled), encoding="utf-8")
    print(
        f"{len(labelled)} of {len(rows)} questions labelled ({len(rows) - len(labelled)} matched no rule's citations)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
