"""Import an agency's own policy document as a source (`peerscope knowledge add`).

Markdown, plain text, PDF (pypdf) and Word (python-docx) are read into lines of text;
the document's own headings become sections, and the result is written in the format
of the five curated sources (knowledge/sources/README.md): YAML front matter, then the
text verbatim with ``## Heading {#stable-id}`` lines. Only Markdown structure is added
(heading markers and ids, list markers, blank lines); every word of the document is
kept, in order, and :func:`build` refuses to produce a file where that is not so.

Headings are found from the document itself:

- Markdown headings (``## Title``), and for Word the Heading/Title paragraph styles;
- numbered headings (``1. Purpose``, ``2.3 Caseloads``, ``IV. Staff``, ``Section 3 Scope``)
  in title case or capitals, not ending like a sentence;
- bold lines (``**DEFINITION**``; in a PDF, lines set in a bold or larger font; in Word,
  paragraphs whose text is all bold) and ALL-CAPS lines;
- short title-like lines standing alone between blank lines (``Types of Support``);
- label/value table rows (tab-separated in text, Word tables of two columns, PDF pages
  laid out in two columns): each label is a section, and a label that wraps over rows
  (``Hours of`` + ``Operation``) is joined, as in the DBH service definition.

Reading the file into lines is bot/knowledge/documents.py. A PDF without a text layer
(a scan) is refused: PeerScope quotes documents word for word and cannot quote an
image. Page numbers alone on the first or last line of a PDF page are dropped (they are
not policy text and would split quotes).
"""

from __future__ import annotations

import collections
import datetime as _dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import yaml

from bot.knowledge.documents import (
    BULLET,
    MAX_HEADING_WORDS,
    SUFFIXES,
    Document,
    ImportRefused,
    read_document,
    sentence_end,
)
from bot.knowledge.sources import Source, normalise, parse_source

__all__ = ["ID_PATTERN", "SUFFIXES", "Document", "ImportRefused", "Imported", "build", "read_document", "slug"]

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
AUDIENCE = {"adult": "adult peers", "family": "family peer supporters"}
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_ID_SUFFIX = re.compile(r"\s*\{#([a-z0-9][a-z0-9-]*)\}\s*$")
_BOLD_LINE = re.compile(r"^(?:\*\*|__)(?P<t>[^*_].*?)(?:\*\*|__)\s*:?\s*$")
_NUMBERED = re.compile(
    r"^(?:(?:section|article|chapter|part)\s+)?(?P<n>\d+(?:\.\d+)*\.?|\d+\)|[IVXLC]+[.)]|[A-Z][.)])" r"\s+(?P<t>\S.*)$",
    re.I,
)
_ENUM = re.compile(r"^(?:(?:section|article|chapter|part)\s+)?(?:\d+(?:\.\d+)*[.)]?|[IVXLC]+[.)]|[A-Z][.)])\s+", re.I)
_WORD = re.compile(r"[A-Za-z0-9]+")


@dataclass
class Imported:
    markdown: str
    source: Source
    words: int
    document: Document

    @property
    def sections(self):
        return self.source.sections


# -- sections ---------------------------------------------------------------------------


@dataclass
class _Heading:
    text: str
    level: int = 2
    id: str | None = None
    table: bool = False


