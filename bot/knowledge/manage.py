"""`peerscope knowledge ...`: an agency brings its own policy documents.

    peerscope knowledge add FILE --id ID --title TITLE --program adult|family|both [--jurisdiction ...] [--yes]
    peerscope knowledge list | show ID | remove ID | enable ID [--program ...] | disable ID
    peerscope knowledge rule new --source ID [--section ... --quote ... --verdict ... --question ... --answer ...]
    peerscope knowledge check

Sources are files in knowledge/sources (``$PEERSCOPE_KNOWLEDGE_DIR``); which of them this
deployment answers from is ``$PEERSCOPE_VAR_DIR/sources.yml`` (bot/knowledge/deployment.py).
Bad input is one line on stderr and exit code 2; ``check`` exits 1 when it finds problems.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import yaml

from bot.cli_support import json_option, print_json

VERDICT_CHOICES = ("allowed", "not_allowed", "depends", "info")
SHOW_SECTIONS = 40
LOCAL_RULES = "local-{source}.yml"


class Refused(Exception):
    """A one-line reason to stop (exit code 2)."""


def register(sub) -> None:
    k = sub.add_parser("knowledge", help="the policy documents: add your own, list, enable/disable, write rules, check",
                       description="Manage the policy documents PeerScope answers from. "
                                   "Start with `peerscope knowledge add FILE --id ID --title TITLE --program adult`.")
    ks = k.add_subparsers(dest="knowledge_command", metavar="WHAT")
    k.set_defaults(func=lambda args: _usage(k))

    add = ks.add_parser("add", help="import a policy document (.md, .txt, .pdf, .docx) as a source")
    add.add_argument("file", help="the document, or - to read it from standard input (with --yes or --dry-run)")
    add.add_argument("--id", required=True, dest="source_id", help="a short stable id, e.g. agency-handbook")
    add.add_argument("--title", required=True, help="the document's title")
    add.add_argument("--program", required=True, choices=("adult", "family", "both"),
                     help="who it applies to: adult peer support, family peer support, or both")
    add.add_argument("--jurisdiction", help="state or region, where the document names one")
    add.add_argument("--issuer", help="who issued it, where the document says so")
    add.add_argument("--alias", action="append", default=[], help="a name questions may use for it (repeatable)")
    add.add_argument("--yes", action="store_true", help="save without asking")
    add.add_argument("--dry-run", action="store_true", help="show the sections found; save nothing")
    add.set_defaults(func=_guard(add_command))

    ls = json_option(ks.add_parser("list", help="every source, whether it is enabled, its programs, sections and rules"))
    ls.set_defaults(func=_guard(list_command))

    show = ks.add_parser("show", help="one source: where it came from, its sections and the rules citing it")
    show.add_argument("source_id", metavar="ID")
    show.set_defaults(func=_guard(show_command))

    rm = ks.add_parser("remove", help="delete an added source (its retrieval index too)")
    rm.add_argument("source_id", metavar="ID")
    rm.add_argument("--with-rules", action="store_true",
                    help=f"also delete its own rules file (knowledge/rules/{LOCAL_RULES.format(source='ID')})")
    rm.add_argument("--yes", action="store_true", help="remove without asking")
    rm.set_defaults(func=_guard(remove_command))

    en = ks.add_parser("enable", help="answer from this source (optionally only for one program)")
    en.add_argument("source_id", metavar="ID")
    en.add_argument("--program", choices=("adult", "family", "both"),
                    help="the programs it applies to in this deployment (default: as the document says)")
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
    new.add_argument("--quote", help="the exact words of the source the rule rests on (- reads them from stdin; "
                                     "so may one of the other text options)")
    new.add_argument("--verdict", choices=VERDICT_CHOICES)
    new.add_argument("--condition", help="for depends: when it is allowed")
    new.add_argument("--question", help="the question the rule answers, e.g. 'Can I text a client after hours?'")
    new.add_argument("--answer", help="the answer in plain language")
    new.add_argument("--example", action="append", default=[],
                     help="another way to ask the question (repeatable; helps PeerScope recognise it)")
    new.add_argument("--id", dest="rule_id", help="rule id (default: from the question)")
    new.add_argument("--topic", help="topic (default: the source id)")
    new.add_argument("--yes", action="store_true", help="save without asking")
    new.set_defaults(func=_guard(rule_new_command))

    chk = ks.add_parser("check", help="validate every source, rule and quote (as the tests do)")
    chk.set_defaults(func=_guard(check_command))

    cov = json_option(ks.add_parser("coverage", help="normative sentences (must, shall, may not, ...) that no rule "
                                                     "cites and rules/_coverage.yml gives no reason for"))
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


def _progress(items, total: int | None = None, what: str = "pages"):
    """A progress bar on stderr for long documents (tqdm; shown only on a terminal)."""
    from tqdm import tqdm

    total = total if total is not None else len(items)
    if total < 20:
        return items
    return tqdm(items, total=total, unit=what[:-1] if what.endswith("s") else what, desc=f"reading {what}",
                leave=False, disable=None, file=sys.stderr)


# -- add ----------------------------------------------------------------------------------

def add_command(args) -> int:
    from bot.cli_support import input_path, is_stdin

    if is_stdin(args.file) and not (args.yes or args.dry_run):
        raise Refused("reading the document from standard input: add --yes to save it, or --dry-run to only look")
    with input_path(args.file) as path:
        return _add(args, path)


def _add(args, path: Path) -> int:
    from bot.knowledge.importer import ID_PATTERN, build

    if not ID_PATTERN.match(args.source_id):
        raise Refused(f"bad id {args.source_id!r}: use lower-case letters, digits and dashes (e.g. agency-handbook)")
    target = _root() / "sources" / f"{args.source_id}.md"
    if target.exists() or args.source_id in _sources():
        raise Refused(f"a source with id {args.source_id!r} already exists ({target}); choose another --id, "
                      f"or `peerscope knowledge remove {args.source_id}` first")
    if not path.is_file():
        raise Refused(f"no such file: {path}")
    if not (args.yes or args.dry_run or _interactive()):
        raise Refused("not saving without confirmation (no terminal): add --yes, or --dry-run to only look")
    started = time.monotonic()
    imported = build(path, args.source_id, args.title, args.program, args.jurisdiction, args.issuer, args.alias,
                     progress=lambda items, total: _progress(items, total, "pages"))
    doc = imported.document
    read = f"{doc.pages} pages, " if doc.pages else ""
    print(f"Read {'standard input' if args.file == '-' else path.name}: {read}{imported.words} words in {time.monotonic() - started:.1f} s"
          + (f" ({'; '.join(doc.notes)})" if doc.notes else "") + ".")
    _print_sections(imported.source)
    if args.dry_run:
        print("Dry run: nothing saved.")
        return 0
    if not _confirm(f"Save as {target}?", args.yes):
        print("Not saved.")
        return 1
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(imported.markdown, encoding="utf-8")
    tmp.replace(target)
    _index(target.parent, args.source_id)
    print(f"Saved {target} ({len(imported.source.sections)} sections). It is enabled for "
          f"{' and '.join(imported.source.programs)} peer support.")
    print(f"Ask about it now, e.g. peerscope ask \"What does {args.title} say about ...?\": a factual question a "
          f"passage answers gets that passage quoted; a can-I question gets the nearest passages and no verdict "
          f"until you write a rule: peerscope knowledge rule new --source {args.source_id}")
    return 0


def _print_sections(source) -> None:
    sections = source.sections
    print(f"Found {len(sections)} section{'s' if len(sections) != 1 else ''}:")
    for n, sec in enumerate(sections[:SHOW_SECTIONS], 1):
        indent = "  " * max(0, sec.level - 2)
        print(f"  {n:>3}. {indent}{sec.title}  {{#{sec.id}}}  ({len(sec.plain.split())} words)")
    if len(sections) > SHOW_SECTIONS:
        print(f"  ... and {len(sections) - SHOW_SECTIONS} more")


def _index(folder: Path, source_id: str) -> None:
    """Lemmatise the new source's passages now, so the first question does not wait for it."""
    from bot.knowledge.nlp import get_lemmatiser
    from bot.knowledge.retrieval import Retriever
    from bot.knowledge.sources import load_sources

    source = load_sources(folder)[source_id]
    Retriever({source_id: source}, get_lemmatiser(),
              progress=lambda items: _progress(items, len(items), "passages"))


