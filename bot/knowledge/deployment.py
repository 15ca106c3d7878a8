"""Which policy sources this deployment answers from, and for which program.

Every source in ``knowledge/sources`` is enabled, for the programs its front matter
names, until someone changes it with ``peerscope knowledge enable|disable``. The
changes live in one small file per deployment, ``$PEERSCOPE_VAR_DIR/sources.yml``
(created on the first change)::

    # Which policy sources this deployment answers from (peerscope knowledge enable|disable).
    sources:
      fps-toolkit: {enabled: false}
      agency-handbook: {enabled: true, programs: [adult]}

Answers (bot/knowledge/engine.py) and note-check citations (bot/notes) use only the
enabled sources: a rule whose every citation is in a disabled source is not answered,
and a citation of a disabled source is never shown.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Mapping

import yaml

FILE_NAME = "sources.yml"
PROGRAMS = ("adult", "family")
HEADER = "# Which policy sources this deployment answers from (peerscope knowledge enable|disable).\n"


@dataclass(frozen=True)
class SourceSetting:
    enabled: bool = True
    programs: tuple[str, ...] | None = None  # None: the programs the source's front matter names


def settings_path() -> Path:
    from bot.paths import var_dir

    return var_dir() / FILE_NAME


def program_list(program: str) -> tuple[str, ...]:
    """``adult`` | ``family`` | ``both`` as the tuple the sources use."""
    if program == "both":
        return PROGRAMS
    if program not in PROGRAMS:
        raise ValueError(f"unknown program {program!r} (adult, family or both)")
    return (program,)


_cache: dict[Path, tuple[tuple, dict]] = {}


def load_settings(path: Path | None = None) -> dict[str, SourceSetting]:
    """The settings file as {source id: SourceSetting} (empty when there is none).
    Re-read only when the file changes."""
    path = Path(path) if path else settings_path()
    try:
        info = path.stat()
    except FileNotFoundError:
        return {}
    stamp = (info.st_mtime_ns, info.st_size)
    hit = _cache.get(path)
    if hit and hit[0] == stamp:
        return hit[1]
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    raw = data.get("sources") or {}
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: 'sources' must be a mapping of source id to settings")
    out = {}
    for sid, item in raw.items():
        item = item or {}
        programs = item.get("programs")
        if programs is not None:
            programs = tuple(programs) if isinstance(programs, (list, tuple)) else program_list(str(programs))
            bad = [p for p in programs if p not in PROGRAMS]
            if bad:
                raise ValueError(f"{path}: {sid}: unknown program {bad[0]!r}")
        out[str(sid)] = SourceSetting(bool(item.get("enabled", True)), programs)
    _cache[path] = (stamp, out)
    return out


def save_settings(settings: Mapping[str, SourceSetting], path: Path | None = None) -> Path:
    path = Path(path) if path else settings_path()
    data = {}
    for sid in sorted(settings):
        s = settings[sid]
        item: dict = {"enabled": s.enabled}
        if s.programs is not None:
            item["programs"] = list(s.programs)
        data[sid] = item
    tmp = path.with_suffix(".tmp")
    tmp.write_text(
        HEADER + yaml.safe_dump({"sources": data}, sort_keys=False, default_flow_style=None), encoding="utf-8"
    )
    tmp.replace(path)
    _cache.pop(path, None)
    return path


def set_source(
    source_id: str, enabled: bool, programs: tuple[str, ...] | None = None, path: Path | None = None
) -> Path:
    """Enable or disable one source (and optionally set its programs); writes the file."""
    settings = dict(load_settings(path))
    old = settings.get(source_id, SourceSetting())
    settings[source_id] = SourceSetting(enabled, programs if programs is not None else old.programs)
    return save_settings(settings, path)


def forget(source_id: str, path: Path | None = None) -> None:
    """Drop a removed source's line from the settings file (if the file exists)."""
    settings = dict(load_settings(path))
    if settings.pop(source_id, None) is not None:
        save_settings(settings, path)


def is_enabled(source_id: str, settings: Mapping[str, SourceSetting] | None = None) -> bool:
    settings = load_settings() if settings is None else settings
    return settings.get(source_id, SourceSetting()).enabled


def enabled_sources(sources: Mapping, settings: Mapping[str, SourceSetting] | None = None) -> dict:
    """The enabled sources, each with the programs this deployment gives it."""
    settings = load_settings() if settings is None else settings
    out = {}
    for sid, src in sources.items():
        s = settings.get(sid, SourceSetting())
        if not s.enabled:
            continue
        out[sid] = replace(src, programs=s.programs) if s.programs is not None else src
    return out


def available_rules(rules: Iterable, source_ids: set[str]) -> list:
    """The rules as this deployment sees them: citations, positions and thresholds of
    sources that are disabled (or missing) dropped. A rule none of whose own citations
    is left is dropped (its verdict rests on documents this deployment does not use).
    Rules citing only enabled sources come back unchanged (the same objects)."""
    out = []
    for rule in rules:
        cited = {c.source for c in rule.all_citations()} | {p.source for p in rule.positions}
        if cited <= source_ids:
            out.append(rule)
            continue
        keep = lambda items: [c for c in items if c.source in source_ids]  # noqa: E731
        if rule.verdict != "not_covered" and not keep(rule.citations):
            continue
        variants = [
            v.copy(update={"citations": keep(v.citations) if v.citations is not None else None}) for v in rule.variants
        ]
        out.append(
            rule.copy(
                update={
                    "citations": keep(rule.citations),
                    "positions": keep(rule.positions),
                    "thresholds": keep(rule.thresholds),
                    "variants": variants,
                }
            )
        )
    return out


def enabled_citations(citations: Iterable) -> tuple:
    """Citations (objects or dicts with ``source``) of enabled sources only: for the note checker."""
    settings = load_settings()
    if not settings:
        return tuple(citations)

    def source(c):
        return c["source"] if isinstance(c, Mapping) else c.source

    return tuple(c for c in citations if settings.get(source(c), SourceSetting()).enabled)
