"""Reading an agency's policy document into lines of text, for the importer
(bot/knowledge/importer.py): Markdown and plain text as they are, PDF with pypdf (bold
or larger lines kept as headings, two-column table pages as label/value rows, page
numbers dropped, scans refused), Word with python-docx (heading styles, bold
paragraphs, two-column tables as label/value rows).
"""

from __future__ import annotations

import collections
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from bot.knowledge.sources import normalise

SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".text": "text", ".pdf": "pdf", ".docx": "docx"}
MAX_HEADING_WORDS = 12
BULLET = re.compile(r"^\s*(?:[•●▪◦‣∙·]|[-*+](?=\s))\s*")
_PAGE_NUMBER = re.compile(r"^\s*(?:-\s*)?(?:page\s+)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?(?:\s*-)?\s*$", re.I)


def sentence_end(text: str) -> bool:
    return text.rstrip().endswith((".", ",", ";"))


class ImportRefused(ValueError):
    """Bad input for an import, with a one-line reason for the user."""


@dataclass
class Document:
    """A document read into lines of text (table rows as ``label<TAB>value``)."""

    lines: list[str]
    kind: str
    pages: int | None = None
    notes: list[str] = field(default_factory=list)


def read_document(path: Path, progress: Callable[[Iterable, int], Iterable] | None = None) -> Document:
    path = Path(path)
    if not path.is_file():
        raise ImportRefused(f"no such file: {path}")
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        hint = " (save it as .docx first)" if path.suffix.lower() in (".doc", ".rtf", ".odt") else ""
        raise ImportRefused(
            f"unsupported file type {path.suffix or '(none)'!r}{hint}: " f"use .md, .txt, .pdf or .docx"
        )
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
    if kind == "markdown" and text.startswith("---\n"):  # front matter is not policy text
        end = text.find("\n---", 4)
        if end != -1:
            text = text[end + 4 :].lstrip("\n")
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
            raise ImportRefused(
                f"{path.name}: cannot read the text of page {number} " f"({type(exc).__name__}: {exc})"
            ) from None
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
        raise ImportRefused(
            f"{path.name} has no text layer (a scanned PDF?): PeerScope quotes documents word "
            f"for word, so it needs the text; run it through OCR (e.g. ocrmypdf) first"
        )
    return Document(lines, "pdf", pages=len(pages), notes=["read as a two-column table"] if table_col else [])


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
        if 2 <= c < len(line) and line[c] != " " and line[c - 2 : c] == "  ":
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
                lines.append("")  # a paragraph after a list is not part of its last item
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
        return [("- " if not BULLET.match(text) else "") + text]
    runs = [r for r in p.runs if r.text.strip()]
    if runs and all(r.bold for r in runs) and len(text.split()) <= MAX_HEADING_WORDS and not sentence_end(text):
        return ["", f"**{text}**", ""]
    return [text, ""]


def _docx_table(table) -> list[str]:
    out = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:  # a merged cell is returned once per grid column it spans
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