# -- list / show / remove / enable / disable ------------------------------------------------

def list_command(args) -> int:
    from bot.knowledge.deployment import SourceSetting, load_settings

    sources, rules, settings = _sources(), _rules(), load_settings()
    rows = []
    for sid, src in sorted(sources.items()):
        s = settings.get(sid, SourceSetting())
        rows.append({"id": sid, "enabled": s.enabled,
                     "programs": list(s.programs if s.programs is not None else src.programs),
                     "sections": len(src.sections), "rules": len(_citing(rules, sid)),
                     "kind": "added" if src.meta.get("imported") else "curated", "title": src.title})
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("No sources. Add one: peerscope knowledge add FILE --id ID --title TITLE --program adult")
        return 0
    print(f"{'id':<28} {'enabled':<8} {'programs':<14} {'sections':>8} {'rules':>6}  kind      title")
    for row in rows:
        print(f"{row['id']:<28} {'yes' if row['enabled'] else 'no':<8} {','.join(row['programs']) or '-':<14} "
              f"{row['sections']:>8} {row['rules']:>6}  {row['kind']:<8}  {row['title']}")
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
        raise Refused(f"{len(others)} rule(s) cite {src.id} ({', '.join(others[:8])}"
                      f"{', ...' if len(others) > 8 else ''}); remove them first"
                      + (f" (or add --with-rules to delete {own.name})" if own_ids and not args.with_rules else "")
                      + f", or keep the document and `peerscope knowledge disable {src.id}`")
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
            print(f"{len(had - has)} rule(s) rest only on it and are not answered now: "
                  f"{', '.join(sorted(had - has)[:12])}{' ...' if len(had - has) > 12 else ''}")
    return 0


