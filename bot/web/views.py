"""Page helpers that are not HTTP: the template environment, a note split into
highlighted spans, and the insights page as HTML (shared with the weekly report)."""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"


@functools.lru_cache(maxsize=1)
def templates():
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("bot.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda v: "-" if v is None else f"{v}%"
    return env


def render(name: str, **context) -> str:
    return templates().get_template(name).render(**context)


def stylesheet() -> str:
    return (STATIC_DIR / "style.css").read_text()


def note_segments(text: str, flags) -> list[dict]:
    """The note as consecutive pieces, each with the numbers (1-based, in note order) and
    categories of the flags covering it; overlapping flags split the text at every edge."""
    edges = {0, len(text)}
    for flag in flags:
        edges.update((max(0, min(flag.start, len(text))), max(0, min(flag.end, len(text)))))
    cuts = sorted(edges)
    pieces = []
    for start, end in zip(cuts, cuts[1:]):
        covering = [(n, f) for n, f in enumerate(flags, 1) if f.start <= start and end <= f.end and f.start < f.end]
        pieces.append(
            {
                "text": text[start:end],
                "flags": [n for n, _ in covering],
                "categories": sorted({f.category for _, f in covering}),
                "statuses": sorted({f.status.value for _, f in covering}),
            }
        )
    return pieces


def insights_page(data, *, standalone: bool, today: date | None = None, **context) -> str:
    """The insights page (``standalone``: one self-contained file, the weekly report)."""
    from bot.store import insights as ins
    from bot.web import charts

    svgs = {name: charts.safe_svg(svg) for name, svg in charts.all_charts(data, "svg").items()}
    return render(
        "insights.html",
        data=data,
        charts=svgs,
        figures=data.figures(),
        weekly=ins.weekly_rows(data),
        peers=ins.peer_rows(data),
        decisions=ins.decision_rows(data),
        standalone=standalone,
        css=stylesheet() if standalone else None,
        today=today,
        **context,
    )


def html_response(text: str):
    from sanic import response

    return response.html(text)
