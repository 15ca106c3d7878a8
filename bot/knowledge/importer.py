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

A PDF without a text layer (a scan) is refused: PeerScope quotes documents word for
word and cannot quote an image. Page numbers alone on the first or last line of a PDF
page are dropped (they are not policy text and would split quotes).
"""

from __future__ import annotations

import collections
import datetime as _dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import yaml

from bot.knowledge.sources import Source, normalise, parse_source

SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".text": "text", ".pdf": "pdf",
            ".docx": "docx"}
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
AUDIENCE = {"adult": "adult peers", "family": "family peer supporters"}
MAX_HEADING_WORDS = 12
_BULLET = re.compile(r"^\s*(?:[•●▪◦‣∙·]|[-*+](?=\s))\s*")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_ID_SUFFIX = re.compile(r"\s*\{#([a-z0-9][a-z0-9-]*)\}\s*$")
_BOLD_LINE = re.compile(r"^(?:\*\*|__)(?P<t>[^*_].*?)(?:\*\*|__)\s*:?\s*$")
_NUMBERED = re.compile(r"^(?:(?:section|article|chapter|part)\s+)?(?P<n>\d+(?:\.\d+)*\.?|\d+\)|[IVXLC]+[.)]|[A-Z][.)])"
                       r"\s+(?P<t>\S.*)$", re.I)
_ENUM = re.compile(r"^(?:(?:section|article|chapter|part)\s+)?(?:\d+(?:\.\d+)*[.)]?|[IVXLC]+[.)]|[A-Z][.)])\s+", re.I)
_PAGE_NUMBER = re.compile(r"^\s*(?:-\s*)?(?:page\s+)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?(?:\s*-)?\s*$", re.I)
_WORD = re.compile(r"[A-Za-z0-9]+")


class ImportRefused(ValueError):
    """Bad input for an import, with a one-line reason for the user."""


@dataclass
class Document:
    """A document read into lines of text (table rows as ``label<TAB>value``)."""
    lines: list[str]
    kind: str
    pages: int | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Imported:
    markdown: str
    source: Source
    words: int
    document: Document

    @property
    def sections(self):
        return self.source.sections


# -- reading ----------------------------------------------------------------------------

def read_document(path: Path, progress: Callable[[Iterable, int], Iterable] | None = None) -> Document:
    path = Path(path)
    if not path.is_file():
        raise ImportRefused(f"no such file: {path}")
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        hint = " (save it as .docx first)" if path.suffix.lower() in (".doc", ".rtf", ".odt") else ""
        raise ImportRefused(f"unsupported file type {path.suffix or '(none)'!r}{hint}: "
                            f"use .md, .txt, .pdf or .docx")
    if kind in ("markdown", "text"):
        return Document(_read_text(path, kind).split("\n"), kind)
    if kind == "pdf":
        return read_pdf(path, progress)
    return read_docx(path)


def _read_text(path: Path, kind: str) -> str:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes almost anything
        raise ImportRefused(f"{path.name}: not a text file (unknown encoding)")
    if "\x00" in text:
        raise ImportRefused(f"{path.name}: not a text file")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if kind == "markdown" and text.startswith("---\n"):   # front matter is not policy text
        end = text.find("\n---", 4)
        if end != -1:
            text = text[end + 4:].lstrip("\n")
    return text


def read_pdf(path: Path, progress=None) -> Document:
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ImportRefused(f"{path.name}: the PDF is password-protected; save an unprotected copy first")
        pages = list(reader.pages)
    except ImportRefused:
        raise
    except Exception as exc:  # pypdf's errors for damaged or unsupported files
        raise ImportRefused(f"{path.name}: not a readable PDF ({exc})") from None
    if not pages:
        raise ImportRefused(f"{path.name}: the PDF has no pages")
    table_col = _pdf_table_column(pages[:3])
    lines: list[str] = []
    chars = 0
    for number, page in enumerate(progress(pages, len(pages)) if progress else pages, 1):
        try:
            page_lines = _pdf_table_page(page, table_col) if table_col else _pdf_text_page(page)
        except Exception as exc:  # a damaged page: say which, rather than a traceback
            raise ImportRefused(f"{path.name}: cannot read the text of page {number} "
                                f"({type(exc).__name__}: {exc})") from None
        while page_lines and not page_lines[0].strip():
            page_lines.pop(0)
        while page_lines and not page_lines[-1].strip():
            page_lines.pop()
        if page_lines and _PAGE_NUMBER.match(page_lines[-1]):
            page_lines.pop()
        if page_lines and _PAGE_NUMBER.match(page_lines[0]):
            page_lines.pop(0)
        chars += sum(len(x.strip()) for x in page_lines)
        lines += page_lines
    if chars < max(40, 10 * len(pages)):
        raise ImportRefused(f"{path.name} has no text layer (a scanned PDF?): PeerScope quotes documents word "
                            f"for word, so it needs the text; run it through OCR (e.g. ocrmypdf) first")
    return Document(lines, "pdf", pages=len(pages),
                    notes=["read as a two-column table"] if table_col else [])


_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi|,b\b|-bd\b", re.I)


def _pdf_text_page(page) -> list[str]:
    """The page's lines in reading order; lines set in bold (or a larger font than the
    page's body text) are marked ``**...**`` so they are read as headings."""
    chunks: dict[float, list[tuple[str, bool, float]]] = collections.defaultdict(list)

    def visit(text, cm, tm, font, size):
        if text and text.strip():
            y = round(float(tm[5]) * float(cm[3] or 1) + float(cm[5]), 0)
            name = str((font or {}).get("/BaseFont", ""))
            chunks[y].append((text, bool(_BOLD_FONT.search(name)), float(size or 0) * abs(float(tm[3] or 1))))

    text = page.extract_text(visitor_text=visit) or ""
    sizes = collections.Counter()
    for parts in chunks.values():
        for t, _, size in parts:
            sizes[round(size, 1)] += len(t)
    body = sizes.most_common(1)[0][0] if sizes else 0.0
    marked = set()
    for parts in chunks.values():
        line = normalise(" ".join(t for t, _, _ in parts))
        if not line or len(line.split()) > MAX_HEADING_WORDS:
            continue
        if all(b for _, b, _ in parts) or (body and min(s for _, _, s in parts) >= 1.15 * body):
            marked.add(line)
    # where each line sits, to turn wider gaps between lines into paragraph breaks
    where: dict[str, list[float]] = collections.defaultdict(list)
    for y in sorted(chunks, reverse=True):
        where[normalise(" ".join(t for t, _, _ in chunks[y]))].append(y)
    ys = sorted(chunks, reverse=True)
    gaps = sorted(a - b for a, b in zip(ys, ys[1:]) if a - b > 0)
    usual = gaps[len(gaps) // 2] if gaps else 0.0
    out: list[str] = []
    last_y = None
    for line in text.split("\n"):
        line = re.sub(r"[ \t]{2,}", " ", line).strip()
        key = normalise(line)
        y = where[key].pop(0) if where.get(key) else None
        if y is not None and last_y is not None and usual and last_y - y > 1.4 * usual and out and out[-1]:
            out.append("")
        if y is not None:
            last_y = y
        if line and key in marked and not line.startswith("**"):
            line = f"**{line}**"
        out.append(line)
    return out


def _pdf_layout(page) -> list[str]:
    try:
        return (page.extract_text(extraction_mode="layout") or "").split("\n")
    except Exception:  # layout mode is newer and stricter; fall back to reading as text
        return []


def _pdf_table_column(pages) -> int | None:
    """The character column where a label/value table's values start, when the first pages
    are laid out that way (most lines start there, or have a label before it)."""
    lines = [x.rstrip() for p in pages for x in _pdf_layout(p) if x.strip()]
    if len(lines) < 5:
        return None
    indents = collections.Counter(len(x) - len(x.lstrip()) for x in lines)
    candidates = [c for c, n in indents.most_common(3) if c >= 8]
    for col in candidates:
        fits = sum(1 for x in lines if _row_at(x, col) is not None)
        if fits >= 0.8 * len(lines):
            return col
    return None


def _row_at(line: str, col: int) -> tuple[str, str] | None:
    """(label, value) when ``line`` has its value starting at ``col`` (2 characters either
    way): text only in the value column is a continuation row (label "")."""
    indent = len(line) - len(line.lstrip())
    if indent >= col - 2:
        return "", line.strip()
    for c in range(col - 2, col + 3):
        if 2 <= c < len(line) and line[c] != " " and line[c - 2:c] == "  ":
            label = line[:c].strip()
            if label and len(label.split()) <= MAX_HEADING_WORDS:
                return label, line[c:].strip()
    return None


def _pdf_table_page(page, col: int) -> list[str]:
    out = []
    for line in _pdf_layout(page):
        if not line.strip():
            continue
        row = _row_at(line.rstrip(), col)
        if row is None:
            out.append(re.sub(r" {2,}", " ", line.strip()))
            continue
        label, value = row
        out.append(f"{re.sub(r' {2,}', ' ', label)}\t{re.sub(r' {2,}', ' ', value)}")
    return out


def read_docx(path: Path) -> Document:
    from docx import Document as open_docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        doc = open_docx(str(path))
    except Exception as exc:  # python-docx raises several kinds for a file that is not .docx
        raise ImportRefused(f"{path.name}: not a readable Word (.docx) file ({type(exc).__name__})") from None
    lines: list[str] = []
    in_list = False
    for block in doc.iter_inner_content():
        if isinstance(block, Paragraph):
            got = _docx_paragraph(block)
            item = len(got) == 1 and got[0].startswith("- ")
            if in_list and not item:
                lines.append("")   # a paragraph after a list is not part of its last item
            in_list = item
            lines += got
        elif isinstance(block, Table):
            lines += ["", *_docx_table(block), ""]
            in_list = False
    return Document(lines, "docx")


def _docx_paragraph(p) -> list[str]:
    text = p.text.replace("\t", " ").strip()
    if not text:
        return [""]
    style = (p.style.name if p.style is not None else "") or ""
    low = style.lower()
    level = re.search(r"heading\s*(\d)", low)
    if level:
        return ["", "#" * min(6, int(level.group(1)) + 1) + " " + text, ""]
    if low == "title":
        return ["", "# " + text, ""]
    numbered = p._p.pPr is not None and p._p.pPr.numPr is not None
    if "list" in low or numbered:
        return [("- " if not _BULLET.match(text) else "") + text]
    runs = [r for r in p.runs if r.text.strip()]
    if runs and all(r.bold for r in runs) and len(text.split()) <= MAX_HEADING_WORDS and not _sentence_end(text):
        return ["", f"**{text}**", ""]
    return [text, ""]


def _docx_table(table) -> list[str]:
    out = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:   # a merged cell is returned once per grid column it spans
            if id(cell._tc) not in seen:
                seen.add(id(cell._tc))
                cells.append(cell)
        texts = [c.text.strip() for c in cells]
        if len(cells) == 2:
            label = " ".join(texts[0].split())
            values = [v.strip() for v in texts[1].split("\n")] or [""]
            out.append(f"{label}\t{values[0]}")
            out += [f"\t{v}" for v in values[1:] if v]
        elif any(texts):
            out.append(" | ".join(" ".join(t.split()) for t in texts))
    return out


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


def _sentence_end(text: str) -> bool:
    return text.rstrip().endswith((".", ",", ";"))


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
    if words == 0 or words > MAX_HEADING_WORDS or _BULLET.match(s) or re.search(r"https?://|www\.|@", s):
        return None
    m = _BOLD_LINE.match(s)
    if m and "**" not in m.group("t") and not _sentence_end(m.group("t")):
        return _Heading(s)
    m = _NUMBERED.match(s)
    if m and not _sentence_end(s) and ";" not in s and not re.search(r"\b(?:and|or)$", s) and (_caps(m.group("t")) or _is_title_like(m.group("t"))) \
            and m.group("t")[0].isupper():
        number = m.group("n").rstrip(".)")
        depth = number.count(".") + 1 if number[:1].isdigit() else 1
        return _Heading(s, min(2 + depth - 1, 4))
    if _caps(s) and not _sentence_end(s):
        return _Heading(s)
    if prev_blank and next_blank and s[0].isupper() and not _sentence_end(s) and words <= 10 \
            and len(s) <= 90 and _is_title_like(s):
        return _Heading(s)
    return None


def _split_row(line: str) -> tuple[str, str] | None:
    """(label, value) for a table row: a short label, a tab, and a value that is not just a
    page number (a table of contents is not a table of sections)."""
    if "\t" not in line:
        return None
    label, value = line.split("\t", 1)
    if "\t" in value.strip():   # three or more columns: a grid, not a table of sections
        return None
    label, value = " ".join(label.split()), value.strip()
    if len(label.split()) > MAX_HEADING_WORDS or _BULLET.match(label):
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
    labelled = False          # the previous table row had a label
    joined = False            # ... and continued a wrapped label
    list_item = False         # the last value line was (part of) a list item
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
            wraps = heading is not None and heading.table and bool(label) and (
                (value[:1].islower() and unfinished) or (joined and labelled and bool(_BULLET.match(value))))
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
        if raw.lstrip().startswith(("**", "__")) and raw.count("**") + raw.count("__") == 1 and i + 1 < n \
                and lines[i + 1].rstrip().endswith(("**", "__")) and "\t" not in lines[i + 1]:
            both = f"{raw.strip()} {lines[i + 1].strip()}"
            if _BOLD_LINE.match(both) and len(_WORD.findall(both)) <= MAX_HEADING_WORDS:
                out.append((_Heading(both), []))
                i += 2
                continue
        next_blank = i + 1 >= n or not lines[i + 1].strip()
        found = classify(raw, prev_blank, next_blank)
        if found is not None:
            # consecutive ALL-CAPS lines are one heading broken over lines
            if heading is not None and not body and i > 0 and lines[i - 1].strip() and not heading.table \
                    and heading.id is None and \
                    _caps(heading.text) and _caps(found.text) and not _MD_HEADING.match(raw.strip()) and \
                    len(_WORD.findall(heading.text + " " + found.text)) <= MAX_HEADING_WORDS + 3:
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
    bullet = _BULLET.match(value)
    if bullet and value[bullet.end():].strip():
        body.append("- " + value[bullet.end():].strip())
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

def front_matter(source_id: str, title: str, program: str, file_name: str, digest: str,
                 jurisdiction: str | None = None, issuer: str | None = None,
                 aliases: list[str] | None = None) -> dict:
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


def build(path: Path, source_id: str, title: str, program: str, jurisdiction: str | None = None,
          issuer: str | None = None, aliases: list[str] | None = None,
          progress: Callable[[Iterable, int], Iterable] | None = None) -> Imported:
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
        raise ImportRefused(f"{path.name}: the import would not keep the text verbatim (missing {missing}, "
                            f"added {extra}); please report this document")
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
