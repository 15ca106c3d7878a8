"""`peerscope knowledge ...`: an agency brings its own policy documents.

    peerscope knowledge add FILE --id ID --title TITLE --program adult|family|both [--jurisdiction ...] [--yes]
    peerscope knowledge list | show ID | remove ID | enable ID [--program ...] | disable ID
    peerscope knowledge rule new --source ID [--section ... --quote ... --verdict ... --question ... --answer ...]
    peerscope knowledge check

This module registers the commands and manages the sources; adding one is
bot/knowledge/adding.py, writing a rule is bot/knowledge/authoring.py, `check` and
`coverage` are bot/knowledge/checks.py.
Sources are files in knowledge/sources (``$PEERSCOPE_KNOWLEDGE_DIR``); which of them this
deployment answers from is ``$PEERSCOPE_VAR_DIR/sources.yml`` (bot/knowledge/deployment.py).
Bad input is one line on stderr and exit code 2; ``check`` exits 1 when it finds problems.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from bot.cli_support import json_option, print_json

VERDICT_CHOICES = ("allowed", "not_allowed", "depends", "info")
SHOW_SECTIONS = 40
LOCAL_RULES = "local-{source}.yml"


class Refused(Exception):
    """A one-line reason to stop (exit code 2)."""


def register(sub) -> None:
    from bot.knowledge.adding import add_command
    from bot.knowledge.authoring import rule_new_command
    from bot.knowledge.checks import check_command, coverage_command

    k = sub.add_parser(
        "knowledge",
        help="the policy documents: add your own, list, enable/disable, write rules, check",
        description="Manage the policy documents PeerScope answers from. "
        "Start with `peerscope knowledge add FILE --id ID --title TITLE --program adult`.",
    )
    ks = k.add_subparsers(dest="knowledge_command", metavar="WHAT")
    k.set_defaults(func=lambda args: _usage(k))

    add = ks.add_parser("add", help="import a policy document (.md, .txt, .pdf, .docx) as a source")
    add.add_argument("file", help="the document, or - to read it from standard input (with --yes or --dry-run)")
    add.add_argument("--id", required=True, dest="source_id", help="a short stable id, e.g. agency-handbook")
    add.add_argument("--title", required=True, help="the document's title")
    add.add_argument(
        "--program",
        required=True,
        choices=("adult", "family", "both"),
        help="who it applies to: adult peer support, family peer support, or both",
    )
    add.add_argument("--jurisdiction", help="state or region, where the document names one")
    add.add_argument("--issuer", help="who issued it, where the document says so")
    add.add_argument("--alias", action="append", default=[], help="a name questions may use for it (repeatable)")
    add.add_argument("--yes", action="store_true", help="save without asking")
    add.add_argument("--dry-run", action="store_true", help="show the sections found; save nothing")
    add.set_defaults(func=_guard(add_command))

    ls = json_option(
        ks.add_parser("list", help="every source, whether it is enabled, its programs, sections and rules")
    )
    ls.set_defaults(func=_guard(list_command))

    show = ks.add_parser("show", help="one source: where it came from, its sections and the rules citing it")
    show.add_argument("source_id", metavar="ID")
    show.set_defaults(func=_guard(show_command))

    rm = ks.add_parser("remove", help="delete an added source (its retrieval index too)")
    rm.add_argument("source_id", metavar="ID")
    rm.add_argument(
        "--with-rules",
        action="store_true",
        help=f"also delete its own rules file (knowledge/rules/{LOCAL_RULES.format(source='ID')})",
    )
    rm.add_argument("--yes", action="store_true", help="remove without asking")
    rm.set_defaults(func=_guard(remove_command))

    en = ks.add_parser("enable", help="answer from this source (optionally only for one program)")
    en.add_argument("source_id", metavar="ID")
    en.add_argument(
        "--program",
        choices=("adult", "family", "both"),
        help="the programs it applies to in this deployment (default: as the document says)",
    )
    en.set_defaults(func=_guard(lambda args: toggle_command(args, True)))

    dis = ks.add_parser("disable", help="stop answering from (and citing) this source")
    dis.add_argument("source_id", metavar="ID")
    dis.set_defaults(func=_guard(lambda args: toggle_command(args, False)))

    rule = ks.add_parser("rule", help="write a rule from a passage of a source")
    rs = rule.add_subparsers(dest="rule_command", metavar="WHAT")
    rule.set_defaults(func=lambda args: _usage(rule))
    new = rs.add_parser("new", help="scaffold a rule from a passage (interactive, or all by flags)")
    new.add_argument("--source", required=True, dest="source_id", metavar="ID")
    new.add_argument("--section", help="section id or title")
    new.add_argument(
        "--quote",
        help="the exact words of the source the rule rests on (- reads them from stdin; "
        "so may one of the other text options)",
    )
    new.add_argument("--verdict", choices=VERDICT_CHOICES)
    new.add_argument("--condition", help="for depends: when it is allowed")
    new.add_argument("--question", help="the question the rule answers, e.g. 'Can I text a client after hours?'")
    new.add_argument("--answer", help="the answer in plain language")
    new.add_argument(
        "--example",
        action="append",
        default=[],
        help="another way to ask the question (repeatable; helps PeerScope recognise it)",
    )
    new.add_argument("--id", dest="rule_id", help="rule id (default: from the question)")
    new.add_argument("--topic", help="topic (default: the source id)")
    new.add_argument("--yes", action="store_true", help="save without asking")
    new.set_defaults(func=_guard(rule_new_command))

    chk = ks.add_parser("check", help="validate every source, rule and quote (as the tests do)")
    chk.set_defaults(func=_guard(check_command))

    cov = json_option(
        ks.add_parser(
            "coverage",
            help="normative sentences (must, shall, may not, ...) that no rule "
            "cites and rules/_coverage.yml gives no reason for",
        )
    )
    cov.set_defaults(func=_guard(coverage_command))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _guard(handler):
    """Run a handler; Refused (and bad input from the importer) become one line and exit 2."""

    def run(args) -> int:
        from bot.knowledge.importer import ImportRefused

        try:
            return int(handler(args) or 0)
        except (Refused, ImportRefused) as exc:
            print(f"peerscope: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("\npeerscope: cancelled; nothing saved", file=sys.stderr)
            return 130

    return run


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _confirm(question: str, yes: bool) -> bool:
    if yes:
        return True
    if not _interactive():
        raise Refused(f"{question.rstrip('?')}: not confirmed (no terminal); add --yes to do it without asking")
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def _root() -> Path:
    from bot.paths import knowledge_dir

    return knowledge_dir()


def _sources(root: Path | None = None) -> dict:
    from bot.knowledge.sources import load_sources

    return load_sources((root or _root()) / "sources")


def _source(source_id: str):
    sources = _sources()
    if source_id not in sources:
        known = ", ".join(sorted(sources)) or "none"
        raise Refused(f"no source {source_id!r} (known: {known}); see `peerscope knowledge list`")
    return sources[source_id]


def _rules(root: Path | None = None) -> list:
    from bot.knowledge.rules import load_rule_files

    try:
        return load_rule_files((root or _root()) / "rules")
    except ValueError as exc:
        raise Refused(f"a rule file is invalid: {str(exc).splitlines()[0]}") from None


def _citing(rules: list, source_id: str) -> list:
    return [r for r in rules if source_id in {c.source for c in r.all_citations()} | {p.source for p in r.positions}]


def _print_sections(source) -> None:
    sections = source.sections
    print(f"Found {len(sections)} section{'s' if len(sections) != 1 else ''}:")
    for n, sec in enumerate(sections[:SHOW_SECTIONS], 1):
        indent = "  " * max(0, sec.level - 2)
        print(f"  {n:>3}. {indent}{sec.title}  {{#{sec.id}}}  ({len(sec.plain.split())} words)")
    if len(sections) > SHOW_SECTIONS:
        print(f"  ... and {len(sections) - SHOW_SECTIONS} more")


# -- list / show / remove / enable / disable ------------------------------------------------


def list_command(args) -> int:
    from bot.knowledge.deployment import SourceSetting, load_settings

    sources, rules, settings = _sources(), _rules(), load_settings()
    rows = []
    for sid, src in sorted(sources.items()):
        s = settings.get(sid, SourceSetting())
        rows.append(
            {
                "id": sid,
                "enabled": s.enabled,
                "programs": list(s.programs if s.programs is not None else src.programs),
                "sections": len(src.sections),
                "rules": len(_citing(rules, sid)),
                "kind": "added" if src.meta.get("imported") else "curated",
                "title": src.title,
            }
        )
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("No sources. Add one: peerscope knowledge add FILE --id ID --title TITLE --program adult")
        return 0
    print(f"{'id':<28} {'enabled':<8} {'programs':<14} {'sections':>8} {'rules':>6}  kind      title")
    for row in rows:
        print(
            f"{row['id']:<28} {'yes' if row['enabled'] else 'no':<8} {','.join(row['programs']) or '-':<14} "
            f"{row['sections']:>8} {row['rules']:>6}  {row['kind']:<8}  {row['title']}"
        )
    return 0


def show_command(args) -> int:
    from bot.knowledge.deployment import SourceSetting, load_settings, settings_path

    src = _source(args.source_id)
    s = load_settings().get(src.id, SourceSetting())
    print(f"{src.id}: {src.title}")
    for key in ("issuer", "jurisdiction", "date", "file", "imported"):
        if src.meta.get(key):
            print(f"  {key}: {src.meta[key]}")
    programs = s.programs if s.programs is not None else src.programs
    print(f"  enabled: {'yes' if s.enabled else 'no'} (for {', '.join(programs) or 'no program'}; {settings_path()})")
    _print_sections(src)
    citing = _citing(_rules(), src.id)
    print(f"Rules citing it: {len(citing)}" + (": " + ", ".join(r.id for r in citing[:30]) if citing else ""))
    return 0


def remove_command(args) -> int:
    from bot.knowledge import deployment
    from bot.knowledge.retrieval import cache_dir

    src = _source(args.source_id)
    root = _root()
    own = root / "rules" / LOCAL_RULES.format(source=src.id)
    citing = _citing(_rules(), src.id)
    own_ids = {r.id for r in _rules_in(own)} if own.is_file() else set()
    others = [r.id for r in citing if not (args.with_rules and r.id in own_ids)]
    if others:
        raise Refused(
            f"{len(others)} rule(s) cite {src.id} ({', '.join(others[:8])}"
            f"{', ...' if len(others) > 8 else ''}); remove them first"
            + (f" (or add --with-rules to delete {own.name})" if own_ids and not args.with_rules else "")
            + f", or keep the document and `peerscope knowledge disable {src.id}`"
        )
    path = root / "sources" / f"{src.id}.md"
    if not path.is_file():
        raise Refused(f"{src.id} is not stored as {path}; remove its file by hand")
    if not _confirm(f"Delete {path}{' and ' + str(own) if args.with_rules and own.is_file() else ''}?", args.yes):
        print("Nothing removed.")
        return 1
    path.unlink()
    if args.with_rules and own.is_file():
        own.unlink()
    for old in cache_dir().glob(f"{src.id}-*.json"):
        old.unlink()
    deployment.forget(src.id)
    print(f"Removed {src.id}.")
    return 0


def _rules_in(path: Path) -> list:
    from bot.knowledge.rules import Rule

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [Rule.parse_obj(item) for item in data]


def toggle_command(args, enabled: bool) -> int:
    from bot.knowledge import deployment

    src = _source(args.source_id)
    programs = deployment.program_list(args.program) if enabled and getattr(args, "program", None) else None
    sources = _sources()
    before = deployment.load_settings()
    after = dict(before)
    old = before.get(src.id, deployment.SourceSetting())
    after[src.id] = deployment.SourceSetting(enabled, programs if programs is not None else old.programs)
    rules = _rules()
    had = {r.id for r in deployment.available_rules(rules, set(deployment.enabled_sources(sources, before)))}
    has = {r.id for r in deployment.available_rules(rules, set(deployment.enabled_sources(sources, after)))}
    path = deployment.save_settings(after)
    if enabled:
        shown = programs if programs is not None else (old.programs or src.programs)
        print(f"{src.id} enabled for {', '.join(shown)} ({path}).")
        if has - had:
            print(f"{len(has - had)} rule(s) answer again: {', '.join(sorted(has - had)[:12])}")
    else:
        print(f"{src.id} disabled ({path}): answers and note checks no longer cite it.")
        if had - has:
            print(
                f"{len(had - has)} rule(s) rest only on it and are not answered now: "
                f"{', '.join(sorted(had - has)[:12])}{' ...' if len(had - has) > 12 else ''}"
            )
    return 0
