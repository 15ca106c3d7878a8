"""`peerscope knowledge rule new`: write a curated rule for a source, its quote checked
verbatim in the section, asked for step by step on a terminal (or given as options).
Registered by bot/knowledge/manage.py, whose helpers it shares."""

from __future__ import annotations

import yaml

from bot.knowledge.manage import (
    LOCAL_RULES,
    VERDICT_CHOICES,
    Refused,
    _confirm,
    _interactive,
    _root,
    _rules,
    _source,
    _sources,
)

# -- rule new -------------------------------------------------------------------------------


def rule_new_command(args) -> int:
    from bot.cli_support import text_arguments
    from bot.knowledge.rules import Rule, validate
    from bot.knowledge.sources import Citation, check_citation

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
    tmp.write_text(
        f"# Rules for {src.id}, written with `peerscope knowledge rule new`.\n"
        + yaml.safe_dump(existing + [data], sort_keys=False, allow_unicode=True, width=100),
        encoding="utf-8",
    )
    tmp.replace(path)
    from bot.knowledge.engine import UNTRAINED_MATCH

    n = 1 + len(data.get("examples", []))
    print(
        f"Saved rule {rule_id} to {path}. The next `peerscope ask` uses it, without retraining: the trained "
        f"policy model does not know this rule, so a question is matched against its question and "
        f"{'its ' + str(n - 1) + ' example(s)' if n > 1 else 'no examples (add some with --example)'} "
        f"with the sentence encoder (cosine >= {UNTRAINED_MATCH}). For the model to learn more ways of asking, "
        f"add labelled questions to knowledge/banks/questions and run `peerscope train --no-rasa` "
        f"(a few minutes)."
    )
    return 0


def _rule_id(question: str) -> str:
    from bot.knowledge.importer import slug
    from bot.knowledge.words import question_words

    filler = question_words().rule_id_filler
    words = [w for w in slug(question).split("-") if w not in filler]
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
        sec = (
            src.sections[int(value) - 1]
            if value.isdigit() and 0 < int(value) <= len(src.sections)
            else src.section(value)
        )
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
        return f'quote refused, not verbatim in {src.id} "{section.title}": "{q}" ({err})'
    rest = " ".join(words[good:])
    if not rest:  # verbatim, but in another section
        return f"quote refused: {err}"
    return (
        f"quote refused, not verbatim in {src.id} \"{section.title}\": the words match up to "
        f"\"{' '.join(words[:good])}\", then \"{rest}\" is not in the section"
    )
