"""The insights charts, drawn on the server with matplotlib: SVG for the page and the
HTML report, PNG for the PDF report. Each chart is drawn from the same rows the tables
beside it show (bot.store.insights)."""

from __future__ import annotations

import io
import re

from bot.store import insights as ins

COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update(
        {
            "svg.fonttype": "none",
            "svg.hashsalt": "peerscope",
            "font.size": 9,
            "text.usetex": False,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    import matplotlib.pyplot as plt

    return plt


def _label(text: str) -> str:
    """A label matplotlib draws as typed (no mathtext)."""
    return str(text).replace("$", r"\$")


def _finish(fig, fmt: str) -> str | bytes:
    from matplotlib.ticker import MaxNLocator

    plt = _pyplot()
    for ax in fig.axes:  # counts are whole numbers
        if ax.get_xlabel() in ("flags", "questions"):
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if ax.get_ylabel() in ("flags", "plans"):
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format=fmt, dpi=110, metadata={"Date": None} if fmt == "svg" else None)
    plt.close(fig)
    data = buffer.getvalue()
    if fmt != "svg":
        return data
    text = data.decode("utf-8")
    return text[text.index("<svg") :]  # inline: no XML prolog or doctype


def _empty(ax, message: str = "nothing in this range") -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="#666666")
    ax.set_xticks([])
    ax.set_yticks([])


def _stacked(ax, labels: list[str], categories: list[str], rows: list[list[int]], horizontal: bool) -> None:
    base = [0] * len(labels)
    positions = list(range(len(labels)))
    for i, category in enumerate(categories):
        values = [row[i] for row in rows]
        if horizontal:
            ax.barh(positions, values, left=base, color=COLORS[i % len(COLORS)], label=_label(category))
        else:
            ax.bar(positions, values, bottom=base, color=COLORS[i % len(COLORS)], label=_label(category))
        base = [b + v for b, v in zip(base, values)]
    if horizontal:
        ax.set_yticks(positions, [_label(x) for x in labels])
        ax.invert_yaxis()
    else:
        ax.set_xticks(positions, [_label(x) for x in labels], rotation=30, ha="right")
    ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))


def flags_by_week(data: ins.Insights, fmt: str = "svg"):
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 3.0))
    rows = ins.weekly_rows(data)
    if data.flag_total:
        _stacked(ax, [r[0] for r in rows], data.categories, [r[1] for r in rows], horizontal=False)
        ax.set_ylabel("flags")
    else:
        _empty(ax)
    ax.set_title("Flags per category per week (week starting)")
    return _finish(fig, fmt)


def flags_by_peer(data: ins.Insights, fmt: str = "svg"):
    plt = _pyplot()
    rows = ins.peer_rows(data)
    fig, ax = plt.subplots(figsize=(6.4, 0.8 + 0.35 * max(len(rows), 2)))
    if rows:
        _stacked(ax, [r[0] for r in rows], data.categories, [r[1] for r in rows], horizontal=True)
        ax.set_xlabel("flags")
    else:
        _empty(ax)
    ax.set_title("Flags per peer")
    return _finish(fig, fmt)


def decisions(data: ins.Insights, fmt: str = "svg"):
    plt = _pyplot()
    rows = ins.decision_rows(data)
    fig, ax = plt.subplots(figsize=(6.4, 3.0))
    if rows:
        positions = list(range(len(rows)))
        ax.bar([p - 0.2 for p in positions], [r[1] for r in rows], width=0.4, color="#2ca02c", label="confirmed")
        ax.bar([p + 0.2 for p in positions], [r[2] for r in rows], width=0.4, color="#d62728", label="dismissed")
        ax.set_xticks(positions, [_label(r[0]) for r in rows], rotation=30, ha="right")
        ax.set_ylabel("flags")
        ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    else:
        _empty(ax)
    ax.set_title("Confirmed vs dismissed flags per category")
    return _finish(fig, fmt)


def topics(data: ins.Insights, fmt: str = "svg"):
    plt = _pyplot()
    rows = data.topics
    fig, ax = plt.subplots(figsize=(6.4, 0.8 + 0.3 * max(len(rows), 2)))
    if rows:
        ax.barh(range(len(rows)), [n for _, n in rows], color="#1f77b4")
        ax.set_yticks(range(len(rows)), [_label(t) for t, _ in rows])
        ax.invert_yaxis()
        ax.set_xlabel("questions")
    else:
        _empty(ax)
    ax.set_title("Most-asked policy topics")
    return _finish(fig, fmt)


def plans(data: ins.Insights, fmt: str = "svg"):
    plt = _pyplot()
    labels = ["due", "overdue", "signed", "ok"]
    fig, ax = plt.subplots(figsize=(6.4, 2.6))
    values = [data.plan_counts[k] for k in labels]
    if any(values):
        ax.bar(labels, values, color=["#ff7f0e", "#d62728", "#2ca02c", "#7f7f7f"])
        ax.set_ylabel("plans")
    else:
        _empty(ax, "no plans")
    ax.set_title("WRSP plans: due, overdue, signed in range, on track")
    return _finish(fig, fmt)


def quiz(data: ins.Insights, fmt: str = "svg"):
    plt = _pyplot()
    rows = [q for q in data.quiz if q["best"] is not None]
    fig, ax = plt.subplots(figsize=(6.4, 0.8 + 0.35 * max(len(rows), 2)))
    if rows:
        ax.barh(range(len(rows)), [q["best"] for q in rows], color="#9467bd")
        ax.set_yticks(range(len(rows)), [_label(q["name"]) for q in rows])
        ax.invert_yaxis()
        ax.axvline(80, color="#333333", linestyle="--", linewidth=1)
        ax.set_xlim(0, 100)
        ax.set_xlabel("best quiz score (%); dashed: pass mark")
    else:
        _empty(ax, "no finished quiz yet")
    ax.set_title("Onboarding quiz scores")
    return _finish(fig, fmt)


CHARTS = (
    ("by_week", flags_by_week),
    ("by_peer", flags_by_peer),
    ("decisions", decisions),
    ("topics", topics),
    ("plans", plans),
    ("quiz", quiz),
)


def all_charts(data: ins.Insights, fmt: str = "svg") -> dict:
    return {name: draw(data, fmt) for name, draw in CHARTS}


_SCRIPT = re.compile(r"<\s*script", re.I)


def safe_svg(svg: str) -> str:
    """Matplotlib's SVG escapes its text; refuse anything that would run in the page."""
    if _SCRIPT.search(svg):
        raise ValueError("unexpected script in a chart")
    return svg
