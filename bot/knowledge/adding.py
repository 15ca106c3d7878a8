"""`peerscope knowledge add FILE --id ID --title TITLE --program ...`: import a policy document
(.md, .txt, .pdf, .docx) as a source, show the sections found, save it after confirmation
and index its passages. Registered by bot/knowledge/manage.py, whose helpers it shares."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bot.knowledge.manage import Refused, _confirm, _interactive, _print_sections, _root, _sources


def _progress(items, total: int | None = None, what: str = "pages"):
    """A progress bar on stderr for long documents (tqdm; shown only on a terminal)."""
    from tqdm import tqdm

    total = total if total is not None else len(items)
    if total < 20:
        return items
    return tqdm(
        items,
        total=total,
        unit=what[:-1] if what.endswith("s") else what,
        desc=f"reading {what}",
        leave=False,
        disable=None,
        file=sys.stderr,
    )


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
        raise Refused(
            f"a source with id {args.source_id!r} already exists ({target}); choose another --id, "
            f"or `peerscope knowledge remove {args.source_id}` first"
        )
    if not path.is_file():
        raise Refused(f"no such file: {path}")
    if not (args.yes or args.dry_run or _interactive()):
        raise Refused("not saving without confirmation (no terminal): add --yes, or --dry-run to only look")
    started = time.monotonic()
    imported = build(
        path,
        args.source_id,
        args.title,
        args.program,
        args.jurisdiction,
        args.issuer,
        args.alias,
        progress=lambda items, total: _progress(items, total, "pages"),
    )
    doc = imported.document
    read = f"{doc.pages} pages, " if doc.pages else ""
    print(
        f"Read {'standard input' if args.file == '-' else path.name}: {read}{imported.words} words"
        f" in {time.monotonic() - started:.1f} s" + (f" ({'; '.join(doc.notes)})" if doc.notes else "") + "."
    )
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
    print(
        f"Saved {target} ({len(imported.source.sections)} sections). It is enabled for "
        f"{' and '.join(imported.source.programs)} peer support."
    )
    print(
        f'Ask about it now, e.g. peerscope ask "What does {args.title} say about ...?": a factual question a '
        f"passage answers gets that passage quoted; a can-I question gets the nearest passages and no verdict "
        f"until you write a rule: peerscope knowledge rule new --source {args.source_id}"
    )
    return 0


def _index(folder: Path, source_id: str) -> None:
    """Lemmatise the new source's passages now, so the first question does not wait for it."""
    from bot.knowledge.nlp import get_lemmatiser
    from bot.knowledge.retrieval import Retriever
    from bot.knowledge.sources import load_sources

    source = load_sources(folder)[source_id]
    Retriever({source_id: source}, get_lemmatiser(), progress=lambda items: _progress(items, len(items), "passages"))