# -- rule new -------------------------------------------------------------------------------

def rule_new_command(args) -> int:
    from bot.knowledge.rules import Rule, validate
    from bot.knowledge.sources import Citation, check_citation

    from bot.cli_support import text_arguments

    piped = "-" in (args.quote, args.condition, args.question, args.answer, *args.example)
    try:
        text_arguments(args, "quote", "condition", "question", "answer", "example")
    except ValueError as exc:
        raise Refused(str(exc)) from None
    src = _source(args.source_id)
    interactive = _interactive() and not piped  # standard input is the text, not the answers to prompts
    needed = ["section", "quote", "verdict", "question", "answer"]
    missing = [f"--{n}" for n in needed if not getattr(args, n)]
    if args.verdict == "depends" and not args.condition:
        missing.append("--condition")
    if missing and not interactive:
        raise Refused(f"missing {', '.join(missing)} (no terminal to ask)")
    section = _pick_section(src, args.section, interactive)
    quote = args.quote or _pick_quote(src, section, interactive)
    sources = _sources()
    err = check_citation(sources, Citation(src.id, section.title, quote))
    if err:
        raise Refused(_not_verbatim(src, section, quote, err))
    verdict = args.verdict or _ask_choice("Verdict", VERDICT_CHOICES)
    condition = args.condition or (_ask("Condition (when is it allowed?)") if verdict == "depends" else None)
    question = args.question or _ask("The question this rule answers (e.g. Can I text a client after hours?)")
    answer = args.answer or _ask("The answer, in plain language")
    examples = list(args.example)
    if interactive and not args.example:
        print("Other ways to ask it, one per line (an empty line ends):")
        while line := input("  > ").strip():
            examples.append(line)
    rule_id = args.rule_id or _rule_id(question)
    rules = _rules()
    if any(r.id == rule_id for r in rules):
        raise Refused(f"a rule with id {rule_id!r} already exists; choose another --id")
    data = {"id": rule_id, "topic": args.topic or src.id, "question": question.strip()}
    if examples:
        data["examples"] = [e.strip() for e in examples if e.strip()]
    data["verdict"] = verdict
    if condition:
        data["condition"] = condition.strip()
    data["answer"] = answer.strip()
    data["citations"] = [{"source": src.id, "section": section.title, "quote": " ".join(quote.split())}]
    try:
        rule = Rule.parse_obj(data)
    except ValueError as exc:
        raise Refused(f"the rule is not valid: {' '.join(str(exc).split())}") from None
    problems = validate([rule], sources)
    if problems:
        raise Refused(problems[0])
    path = _root() / "rules" / LOCAL_RULES.format(source=src.id)
    print(yaml.safe_dump([data], sort_keys=False, allow_unicode=True, width=100).rstrip())
    if not _confirm(f"Save this rule to {path}?", args.yes):
        print("Not saved.")
        return 1
    existing = yaml.safe_load(path.read_text(encoding="utf-8")) or [] if path.is_file() else []
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"# Rules for {src.id}, written with `peerscope knowledge rule new`.\n"
                   + yaml.safe_dump(existing + [data], sort_keys=False, allow_unicode=True, width=100),
                   encoding="utf-8")
    tmp.replace(path)
    from bot.knowledge.engine import UNTRAINED_MATCH

    n = 1 + len(data.get("examples", []))
    print(f"Saved rule {rule_id} to {path}. The next `peerscope ask` uses it, without retraining: the trained "
          f"policy model does not know this rule, so a question is matched against its question and "
          f"{'its ' + str(n - 1) + ' example(s)' if n > 1 else 'no examples (add some with --example)'} "
          f"with the sentence encoder (cosine >= {UNTRAINED_MATCH}). For the model to learn more ways of asking, "
          f"add labelled questions to knowledge/banks/questions and run `peerscope train --no-rasa` "
          f"(a few minutes).")
    return 0


