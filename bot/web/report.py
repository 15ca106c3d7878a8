"""`peerscope report weekly`: the insights page as one file for a supervision meeting.

HTML is the page itself (styles inlined, charts as inline SVG). PDF is drawn with fpdf2
(as the plan export is, with matplotlib's DejaVu font): the same key figures and tables,
and the same charts as PNG images. Both come from one :class:`bot.store.insights.Insights`.
"""

from __future__ import annotations

import io
from datetime import date

from bot.store import insights as ins

FORMATS = ("html", "pdf")


def to_html(data: ins.Insights, today: date | None = None) -> bytes:
    from bot.web.views import insights_page

    return insights_page(data, standalone=True, today=today, me=None, csrf="", supervisor=False).encode("utf-8")


def to_pdf(data: ins.Insights) -> bytes:
    from bot.web import charts
    from bot.wrsp.pdf import pdf_document

    pdf, family, clean = pdf_document("PeerScope supervision insights", 15)
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def heading(text: str, size: float = 12) -> None:
        pdf.ln(2)
        pdf.set_font(family, "B", size)
        pdf.multi_cell(width, 7, clean(text), new_x="LMARGIN", new_y="NEXT")

    def table(header: list[str], rows: list[list]) -> None:
        if not rows:
            pdf.set_font(family, "I", 9)
            pdf.multi_cell(width, 5, "None in this range.", new_x="LMARGIN", new_y="NEXT")
            return
        first = min(70.0, width * 0.4)
        rest = (width - first) / max(len(header) - 1, 1)
        widths = [first] + [rest] * (len(header) - 1)
        pdf.set_font(family, "B", 8)
        for text, w in zip(header, widths):
            pdf.cell(w, 5.5, clean(str(text))[:40], border=1)
        pdf.ln()
        pdf.set_font(family, "", 8)
        for row in rows:
            for value, w in zip(row, widths):
                pdf.cell(w, 5.5, clean(str(value))[:60], border=1)
            pdf.ln()

    def chart(png: bytes) -> None:
        pdf.image(io.BytesIO(png), w=min(width, 160))

    pngs = charts.all_charts(data, "png")
    heading(f"Supervision insights: {data.scope}, {data.start} to {data.end}", 15)
    heading("Key figures")
    table(["Figure", "Value"], [[label, value] for label, value in data.figures()])
    heading("Flags per category per week")
    chart(pngs["by_week"])
    table(["Week of", *data.categories, "Total"], [[w, *c, t] for w, c, t in ins.weekly_rows(data)])
    heading("Flags per peer")
    chart(pngs["by_peer"])
    table(["Peer", *data.categories, "Total"], [[n, *c, t] for n, c, t in ins.peer_rows(data)])
    heading("Confirmed vs dismissed flags")
    chart(pngs["decisions"])
    table(["Category", "Confirmed", "Dismissed", "Not reviewed"], [list(r) for r in ins.decision_rows(data)])
    heading("Most-asked policy topics")
    chart(pngs["topics"])
    table(["Topic (rule)", "Questions"], [[t, n] for t, n in data.topics])
    heading("Unanswered questions (policy gaps)")
    pdf.set_font(family, "", 8)
    for day, question in data.unanswered:
        pdf.multi_cell(width, 4.5, clean(f"{day}: {question}"), new_x="LMARGIN", new_y="NEXT")
    if not data.unanswered:
        table(["Asked", "Question"], [])
    heading("WRSP plans")
    chart(pngs["plans"])
    table(
        ["Plan", "Peer", "Client", "Status", "Due", "Deadline"],
        [
            [
                f"#{p['id']} v{p['version']}",
                p["owner"],
                p["client_ref"],
                p["status"].replace("_", " "),
                p["due_date"] or "unknown",
                p["due_status"],
            ]
            for p in data.plans
        ],
    )
    heading("Onboarding quiz scores")
    chart(pngs["quiz"])
    table(
        ["Peer", "Attempts in range", "Best", "Latest", "Passed"],
        [
            [
                q["name"],
                q["attempts"],
                "-" if q["best"] is None else f"{q['best']}%",
                "-" if q["latest"] is None else f"{q['latest']}%",
                "yes" if q["passed"] else "no",
            ]
            for q in data.quiz
        ],
    )
    return bytes(pdf.output())


def render(data: ins.Insights, fmt: str) -> bytes:
    if fmt == "html":
        return to_html(data)
    if fmt == "pdf":
        return to_pdf(data)
    raise ValueError(f"format must be one of: {', '.join(FORMATS)}")
