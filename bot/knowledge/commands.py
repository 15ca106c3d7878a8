"""`peerscope ask` and `peerscope eval qa` (and `peerscope knowledge`, in manage.py)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub, eval_sub) -> None:
    ask = sub.add_parser("ask", help='answer a "can I do this?" question from the policy documents')
    ask.add_argument("question", nargs="?", help="the question (quote it), or - to read it from standard input")
    ask.add_argument("--program", choices=("adult", "family"), help="answer for this program first")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument(
        "--jsonl", metavar="FILE", help='answer each line {"id", "question"} of FILE, or - for stdin (JSON lines out)'
    )
    ask.add_argument("--staff-id", type=int, default=None, help=argparse.SUPPRESS)
    ask.set_defaults(func=ask_command)

    qa = eval_sub.add_parser(
        "qa",
        help="score answers against a labelled questions file (JSON lines), "
        "or cross-validate on the example bank (--cv)",
    )
    qa.add_argument("file", nargs="?", help="e.g. scope_questions.dev.jsonl, or - for stdin")
    qa.add_argument(
        "--cv",
        action="store_true",
        help="k-fold cross-validation on the bank, one fold per group of writers (slow: minutes)",
    )
    qa.add_argument("--json", action="store_true", help="print a machine-readable summary")
    qa.set_defaults(func=eval_qa_command)

    from bot.knowledge import manage

    manage.register(sub)  # `peerscope knowledge ...`: add your own documents, enable/disable, rules, check


def _record_unanswered(question: str, staff_id: int | None, program: str | None) -> None:
    """Log a question the policies don't cover, for supervisors (bot/store)."""
    from bot.store import unanswered, upgrade

    upgrade()  # a fresh install may not have run `peerscope db upgrade` yet
    unanswered.record(question, staff_id, program)


def _render(ans) -> str:
    lines = [f"Verdict: {ans.verdict.replace('_', ' ')}", "", ans.answer]
    if ans.citations:
        lines += ["", "Sources:"]
        lines += [f'  - {c.source}, "{c.section}": "{c.quote}"' for c in ans.citations]
    return "\n".join(lines)


def ask_command(args) -> int:
    from bot.cli_support import is_stdin, read_input
    from bot.knowledge.engine import get_engine

    engine = get_engine()
    if args.jsonl:
        return _ask_jsonl(engine, args)
    if args.question is None:
        print('error: give a question, e.g. peerscope ask "Can I drive my client?", or --jsonl FILE', file=sys.stderr)
        return 2
    if is_stdin(args.question):
        args.question = read_input(args.question)
    ans = engine.answer(args.question, args.program)
    print(json.dumps(ans.to_dict(), ensure_ascii=False) if args.json else _render(ans), flush=True)
    if ans.kind == "not_covered":  # not for "help" (empty or unreadable input)
        _record_unanswered(args.question, args.staff_id, ans.program)
    return 0


def _ask_jsonl(engine, args) -> int:
    from bot.cli_support import is_stdin, open_input

    path = Path(args.jsonl)
    if not is_stdin(args.jsonl) and not path.is_file():
        print(f"error: no such file: {path}", file=sys.stderr)
        return 2
    failures = 0
    with open_input(args.jsonl) as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                if not isinstance(item, dict) or not isinstance(item.get("question"), str):
                    raise ValueError('expected an object with a "question" string')
            except ValueError as exc:
                print(f"error: {path}:{n}: malformed line: {exc}", file=sys.stderr)
                failures += 1
                continue
            program = item.get("program") if item.get("program") in ("adult", "family") else args.program
            ans = engine.answer(item["question"], program)
            print(json.dumps({"id": item.get("id"), **ans.to_dict()}, ensure_ascii=False), flush=True)
            if ans.kind == "not_covered":
                _record_unanswered(item["question"], args.staff_id, ans.program)
    return 1 if failures else 0


