"""`peerscope knowledge check` (every source, rule, quote, note-check citation, bank label
and the deployment's sources file) and `peerscope knowledge coverage`. Registered by
bot/knowledge/manage.py, whose helpers they share."""

from __future__ import annotations

import yaml

from bot.cli_support import print_json
from bot.knowledge.manage import Refused, _root, _rules, _sources

# -- coverage -------------------------------------------------------------------------------


def coverage_command(args) -> int:
    """Exit 0 when every normative sentence has a rule or a stated reason; else list them, exit 1."""
    from bot.knowledge.coverage import uncovered
    from bot.knowledge.rules import load_rule_files

    root = _root()
    left, stale = uncovered(_sources(root), load_rule_files(root / "rules"), root / "rules" / "_coverage.yml")
    if args.json:
        print_json(
            [{"kind": "uncovered", "source": s.source, "section": s.section, "sentence": s.text} for s in left]
            + [{"kind": "stale_exemption", "exemption": str(e)} for e in stale]
        )
        return 1 if left or stale else 0
    for sentence in left:
        print(f"{sentence.source} / {sentence.section}: {sentence.text}")
    for exemption in stale:
        print(f"_coverage.yml exemption matches nothing: {exemption}")
    print(f"{len(left)} normative sentence(s) with no rule and no stated reason; {len(stale)} stale exemption(s)")
    return 1 if left or stale else 0


# -- check ----------------------------------------------------------------------------------


def check_command(args) -> int:
    from bot.knowledge import deployment
    from bot.knowledge.coverage import uncovered
    from bot.knowledge.engine import Engine
    from bot.knowledge.model import load_bank
    from bot.knowledge.quantities import Quantities
    from bot.knowledge.reading import _load_mentions
    from bot.knowledge.rules import validate
    from bot.knowledge.sources import check_citation, parse_source, source_files
    from bot.knowledge.training import bank_dir, validate_bank

    root = _root()
    problems: list[str] = []
    notes: list[str] = []
    # sources: front matter, ids, sections
    sources = {}
    for path in source_files(root / "sources"):
        try:
            src = parse_source(path.read_text(encoding="utf-8"), path.stem)
        except Exception as exc:
            problems.append(f"{path.name}: cannot be read: {exc}")
            continue
        where = path.name
        if src.id != path.stem:
            problems.append(f"{where}: id {src.id!r} does not match the file name")
        if src.id in sources:
            problems.append(f"{where}: duplicate source id {src.id!r}")
        if not src.title or not src.audience or not src.programs:
            problems.append(f"{where}: front matter needs title, audience and programs")
        if not set(src.programs) <= {"adult", "family"}:
            problems.append(f"{where}: programs must be adult and/or family")
        ids = [s.id for s in src.sections]
        if not ids:
            problems.append(f"{where}: no sections")
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            problems.append(f"{where}: duplicate section ids {dup}")
        sources[src.id] = src
    print(f"sources: {len(sources)} ({sum(len(s.sections) for s in sources.values())} sections)")
    # rules and their quotes
    try:
        rules = _rules(root)
    except Refused as exc:
        problems.append(str(exc))
        rules = []
    quantities = Quantities.load(root / "rules").kinds if (root / "rules" / "_quantities.yml").is_file() else None
    stages = _load_mentions(root / "rules" / "_programs.yml", sources)["stages"]
    rule_problems = validate(rules, sources, quantities, stages)
    problems += rule_problems
    quotes = sum(len(r.all_citations()) for r in rules)
    print(
        f"rules: {len(rules)} ({quotes} quotes checked verbatim in their sections), " f"{len(rule_problems)} problem(s)"
    )
    # note-check citations
    note_dir = root / "note_checks"
    if note_dir.is_dir():
        from bot.notes.config import load_data

        try:
            data = load_data(note_dir)
            n = 0
            for cat in data.categories.values():
                for c in cat.citations:
                    n += 1
                    err = check_citation(sources, c)
                    if err:
                        problems.append(f"note check {cat.name}: {err}")
            print(f"note checks: {len(data.categories)} categories, {n} citations checked")
        except Exception as exc:
            problems.append(f"note checks: {str(exc).splitlines()[0]}")
    # the question bank's labels
    if bank_dir(root).is_dir() and rules:
        engine = Engine(root, model=False, deployment=False)
        bank = load_bank(bank_dir(root))
        bank_problems = validate_bank(bank, engine)
        problems += [f"question bank: {e}" for e in bank_problems]
        print(f"question bank: {len(bank)} questions, {len(bank_problems)} bad label(s)")
    # coverage: every normative sentence of a curated source has a rule or a reason
    coverage = root / "rules" / "_coverage.yml"
    if coverage.is_file() and rules:
        left, stale = uncovered(sources, rules, coverage)
        added = {sid for sid, s in sources.items() if s.meta.get("imported")}
        problems += [f"no rule or reason: {s.source}: {s.text[:100]}" for s in left if s.source not in added]
        problems += [f"_coverage.yml exemption matches nothing: {e}" for e in stale]
        for sid in sorted(added):
            k = sum(1 for s in left if s.source == sid)
            if k:
                notes.append(
                    f"{sid}: {k} normative sentence(s) have no rule yet (answered from the passages; "
                    f"write rules with `peerscope knowledge rule new --source {sid}`)"
                )
    # the deployment's sources file
    try:
        settings = deployment.load_settings()
        for sid in settings:
            if sid not in sources:
                problems.append(f"{deployment.settings_path()}: names unknown source {sid!r}")
    except (ValueError, yaml.YAMLError) as exc:
        problems.append(f"{deployment.settings_path()}: {str(exc).splitlines()[0]}")
    for note in notes:
        print(f"note: {note}")
    if problems:
        print(f"{len(problems)} problem(s):")
        for p in problems:
            print(f"  - {p}")
        return 1
    print("ok: every source, rule and quote checks out")
    return 0
