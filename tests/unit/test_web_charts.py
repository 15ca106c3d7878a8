"""The insights charts: drawn for empty and filled data, names escaped in the SVG."""

from __future__ import annotations

from collections import Counter
from datetime import date

from bot.store.insights import Insights, week_of
from bot.web import charts
from bot.web.views import note_segments

WEEK = week_of(date(2026, 11, 20))


def _data(name: str = "Pat Lee (#4)") -> Insights:
    data = Insights(start=date(2026, 11, 1), end=date(2026, 11, 29), scope="your team")
    data.categories, data.weeks = ["transport"], [WEEK]
    data.by_week = {(WEEK, "transport"): 2}
    data.by_peer = {name: Counter(transport=2)}
    data.decisions = {"transport": Counter(confirmed=1, dismissed=1)}
    data.topics = [("transport-rides", 3)]
    data.plan_counts = Counter(due=1, overdue=2)
    data.quiz = [{"name": name, "attempts": 1, "best": 91, "latest": 91, "passed": True}]
    return data


def test_every_chart_draws_with_and_without_data():
    for data in (Insights(start=date(2026, 11, 1), end=date(2026, 11, 29), scope="your team"), _data()):
        svgs = charts.all_charts(data)
        assert set(svgs) == {"by_week", "by_peer", "decisions", "topics", "plans", "quiz"}
        assert all(svg.startswith("<svg") and "<?xml" not in svg for svg in svgs.values())
    assert all(png.startswith(b"\x89PNG") for png in charts.all_charts(_data(), "png").values())


def test_names_are_text_in_the_svg_never_markup():
    svg = charts.flags_by_peer(_data("<script>alert(1)</script> $x$ & Co"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and charts.safe_svg(svg) == svg


def test_overlapping_flags_split_the_note_at_every_edge():
    class Flag:
        def __init__(self, start, end, category):
            self.start, self.end, self.category = start, end, category
            self.status = type("S", (), {"value": "open"})()

    text = "Met her. Peer drove member to the pharmacy. Talked."
    flags = [Flag(9, 43, "transport"), Flag(14, 42, "errands")]
    pieces = note_segments(text, flags)
    assert "".join(p["text"] for p in pieces) == text
    assert [(p["text"], p["flags"]) for p in pieces if p["flags"]] == [
        ("Peer ", [1]),
        ("drove member to the pharmacy", [1, 2]),
        (".", [1]),
    ]