def _is_title_like(text: str) -> bool:
    words = _WORD.findall(text)
    long = [w for w in words if len(w) >= 4 and w.isalpha()]
    return bool(long) and sum(1 for w in long if w[0].isupper()) >= max(1, (len(long) + 1) // 2)


def _caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 3 and sum(c.isupper() for c in letters) >= 0.85 * len(letters)


def classify(line: str, prev_blank: bool, next_blank: bool) -> _Heading | None:
    """A heading when ``line`` (not a table row) is one of the document's headings."""
    s = line.strip()
    if not s or "\t" in line:
        return None
    m = _MD_HEADING.match(s)
    if m:
        text, level = m.group(2), len(m.group(1))
        hid = _ID_SUFFIX.search(text)
        return _Heading(_ID_SUFFIX.sub("", text), level, hid.group(1) if hid else None)
    words = len(_WORD.findall(s))
    if words == 0 or words > MAX_HEADING_WORDS or BULLET.match(s) or re.search(r"https?://|www\.|@", s):
        return None
    m = _BOLD_LINE.match(s)
    if m and "**" not in m.group("t") and not sentence_end(m.group("t")):
        return _Heading(s)
    m = _NUMBERED.match(s)
    if (
        m
        and not sentence_end(s)
        and ";" not in s
        and not re.search(r"\b(?:and|or)$", s)
        and (_caps(m.group("t")) or _is_title_like(m.group("t")))
        and m.group("t")[0].isupper()
    ):
        number = m.group("n").rstrip(".)")
        depth = number.count(".") + 1 if number[:1].isdigit() else 1
        return _Heading(s, min(2 + depth - 1, 4))
    if _caps(s) and not sentence_end(s):
        return _Heading(s)
    if (
        prev_blank
        and next_blank
        and s[0].isupper()
        and not sentence_end(s)
        and words <= 10
        and len(s) <= 90
        and _is_title_like(s)
    ):
        return _Heading(s)
    return None


def _split_row(line: str) -> tuple[str, str] | None:
    """(label, value) for a table row: a short label, a tab, and a value that is not just a
    page number (a table of contents is not a table of sections)."""
    if "\t" not in line:
        return None
    label, value = line.split("\t", 1)
    if "\t" in value.strip():  # three or more columns: a grid, not a table of sections
        return None
    label, value = " ".join(label.split()), value.strip()
    if len(label.split()) > MAX_HEADING_WORDS or BULLET.match(label):
        return None
    if label and (not value or re.fullmatch(r"[\dIVXLCivxlc.\s-]+", value)):
        return None
    if label and not any(c.isalpha() for c in label):
        return None
    return label, value


def structure(lines: list[str]) -> list[tuple[_Heading | None, list[str]]]:
    """The document as (heading, body lines) pairs; the first heading is None when text
    comes before any heading."""
    out: list[tuple[_Heading | None, list[str]]] = [(None, [])]
    i, n = 0, len(lines)
    in_table = False
    labelled = False  # the previous table row had a label
    joined = False  # ... and continued a wrapped label
    list_item = False  # the last value line was (part of) a list item
    while i < n:
        raw = lines[i].rstrip()
        heading, body = out[-1]
        row = _split_row(raw)
        if row is not None and (row[0] or in_table):
            label, value = row
            # a label wrapped over rows: its value continues an unfinished sentence, or it
            # follows a wrapped label straight away with the next item of the same list
            last = next((b for b in reversed(body) if b.strip()), "")
            unfinished = bool(last) and not last.rstrip().endswith((".", ";", ":", "!", "?"))
            wraps = (
                heading is not None
                and heading.table
                and bool(label)
                and ((value[:1].islower() and unfinished) or (joined and labelled and bool(BULLET.match(value))))
            )
            if label and not wraps:
                out.append((_Heading(label, 2, table=True), []))
                body = out[-1][1]
                list_item = False
                joined = False
            elif label:
                heading.text += " " + label
                joined = True
            else:
                joined = False
            labelled = bool(label)
            in_table = True
            if value:
                list_item = _add_value(body, value, list_item)
            i += 1
            continue
        if not raw.strip():
            body.append("")
            labelled = joined = False
            i += 1
            continue
        in_table = labelled = joined = False
        prev_blank = i == 0 or not lines[i - 1].strip() or (not body and heading is not None)
        # a bold heading broken over two lines ("**SUBJECT  \nPeer Support Services**")
        if (
            raw.lstrip().startswith(("**", "__"))
            and raw.count("**") + raw.count("__") == 1
            and i + 1 < n
            and lines[i + 1].rstrip().endswith(("**", "__"))
            and "\t" not in lines[i + 1]
        ):
            both = f"{raw.strip()} {lines[i + 1].strip()}"
            if _BOLD_LINE.match(both) and len(_WORD.findall(both)) <= MAX_HEADING_WORDS:
                out.append((_Heading(both), []))
                i += 2
                continue
        next_blank = i + 1 >= n or not lines[i + 1].strip()
        found = classify(raw, prev_blank, next_blank)
        if found is not None:
            # consecutive ALL-CAPS lines are one heading broken over lines
            if (
                heading is not None
                and not body
                and i > 0
                and lines[i - 1].strip()
                and not heading.table
                and heading.id is None
                and _caps(heading.text)
                and _caps(found.text)
                and not _MD_HEADING.match(raw.strip())
                and len(_WORD.findall(heading.text + " " + found.text)) <= MAX_HEADING_WORDS + 3
            ):
                heading.text += " " + found.text
            else:
                out.append((found, []))
            i += 1
            continue
        body.append(raw)
        i += 1
    return out


def _add_value(body: list[str], value: str, list_item: bool) -> bool:
    """Append a table row's value to a section body; returns whether it is in a list item."""
    bullet = BULLET.match(value)
    if bullet and value[bullet.end() :].strip():
        body.append("- " + value[bullet.end() :].strip())
        return True
    if list_item and value[:1].islower():
        body.append("  " + value)
        return True
    last = next((b for b in reversed(body) if b.strip()), "")
    if last and last.rstrip().endswith((".", "!", "?", ":")) and value[:1].isupper() and body[-1].strip():
        body.append("")
    body.append(value)
    return False


def slug(title: str) -> str:
    plain = normalise(title).rstrip(":").strip()
    plain = _ENUM.sub("", plain) or plain
    out = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
    if len(out) > 60:
        out = out[:60].rsplit("-", 1)[0]
    return out


def render(parts: list[tuple[_Heading | None, list[str]]]) -> str:
    ids: set[str] = set()
    chunks: list[str] = []
    for n, (heading, body) in enumerate(parts):
        text = "\n".join(body).strip("\n")
        text = re.sub(r"\n{3,}", "\n\n", text)
        if heading is None:
            if text.strip():
                chunks.append(text)
            continue
        base = heading.id or slug(heading.text) or f"section-{n}"
        sid, k = base, 2
        while sid in ids or sid == "opening":
            sid, k = f"{base}-{k}", k + 1
        ids.add(sid)
        title = " ".join(heading.text.split())
        chunks.append(f"{'#' * heading.level} {title} {{#{sid}}}" + (f"\n\n{text}" if text.strip() else ""))
    return "\n\n".join(chunks) + "\n"


# -- the whole import -------------------------------------------------------------------


def front_matter(
    source_id: str,
    title: str,
    program: str,
    file_name: str,
    digest: str,
    jurisdiction: str | None = None,
    issuer: str | None = None,
    aliases: list[str] | None = None,
) -> dict:
    from bot.knowledge.deployment import program_list

    programs = list(program_list(program))
    meta: dict = {"id": source_id, "title": title}
    if issuer:
        meta["issuer"] = issuer
    if jurisdiction:
        meta["jurisdiction"] = jurisdiction
    meta["audience"] = [AUDIENCE[p] for p in programs]
    meta["programs"] = programs
    meta["file"] = file_name
    meta["sha256"] = digest
    meta["imported"] = _dt.date.today().isoformat()
    if aliases:
        meta["aliases"] = list(aliases)
    return meta


def words(text: str) -> collections.Counter:
    return collections.Counter(_WORD.findall(text))


def build(
    path: Path,
    source_id: str,
    title: str,
    program: str,
    jurisdiction: str | None = None,
    issuer: str | None = None,
    aliases: list[str] | None = None,
    progress: Callable[[Iterable, int], Iterable] | None = None,
) -> Imported:
    """Read ``path`` and build the source file's text (not written). Raises ImportRefused."""
    path = Path(path)
    if not ID_PATTERN.match(source_id or ""):
        raise ImportRefused(f"bad id {source_id!r}: use lower-case letters, digits and dashes (e.g. agency-handbook)")
    if not (title or "").strip() or "---" in title:
        raise ImportRefused("give the document's title with --title (without '---')")
    document = read_document(path, progress)
    parts = structure(document.lines)
    body = render(parts)
    expected = words(re.sub(r"\{#[a-z0-9-]+\}", "", "\n".join(document.lines)))
    got = words(re.sub(r"\{#[a-z0-9-]+\}", "", body))
    if expected != got:  # a bug guard: the import must keep every word
        missing = list((expected - got).elements())[:5]
        extra = list((got - expected).elements())[:5]
        raise ImportRefused(
            f"{path.name}: the import would not keep the text verbatim (missing {missing}, "
            f"added {extra}); please report this document"
        )
    if not sum(expected.values()):
        raise ImportRefused(f"{path.name}: no text found in the document")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    meta = front_matter(source_id, title.strip(), program, path.name, digest, jurisdiction, issuer, aliases)
    markdown = "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=100) + "---\n\n" + body
    source = parse_source(markdown, source_id)
    ids = [s.id for s in source.sections]
    if len(ids) != len(set(ids)):  # pragma: no cover - render() makes ids unique
        raise ImportRefused(f"{path.name}: duplicate section ids")
    return Imported(markdown, source, sum(expected.values()), document)