def _rule_id(question: str) -> str:
    from bot.knowledge.importer import slug

    words = [w for w in slug(question).split("-") if w not in ("can", "i", "a", "an", "the", "my", "is", "it", "to")]
    return "-".join(words[:6]) or "local-rule"


def _ask(prompt: str) -> str:
    while True:
        value = input(f"{prompt}: ").strip()
        if value:
            return value


def _ask_choice(prompt: str, choices) -> str:
    while True:
        value = input(f"{prompt} ({'/'.join(choices)}): ").strip().lower().replace(" ", "_")
        if value in choices:
            return value


def _pick_section(src, wanted: str | None, interactive: bool):
    if wanted:
        sec = src.section(wanted)
        if sec is None:
            raise Refused(f"no section {wanted!r} in {src.id}; see `peerscope knowledge show {src.id}`")
        return sec
    for n, sec in enumerate(src.sections, 1):
        print(f"  {n:>3}. {sec.title}  {{#{sec.id}}}")
    while True:
        value = input("Section (number, id or title): ").strip()
        sec = src.sections[int(value) - 1] if value.isdigit() and 0 < int(value) <= len(src.sections) \
            else src.section(value)
        if sec is not None:
            return sec


def _pick_quote(src, section, interactive: bool) -> str:
    from bot.knowledge.retrieval import _SENT

    sentences = [s for s in _SENT.split(src.section_text(section)) if s.strip()]
    for n, s in enumerate(sentences, 1):
        print(f"  {n:>3}. {s}")
    value = input("Quote (a sentence number, or the exact words): ").strip()
    if value.isdigit() and 0 < int(value) <= len(sentences):
        return sentences[int(value) - 1]
    return value


def _not_verbatim(src, section, quote: str, err: str) -> str:
    """Why a quote is refused, with the offending text: the longest verbatim start and
    the words from where it stops matching the section."""
    from bot.knowledge.sources import normalise

    q, text = normalise(quote), src.section_text(section)
    words = q.split(" ")
    good = 0
    for k in range(1, len(words) + 1):
        if " ".join(words[:k]) in text:
            good = k
        else:
            break
    if good == 0:
        return f"quote refused, not verbatim in {src.id} \"{section.title}\": \"{q}\" ({err})"
    rest = " ".join(words[good:])
    if not rest:   # verbatim, but in another section
        return f"quote refused: {err}"
    return (f"quote refused, not verbatim in {src.id} \"{section.title}\": the words match up to "
            f"\"{' '.join(words[:good])}\", then \"{rest}\" is not in the section")


# -- coverage -------------------------------------------------------------------------------

def coverage_command(args) -> int:
    """Exit 0 when every normative sentence has a rule or a stated reason; else list them, exit 1."""
    from bot.knowledge.coverage import uncovered
    from bot.knowledge.rules import load_rule_files

    root = _root()
    left, stale = uncovered(_sources(root), load_rule_files(root / "rules"), root / "rules" / "_coverage.yml")
    if args.json:
        print_json([{"kind": "uncovered", "source": s.source, "section": s.section, "sentence": s.text}
                    for s in left] + [{"kind": "stale_exemption", "exemption": str(e)} for e in stale])
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
    from bot.knowledge.rules import validate
    from bot.knowledge.sources import Citation, check_citation, parse_source, source_files
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
    rule_problems = validate(rules, sources, quantities)
    problems += rule_problems
    quotes = sum(len(r.all_citations()) for r in rules)
    print(f"rules: {len(rules)} ({quotes} quotes checked verbatim in their sections), "
          f"{len(rule_problems)} problem(s)")
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
                    err = check_citation(sources, Citation(c["source"], c["section"], c["quote"]))
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
                notes.append(f"{sid}: {k} normative sentence(s) have no rule yet (answered from the passages; "
                             f"write rules with `peerscope knowledge rule new --source {sid}`)")
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
