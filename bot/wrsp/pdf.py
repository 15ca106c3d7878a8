"""PDF: the plan laid out to be signed (:func:`to_pdf`), and the one PDF start
(:func:`pdf_document`) the plan export and the weekly report share.

User text is untrusted: with DejaVu Sans (shipped with matplotlib) any Unicode prints;
with the core font every character outside Latin-1 is replaced (:func:`pdf_text`).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any, Mapping

from bot.wrsp.document import change_line, date_label, shown

_PDF_MAP = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u2026": "...",
        "\u2022": "-",
        "\u25cf": "-",
        "\u00a0": " ",
        "\u2009": " ",
        "\u200b": "",
        "\u2192": "->",
        "\u2190": "<-",
        "\u2713": "v",
        "\u2714": "v",
        "\t": " ",
    }
)


def pdf_text(text: Any) -> str:
    """Text the PDF core fonts can draw: Latin-1 kept, typographic punctuation made ASCII,
    accents kept where a Latin-1 letter exists or dropped, anything else becomes "?"."""
    out = []
    for ch in str(text).translate(_PDF_MAP):
        if ch == "\n" or (ord(ch) < 256 and unicodedata.category(ch)[0] != "C"):
            out.append(ch)
            continue
        if unicodedata.category(ch)[0] == "C":
            out.append(" ")
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if ord(c) < 256 and not unicodedata.combining(c))
        out.append(base or "?")
    return "".join(out)


UNICODE_FONT_FILES = {
    "": "DejaVuSans.ttf",
    "B": "DejaVuSans-Bold.ttf",
    "I": "DejaVuSans-Oblique.ttf",
    "BI": "DejaVuSans-BoldOblique.ttf",
}


def unicode_font_dir() -> Path | None:
    """DejaVu Sans, as shipped with matplotlib (installed with Rasa): names in any Latin,
    Greek or Cyrillic script, Vietnamese included, print as typed."""
    try:
        import matplotlib
    except ImportError:
        return None
    path = Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf"
    return path if all((path / name).is_file() for name in UNICODE_FONT_FILES.values()) else None


def _unicode_text(text: Any) -> str:
    return "".join(" " if unicodedata.category(ch)[0] == "C" and ch != "\n" else ch for ch in str(text))


def pdf_document(title: str, margin: float, cls=None):
    """A new Letter-size PDF (fpdf2 ``cls``, default FPDF) with DejaVu Sans when it is there,
    else Helvetica, one page started; returns (pdf, font family, text cleaner for that font).
    The plan export and the weekly report both start here."""
    from fpdf import FPDF

    fonts = unicode_font_dir()
    family, clean = ("DejaVu", _unicode_text) if fonts else ("Helvetica", pdf_text)
    pdf = (cls or FPDF)(format="Letter")
    if fonts:
        for style, name in UNICODE_FONT_FILES.items():
            pdf.add_font(family, style, str(fonts / name))
    pdf.set_title(title)
    pdf.set_auto_page_break(True, margin=margin)
    pdf.add_page()
    return pdf, family, clean


def to_pdf(doc: Mapping) -> bytes:
    """The plan laid out to be signed: sections, numbered goals, signature lines."""
    from fpdf import FPDF

    plan = doc["plan"]
    family = clean = None  # set by pdf_document below, before any footer is drawn

    class PlanPDF(FPDF):
        def footer(self):
            self.set_y(-12)
            self.set_font(family, "", 8)
            self.cell(
                0,
                6,
                clean(
                    f"WRSP plan #{plan['id']} v{plan['version']} for {plan['client_ref']}"
                    f" - page {self.page_no()}/{{nb}}"
                ),
                align="C",
            )

    pdf, family, clean = pdf_document("Wellness and Recovery Service Plan", 18, PlanPDF)
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def write(text: Any, size: float = 10, style: str = "", height: float = 5.5, indent: float = 0) -> None:
        pdf.set_font(family, style, size)
        pdf.set_x(pdf.l_margin + indent)
        pdf.multi_cell(width - indent, height, clean(text), new_x="LMARGIN", new_y="NEXT")

    def heading(text: str, size: float = 13) -> None:
        pdf.ln(3)
        write(text, size, "B", 7)
        pdf.set_draw_color(150, 150, 150)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(1.5)

    def answer(item: Mapping, label: str, indent: float = 0) -> None:
        write(label, 10, "B", indent=indent)
        shown = item["display"]
        for line in shown if isinstance(shown, list) else [shown]:
            write(f"- {line}" if isinstance(shown, list) else line, indent=indent + 4)
        pdf.ln(1)

    write(doc["title"], 16, "B", 8)
    due = doc["due"]
    for label, value in (
        ("Plan for (initials / record no.)", plan["client_ref"]),
        ("Program", plan["program_label"] or "(not answered)"),
        ("Admission date", date_label(plan["admission_date"])),
        ("Plan", f"#{plan['id']}, version {plan['version']}, {plan['status'].replace('_', ' ')}"),
        ("Peer support provider", plan["owner_name"] or f"staff #{plan['owner_id']}"),
        ("Deadline", due["message"]),
    ):
        pdf.set_font(family, "B", 10)
        pdf.cell(62, 5.5, clean(label + ":"))
        pdf.set_font(family, "", 10)
        pdf.multi_cell(width - 62, 5.5, clean(value), new_x="LMARGIN", new_y="NEXT")

    for section in doc["sections"]:
        heading(section["title"])
        for item in section["questions"]:
            answer(item, item["label"].capitalize())
        for goal in section["goals"]:
            write(f"Goal {goal['number']}", 11, "B", 7)
            for item in goal["fields"]:
                label = (
                    "Goal"
                    if item["field"].endswith(".goal")
                    else item["label"].replace(f"goal {goal['number']} ", "").capitalize()
                )
                answer(item, label, indent=4)
    if doc["other_answers"]:
        heading("Other recorded answers")
        for item in doc["other_answers"]:
            answer(item, f"{item['label'].capitalize()} ({item['field']})")

    if pdf.get_y() > pdf.h - 75:  # keep the signature block on one page
        pdf.add_page()
    heading("Signatures and clinical sign-off")
    write(
        "The individual/parent signs to show they took part in planning; a refusal to sign, and why, "
        "is noted above. The clinical consultant reviews and signs off the plan.",
        9,
        "I",
    )
    pdf.ln(4)
    signoff = doc["signoff"]
    rows = [
        ("Individual / parent", None),
        ("Peer support provider", plan["owner_name"]),
        (
            "Clinical consultant",
            f"{signoff['name']} ({signoff['role']}), signed off " f"{shown(signoff['at'])[:10]}" if signoff else None,
        ),
    ]
    for role, note in rows:
        pdf.ln(8)
        y = pdf.get_y()
        pdf.set_draw_color(0, 0, 0)
        pdf.line(pdf.l_margin, y, pdf.l_margin + 110, y)
        pdf.line(pdf.l_margin + 125, y, pdf.w - pdf.r_margin, y)
        pdf.set_font(family, "", 9)
        pdf.cell(125, 5, clean(role + (f": {note}" if note else "")))
        pdf.cell(0, 5, "Date", new_x="LMARGIN", new_y="NEXT")
    if signoff and signoff.get("content_sha256"):
        pdf.ln(4)
        write(f"Attested: {signoff.get('attestation', '')} Signed content SHA-256: {signoff['content_sha256']}", 8, "I")
    heading("Audit appendix: answer changes", 11)
    for item in doc.get("history") or []:
        write(change_line(item), 8)
    if not doc.get("history"):
        write("No answer was changed.", 8)
    return bytes(pdf.output())
