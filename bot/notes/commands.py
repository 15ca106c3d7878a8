"""`peerscope check-note` and `peerscope eval notes|risk`.

Handlers import the checker lazily so `peerscope --help` stays fast. Nothing
here logs note text; errors name the line number, never the content.
"""

from __future__ import annotations

import argparse
import json
import sys


def register(sub, eval_sub) -> None:
    p = sub.add_parser("check-note", help="flag out-of-scope passages in a progress-note draft")
    p.add_argument("file", nargs="?", default="-", help="note file, or - / nothing for stdin")
    p.add_argument("--json", action="store_true", help='print {"flags": [...]}')
    p.add_argument(
        "--jsonl",
        metavar="FILE",
        help='read lines {"id", "text"} of FILE (- for stdin) and print {"id", "flags"} per line',
    )
    p.set_defaults(func=check_note)

    e = eval_sub.add_parser("notes", help="score the note checker on a labelled JSONL file")
    e.add_argument("file", help="JSON lines, or - for stdin")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=eval_notes)

    r = eval_sub.add_parser("risk", help="score risk detection on lines {id, text, risk}")
    r.add_argument("file", help="JSON lines, or - for stdin")
    r.add_argument("--json", action="store_true")
    r.add_argument(
        "--chat", action="store_true", help="score each line as a chat message (what the chat answers with 988)"
    )
    r.set_defaults(func=eval_risk)


def _read(path: str) -> str:
    from bot.cli_support import read_input

    return read_input(path or "-")


def _checker():
    from .checker import get_checker

    return get_checker()


def check_note(args: argparse.Namespace) -> int:
    try:
        if args.jsonl:
            return _check_jsonl(args.jsonl)
        text = _read(args.file)
    except OSError as exc:
        print(f"peerscope: cannot read {exc.filename or 'standard input'}: {exc.strerror}", file=sys.stderr)
        return 2
    flags = _checker().check(text)
    if args.json:
        print(json.dumps({"flags": [f.to_dict() for f in flags]}, ensure_ascii=False))
        return 0
    if not flags:
        print("No out-of-scope passages found.")
        return 0
    print(f"{len(flags)} passage(s) to review:\n")
    for n, f in enumerate(flags, 1):
        print(f"{n}. [{f.category}] characters {f.start}-{f.end}")
        print(f'   "{f.text}"')
        print(f"   Why: {f.reason}")
        for c in f.to_dict()["citations"]:
            print(f"   Source: {c['source']}, {c['section']}: \"{c['quote']}\"")
        print(f"   Try: {f.suggestion}\n")
    return 0


def _check_jsonl(path: str) -> int:
    """One output line per input line; malformed lines go to stderr by number."""
    from bot.cli_support import open_input

    from .evaluate import read_jsonl

    checker = _checker()
    with open_input(path) as fh:
        for n, obj, err in read_jsonl(fh):
            if err is None and not isinstance(obj.get("text"), str):
                err = f"line {n}: missing string field 'text'"
            if err:
                print(f"check-note: skipped {err}", file=sys.stderr)
                continue
            flags = checker.check(obj["text"])
            print(
                json.dumps({"id": obj.get("id"), "flags": [f.to_dict() for f in flags]}, ensure_ascii=False), flush=True
            )
    return 0


def eval_notes(args: argparse.Namespace) -> int:
    from bot.cli_support import open_input

    from .evaluate import score_notes

    with open_input(args.file) as fh:
        report = score_notes(_checker(), fh)
    data = report.to_dict()
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    print(f"{data['items']} items\n")
    print(f"{'category':<14}{'prec':>7}{'recall':>8}{'f1':>7}{'tp':>5}{'fp':>5}{'fn':>5}")
    for cat, c in data["per_category"].items():
        print(
            f"{cat:<14}{c['precision']:>7.3f}{c['recall']:>8.3f}{c['f1']:>7.3f}" f"{c['tp']:>5}{c['fp']:>5}{c['fn']:>5}"
        )
    m = data["macro"]
    print(f"{'macro':<14}{m['precision']:>7.3f}{m['recall']:>8.3f}{m['f1']:>7.3f}")
    if data["in_scope_items"]:
        print(
            f"\nin-scope items with no flag: {data['in_scope_no_flag_rate']:.3f} "
            f"of {data['in_scope_items']} (counting risk flags too: "
            f"{data['in_scope_no_flag_rate_incl_risk']:.3f})"
        )
    if data["misses"]:
        print(f"\nmisses ({len(data['misses'])}):")
        for miss in data["misses"]:
            print(f"  {miss['id']}: expected {miss['expected']} got {miss['got']} | {miss['text']}")
    for line in data["bad_lines"]:
        print(f"skipped {line}", file=sys.stderr)
    return 0


def eval_risk(args: argparse.Namespace) -> int:
    from bot.cli_support import open_input

    from .evaluate import score_risk

    with open_input(args.file) as fh:
        data = score_risk(_checker(), fh, chat=args.chat)
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    a, p = data["alert_tier"], data["possible_tier"]
    print(f"{data['items']} lines")
    print(f"recall (risk or risk_possible): {data['recall']:.3f}  (tp {data['tp']}, fn {data['fn']})")
    print(
        f"risk tier (alert):   precision {a['precision']:.3f}  recall {a['recall']:.3f}  (tp {a['tp']}, fp {a['fp']})"
    )
    print(f"risk_possible tier:  precision {p['precision']:.3f}  (tp {p['tp']}, fp {p['fp']})")
    if data["non_risk_lines_possible"] is not None:
        print(f"non-risk lines given risk_possible: {data['non_risk_lines_possible']:.3f}")
    for miss in data["misses"]:
        kind = "missed" if miss["expected"] else f"false alarm ({miss['got']})"
        print(f"  {miss['id']} {kind}: {miss['text']}")
    for line in data["bad_lines"]:
        print(f"skipped {line}", file=sys.stderr)
    return 0
