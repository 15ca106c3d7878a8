"""The five policy documents as structured, citable sources.

Each ``knowledge/sources/<id>.md`` file holds YAML front matter and the document
text verbatim, split into sections by headings of the form
``## Title {#section-id}`` (see knowledge/sources/README.md).

This module is the single place that decides whether a quote is verbatim:
:func:`normalise` and :func:`check_citation` are used by the rules, the note
checker and the tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Mapping

import yaml

SOURCE_IDS = (
    "dbh-service-definition",
    "peer-support-services",
    "sdmi-waiver",
    "cpss-job-description",
    "fps-toolkit",
)

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*\{#([a-z0-9][a-z0-9-]*)\}\s*$")
_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00a0": " ",
    }
)
_ENUM = re.compile(r"^(?:[IVXLC]+|\d+|[A-Z])\.\s+")


def normalise(text: str) -> str:
    """Text for verbatim comparison: straight quotes, no ``**``/``*`` emphasis
    or backslash escapes, whitespace collapsed to single spaces."""
    text = (text or "").translate(_QUOTES)
    text = text.replace("**", "").replace("*", "")
    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!$&])", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def _title_key(title: str) -> str:
    plain = normalise(title).rstrip(":").strip().lower()
    return _ENUM.sub("", plain.upper()).lower() if _ENUM.match(plain.upper()) else plain


@dataclass(frozen=True)
class Citation:
    source: str
    section: str
    quote: str

    def to_dict(self) -> dict:
        return {"source": self.source, "section": self.section, "quote": self.quote}

    @classmethod
    def from_dict(cls, data: Mapping) -> "Citation":
        return cls(str(data.get("source", "")), str(data.get("section", "")), str(data.get("quote", "")))


@dataclass(frozen=True)
class Section:
    id: str
    title: str  # human-readable: the heading without markup or trailing colon
    text: str  # the section's own Markdown body (without sub-sections)
    level: int = 2
    parent: str | None = None

    @property
    def plain(self) -> str:
        return normalise(self.text)


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    audience: tuple[str, ...]
    programs: tuple[str, ...]
    sections: tuple[Section, ...]
    issuer: str | None = None
    jurisdiction: str | None = None
    date: str | None = None
    meta: Mapping = field(default_factory=dict, compare=False, hash=False)

    def section(self, key: str) -> Section | None:
        """A section by id or by title (case-insensitive, enumeration optional)."""
        wanted = _title_key(key)
        for sec in self.sections:
            if key == sec.id or wanted in (_title_key(sec.title), sec.id):
                return sec
        return None

    def children(self, section_id: str) -> list[Section]:
        out, ids = [], {section_id}
        for sec in self.sections:
            if sec.parent in ids:
                out.append(sec)
                ids.add(sec.id)
        return out

    def section_text(self, section: Section, with_subsections: bool = True) -> str:
        """Normalised text of a section, by default including its sub-sections."""
        parts = [section.plain]
        if with_subsections:
            parts += [c.plain for c in self.children(section.id)]
        return " ".join(p for p in parts if p)

    @property
    def plain(self) -> str:
        return " ".join(s.plain for s in self.sections if s.plain)

    def section_of(self, quote: str) -> Section | None:
        """The most specific section whose own text contains ``quote``."""
        q = normalise(quote)
        if not q:
            return None
        for sec in self.sections:
            if q in sec.plain:
                return sec
        return None


def parse_source(text: str, fallback_id: str = "") -> Source:
    meta: dict = {}
    body = text
    if text.startswith("---"):
        _, fm, body = text.split("---", 2)
        meta = yaml.safe_load(fm) or {}
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    # Text before the first heading (if any) becomes an opening section.
    cur: dict | None = {"id": "opening", "title": str(meta.get("title", fallback_id)), "level": 0, "parent": None}
    lines: list[str] = []

    def flush():
        if cur is not None and (cur["id"] != "opening" or "\n".join(lines).strip()):
            sections.append(Section(text="\n".join(lines).strip("\n"), **cur))

    for line in body.split("\n"):
        m = _HEADING.match(line)
        if not m:
            lines.append(line)
            continue
        flush()
        level, raw_title, sid = len(m.group(1)), m.group(2), m.group(3)
        while stack and stack[-1][0] >= level:
            stack.pop()
        title = normalise(raw_title).rstrip(":").strip()
        cur = {"id": sid, "title": title, "level": level, "parent": stack[-1][1] if stack else None}
        stack.append((level, sid))
        lines = []
    flush()
    sid = meta.get("id", fallback_id)
    return Source(
        id=sid,
        title=meta.get("title", sid),
        audience=tuple(meta.get("audience") or ()),
        programs=tuple(meta.get("programs") or ()),
        sections=tuple(sections),
        issuer=meta.get("issuer"),
        jurisdiction=meta.get("jurisdiction"),
        date=str(meta["date"]) if meta.get("date") else None,
        meta=meta,
    )


def _default_root() -> Path:
    from bot.paths import knowledge_dir

    return knowledge_dir() / "sources"


def source_files(root: Path) -> list[Path]:
    return [p for p in sorted(Path(root).glob("*.md")) if p.name.lower() != "readme.md"]


def stamp(root: Path) -> tuple:
    """What changes when a source file is added, removed or edited (names, sizes, times)."""
    out = []
    for path in source_files(root):
        info = path.stat()
        out.append((path.name, info.st_size, info.st_mtime_ns))
    return tuple(out)


@lru_cache(maxsize=8)
def _load(root: Path, _stamp: tuple = ()) -> dict[str, Source]:
    out = {}
    for path in source_files(root):
        src = parse_source(path.read_text(encoding="utf-8"), path.stem)
        out[src.id] = src
    return out


def load_sources(root: Path | None = None) -> dict[str, Source]:
    """All sources by id (cached per directory; re-read when a file there changes)."""
    root = Path(root) if root else _default_root()
    return _load(root, stamp(root))


def check_citation(sources: Mapping[str, Source], citation: Citation | Mapping) -> str | None:
    """None when the quote is verbatim (after :func:`normalise`) in the named
    section of the named source; otherwise a message saying what is wrong."""
    if not isinstance(citation, Citation):
        citation = Citation.from_dict(citation)
    src = sources.get(citation.source)
    if src is None:
        return f"unknown source {citation.source!r} (known: {', '.join(sorted(sources))})"
    quote = normalise(citation.quote)
    if not quote:
        return f"empty quote in citation of {citation.source!r}"
    if quote not in src.plain and not any(quote in src.section_text(s) for s in src.sections):
        return f"quote not found verbatim in {citation.source!r}: {citation.quote[:80]!r}"
    sec = src.section(citation.section)
    if sec is None:
        titles = "; ".join(s.title for s in src.sections)
        return f"no section {citation.section!r} in {citation.source!r} (sections: {titles})"
    if quote not in src.section_text(sec):
        actual = src.section_of(quote)
        where = f"it is in section {actual.title!r}" if actual else "it spans sections"
        return f"quote is in {citation.source!r} but not in section {citation.section!r}; {where}"
    return None


def locate(sources: Mapping[str, Source], source_id: str, quote: str) -> Citation:
    """A Citation for ``quote`` with its section looked up (raises if not verbatim)."""
    sec = sources[source_id].section_of(quote)
    if sec is None:
        raise ValueError(f"quote not found in one section of {source_id}: {quote[:80]!r}")
    return Citation(source_id, sec.title, quote)