def score(rows: list[dict], engine) -> dict:
    """Verdict accuracy, source hit rate, must-mention rate, confident wrong answers
    (wrong verdict, no clarification offered), clarification rate and non-verbatim
    quotes over labelled rows."""
    from bot.knowledge.sources import check_citation

    n = verdict_ok = source_ok = mention_ok = mention_n = asked = confident_wrong = bad_quotes = 0
    misses = []
    for row in rows:
        ans = engine.answer(row["question"], row.get("program"))
        n += 1
        v_ok = ans.verdict == row["verdict"]
        cited = {c.source for c in ans.citations}
        expected = set(row.get("sources") or [])
        s_ok = ans.verdict == "not_covered" if not expected else bool(cited & expected)
        haystack = " ".join([ans.answer] + [c.quote for c in ans.citations]).lower()
        missing = [m for m in row.get("must_mention") or [] if m.lower() not in haystack]
        m_ok = not missing
        bad_quotes += sum(1 for c in ans.citations if check_citation(engine.sources, c))
        verdict_ok += v_ok
        source_ok += s_ok
        asked += bool(ans.clarify)
        confident_wrong += (not v_ok) and not ans.clarify
        if row.get("must_mention"):
            mention_n += 1
            mention_ok += m_ok
        if not (v_ok and s_ok and m_ok):
            misses.append(
                {
                    "id": row.get("id"),
                    "question": row["question"],
                    "expected": row["verdict"],
                    "got": ans.verdict,
                    "rule_id": ans.rule_id,
                    "verdict_ok": v_ok,
                    "source_ok": s_ok,
                    "expected_sources": sorted(expected),
                    "cited_sources": sorted(cited),
                    "missing_mentions": missing,
                    "confidence": round(ans.confidence, 3),
                    "clarify": [o.rule_id for o in ans.clarify],
                }
            )
    return {
        "n": n,
        "verdict_accuracy": verdict_ok / n if n else 0.0,
        "source_hit_rate": source_ok / n if n else 0.0,
        "must_mention_rate": mention_ok / mention_n if mention_n else 1.0,
        "confident_wrong_rate": confident_wrong / n if n else 0.0,
        "clarify_rate": asked / n if n else 0.0,
        "non_verbatim_quotes": bad_quotes,
        "misses": misses,
    }


def eval_qa_command(args) -> int:
    from bot.knowledge.engine import get_engine

    if args.cv:
        from bot.knowledge.training import cross_validate
        from bot.paths import knowledge_dir

        result = cross_validate(knowledge_dir(), echo=lambda m: print(m, file=sys.stderr, flush=True))
        if args.json:
            print(json.dumps(result))
        else:
            print(f"bank cross-validation ({result['n']} questions, writers held out in turn):")
            print(f"  rule accuracy    {result['rule_accuracy']:.1%}")
            print(f"  verdict accuracy {result['verdict_accuracy']:.1%}")
        if not args.file:
            return 0
    if not args.file:
        print("error: give a labelled file, or --cv", file=sys.stderr)
        return 2
    from bot.cli_support import is_stdin, read_input

    path = Path(args.file)
    if not is_stdin(args.file) and not path.is_file():
        print(f"error: no such file: {path}", file=sys.stderr)
        return 2
    rows = []
    for n, line in enumerate(read_input(args.file).splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except ValueError as exc:
            print(f"error: {path}:{n}: malformed line: {exc}", file=sys.stderr)
    result = score(rows, get_engine())
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    print(f"questions:          {result['n']}")
    print(f"verdict accuracy:   {result['verdict_accuracy']:.1%}")
    print(f"source hit rate:    {result['source_hit_rate']:.1%}")
    print(f"must-mention rate:  {result['must_mention_rate']:.1%}")
    print(f"confident wrong:    {result['confident_wrong_rate']:.1%}  (wrong verdict, no clarifying question)")
    print(f"clarification rate: {result['clarify_rate']:.1%}")
    print(f"non-verbatim quotes: {result['non_verbatim_quotes']}")
    if result["misses"]:
        print("\nmisses:")
        for m in result["misses"]:
            why = []
            if not m["verdict_ok"]:
                why.append(f"verdict {m['got']} (expected {m['expected']})")
            if not m["source_ok"]:
                why.append(f"sources {m['cited_sources']} (expected one of {m['expected_sources']})")
            if m["missing_mentions"]:
                why.append(f"missing {m['missing_mentions']}")
            asked = f", asked about {m['clarify']}" if m["clarify"] else ""
            print(
                f"  {m['id']}: {'; '.join(why)} [rule {m['rule_id']}, confidence {m['confidence']}{asked}]"
                f"\n      {m['question'][:120]}"
            )
    return 0
