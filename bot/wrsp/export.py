"""A plan as Markdown, JSON or PDF.

:func:`document` gathers everything about a plan into one plain dictionary (metadata,
every answer, due dates, sign-off); the three renderers only lay it out and touch no
database. :func:`export_plan` is the one entry point that reads a plan (through
bot.store.wrsp, so the read and the export are audited) and renders it.

User text is untrusted: Markdown output escapes Markdown and HTML, and the PDF uses a
core font with every character outside Latin-1 replaced, so any Unicode is safe.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date, datetime
from pathlib import Path
from typing import Any, Mapping

from bot.wrsp.due import due_status
from bot.wrsp.interview import Interview, Step
from bot.wrsp.schema import Schema, load_schema
from bot.wrsp.validators import format_date

FORMATS = ("md", "json", "pdf")


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def _enum(value: Any) -> Any:
    return getattr(value, "value", value)


def display(step_or_question: Any, value: Any) -> str | list[str]:
    """An answer as a person reads it: dates spelled out, Yes/No, choice labels, lists as lists."""
    question = getattr(step_or_question, "question", step_or_question)
    if value is None:
        return "(not answered)"
    if question.type == "list":
        return [str(i) for i in value] if value else ["None"]
    if question.type == "yes_no":
        return "Yes" if value else "No"
    if question.type == "choice":
        return next((c.label for c in question.choices if c.value == value), str(value))
    if question.type == "date":
        try:
            return format_date(date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    return str(value)


def _program_label(schema: Schema, value: str | None) -> str | None:
    return display(schema.question_for("program"), value) if value else None


def _date_label(value: str | None) -> str:
    return display_date(value) if value else "(not answered)"


def display_date(value: str) -> str:
    try:
        return format_date(date.fromisoformat(str(value)[:10]))
    except ValueError:
        return str(value)


def _item(step: Step) -> dict:
    return {"field": step.field, "label": step.label, "question": step.prompt, "type": step.type,
            "required": step.required, "value": step.value, "display": display(step, step.value)}


def history_items(rows: Any, names: Mapping[int, str], schema: Schema | None = None) -> list[dict]:
    """Answer changes (bot.store.wrsp.history_of) as the export's audit appendix lists them."""
    from bot.settings import show_time

    schema = schema or load_schema()
    out = []
    for row in rows:
        question = schema.question_for(row.field) if schema.is_field(row.field) else None
        out.append({"field": row.field, "label": question.label if question else row.field,
                    "old_value": row.old_value, "new_value": row.new_value,
                    "old": display(question, row.old_value) if question else str(row.old_value),
                    "new": display(question, row.new_value) if question else str(row.new_value),
                    "by_id": row.actor_id, "by": names.get(row.actor_id) if row.actor_id else None,
                    "channel": row.channel, "at": _iso(row.changed_at), "at_shown": show_time(row.changed_at)})
    return out


def document(plan: Any, answers: Mapping[str, Any], *, owner_name: str | None = None,
             signoff: Mapping | None = None, previous: Any = None, today: date | None = None,
             schema: Schema | None = None, history: list[dict] | None = None) -> dict:
    """Everything about a plan as JSON-ready data. ``plan`` is a WrspPlan (or alike);
    ``answers`` its stored answers (bot.store.wrsp.answers_of); ``history`` the answer
    changes (:func:`history_items`), for the audit appendix."""
    from bot.settings import local_today

    schema = schema or load_schema()
    today = today or local_today()
    interview = Interview(schema, answers)
    steps = interview.steps()
    sections = []
    for section in schema.sections:
        entry: dict = {"id": section.id, "title": section.title, "questions": [], "goals": []}
        for step in steps:
            if step.question.section != section.id:
                continue
            if step.goal is None:
                entry["questions"].append(_item(step))
            elif section.repeat and step.question is not section.repeat.another:
                while len(entry["goals"]) < step.goal:
                    entry["goals"].append({"number": len(entry["goals"]) + 1, "fields": []})
                entry["goals"][step.goal - 1]["fields"].append(_item(step))
        sections.append(entry)
    shown = {s.field for s in steps}
    other = []
    for field, value in sorted(answers.items()):
        if field not in shown and schema.is_field(field):
            q = schema.question_for(field)
            other.append({"field": field, "label": q.label, "type": q.type, "value": value,
                          "display": display(q, value)})
    progress = interview.progress()
    return {
        "title": schema.title,
        "schema_version": schema.version,
        "plan": {
            "id": plan.id, "version": plan.version, "previous_id": plan.previous_id,
            "status": _enum(plan.status), "client_ref": plan.client_ref, "program": _enum(plan.program),
            "program_label": _program_label(schema, _enum(plan.program)),
            "admission_date": _iso(plan.admission_date), "owner_id": plan.owner_id, "owner_name": owner_name,
            "created_at": _iso(plan.created_at), "updated_at": _iso(plan.updated_at),
            "completed_at": _iso(plan.completed_at),
        },
        "due": due_status(plan, today, previous=previous, schema=schema).to_dict(),
        "signoff": dict(signoff) if signoff else None,
        "progress": {"answered": progress.answered, "total": progress.total,
                     "missing_required": [s.field for s in progress.missing_required]},
        "sections": sections,
        "other_answers": other,
        "answers": dict(answers),
        "history": list(history or []),
        "policy": {"plan": schema.cite.to_dict(), "deadlines": schema.deadlines.cite.to_dict(),
                   "signoff": schema.signoff.cite.to_dict()},
        "exported_at": datetime.now(_zone()).isoformat(timespec="seconds"),
    }


def _zone():
    from bot.settings import local_zone

    return local_zone()


def _shown(iso: str) -> str:
    """A stored ISO time as people read it, in PEERSCOPE_TIMEZONE."""
    from bot.settings import show_time

    try:
        return show_time(datetime.fromisoformat(iso))
    except (TypeError, ValueError):
        return str(iso)


def _change_line(item: Mapping) -> str:
    def one(value: Any) -> str:
        return "; ".join(value) if isinstance(value, list) else str(value)

    who = item["by"] or (f"staff #{item['by_id']}" if item["by_id"] else "unknown")
    return (f"{item['at_shown']}: {item['label']} changed from \"{one(item['old'])}\" to \"{one(item['new'])}\" "
            f"by {who} ({item['channel'] or 'unknown channel'})")


def signoff_summary(doc: Mapping, width: int = 90) -> str:
    """A plan in a few lines, for the consultant to review before signing in chat: the
    header, then each section's answers (long ones shortened; the export has them whole)."""
    plan = doc["plan"]

    def short(value: Any) -> str:
        text = "; ".join(value) if isinstance(value, list) else str(value)
        text = " ".join(text.split())
        return text if len(text) <= width else text[:width - 1] + "\u2026"

    lines = [f"Plan #{plan['id']} (version {plan['version']}) for {plan['client_ref']}, "
             f"by {plan['owner_name'] or 'staff #' + str(plan['owner_id'])}. {doc['due']['message']}"]
    for section in doc["sections"]:
        items = list(section["questions"]) + [i for g in section["goals"] for i in g["fields"]]
        if items:
            lines.append(f"\n{section['title']}")
            lines += [f"- {item['label'].capitalize()}: {short(item['display'])}" for item in items]
    return "\n".join(lines)


def plan_document(session, actor, plan_id: int, today: date | None = None) -> dict:
    """:func:`document` for a plan the actor may see (the read is audited)."""
    from bot.store import wrsp as store
    from bot.store.models import Staff

    plan = store.read_plan(session, actor, plan_id)
    owner = store.owner_of(session, plan)
    rows = store.history_of(session, plan.id)
    people = (session.get(Staff, i) for i in {r.actor_id for r in rows if r.actor_id})
    names = {m.id: m.name for m in people if m is not None}
    return document(plan, store.answers_of(plan), owner_name=owner.name if owner else None,
                    signoff=store.signoff_of(plan), previous=store.previous_of(session, plan), today=today,
                    history=history_items(rows, names))


# --- JSON ----------------------------------------------------------------------------------


def to_json(doc: Mapping) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2, default=str)


# --- Markdown ------------------------------------------------------------------------------

_MD_PUNCT = re.compile(r"([\\`*_\[\]#|~])")  # inline syntax, anywhere in a line
_MD_LINE_START = re.compile(r"^(\s*(?:\d+)?)([-+=.)])")  # list items ("- ", "1. "), setext underlines


def md_escape(text: Any) -> str:
    """User text made inert in Markdown: HTML characters become entities, Markdown
    punctuation is backslash-escaped, and an ordered-list or heading start is defused."""
    text = unicodedata.normalize("NFC", str(text))
    text = "".join(ch if ch in "\n\t" or unicodedata.category(ch)[0] != "C" else " " for ch in text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_PUNCT.sub(r"\\\1", text)
    lines = [_MD_LINE_START.sub(r"\1\\\2", line.strip()) for line in text.split("\n")]
    return "  \n".join(line for line in lines if line) or "\u2014"


def _md_value(item: Mapping) -> list[str]:
    shown = item["display"]
    if isinstance(shown, list):
        return [f"- {md_escape(i)}" for i in shown]
    return [md_escape(shown)]


def to_markdown(doc: Mapping) -> str:
    plan, due = doc["plan"], doc["due"]
    out = [f"# {md_escape(doc['title'])}", ""]
    meta = [("Plan for", plan["client_ref"]), ("Program", plan["program_label"] or "(not answered)"),
            ("Admission date", _date_label(plan["admission_date"])),
            ("Plan", f"#{plan['id']}, version {plan['version']}"
                     + (f" (reviews plan #{plan['previous_id']})" if plan["previous_id"] else "")),
            ("Status", plan["status"].replace("_", " ")),
            ("Peer support provider", plan["owner_name"] or f"staff #{plan['owner_id']}"),
            ("Deadline", due["message"])]
    out += [f"- **{label}:** {md_escape(value)}" for label, value in meta]
    out.append("")
    for section in doc["sections"]:
        out += [f"## {md_escape(section['title'])}", ""]
        for item in section["questions"]:
            out += [f"**{md_escape(item['label'].capitalize())}**", "", *_md_value(item), ""]
        for goal in section["goals"]:
            out += [f"### Goal {goal['number']}", ""]
            for item in goal["fields"]:
                label = "Goal" if item["field"].endswith(".goal") else item["label"].replace(
                    f"goal {goal['number']} ", "").capitalize()
                out += [f"**{md_escape(label)}**", "", *_md_value(item), ""]
    if doc["other_answers"]:
        out += ["## Other recorded answers", "", "_Answers kept from earlier choices that no longer apply._", ""]
        for item in doc["other_answers"]:
            out += [f"**{md_escape(item['label'].capitalize())}** ({md_escape(item['field'])})", "",
                    *_md_value(item), ""]
    out += ["## Clinical consultant sign-off", ""]
    signoff = doc["signoff"]
    if signoff:
        out.append(f"Signed off by {md_escape(signoff['name'])} ({md_escape(signoff['role'])}) "
                   f"on {md_escape(_shown(signoff['at']))}.")
        if signoff.get("attestation"):
            out += ["", f"Attested: \u201c{md_escape(signoff['attestation'])}\u201d"]
        if signoff.get("content_sha256"):
            out += ["", f"Signed content SHA-256: `{signoff['content_sha256']}`"]
    else:
        out.append("Not signed off yet.")
    cite = doc["policy"]["signoff"]
    out += ["", f"> {md_escape(cite['quote'])}  \n> ({md_escape(cite['source'])}, {md_escape(cite['section'])})",
            ""]
    out += ["## Audit appendix: answer changes", ""]
    out += [f"- {md_escape(_change_line(item))}" for item in doc.get("history") or []] or ["No answer was changed."]
    out.append("")
    return "\n".join(out)


# --- PDF -----------------------------------------------------------------------------------

_PDF_MAP = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-", "\u2026": "...", "\u2022": "-", "\u25cf": "-",
    "\u00a0": " ", "\u2009": " ", "\u200b": "", "\u2192": "->", "\u2190": "<-", "\u2713": "v", "\u2714": "v",
    "\t": " ",
})


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


UNICODE_FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf",
                      "BI": "DejaVuSans-BoldOblique.ttf"}


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
            self.cell(0, 6, clean(f"WRSP plan #{plan['id']} v{plan['version']} for {plan['client_ref']}"
                                  f" - page {self.page_no()}/{{nb}}"), align="C")

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
        for line in (shown if isinstance(shown, list) else [shown]):
            write(f"- {line}" if isinstance(shown, list) else line, indent=indent + 4)
        pdf.ln(1)

    write(doc["title"], 16, "B", 8)
    due = doc["due"]
    for label, value in (("Plan for (initials / record no.)", plan["client_ref"]),
                         ("Program", plan["program_label"] or "(not answered)"),
                         ("Admission date", _date_label(plan["admission_date"])),
                         ("Plan", f"#{plan['id']}, version {plan['version']}, {plan['status'].replace('_', ' ')}"),
                         ("Peer support provider", plan["owner_name"] or f"staff #{plan['owner_id']}"),
                         ("Deadline", due["message"])):
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
                label = "Goal" if item["field"].endswith(".goal") else item["label"].replace(
                    f"goal {goal['number']} ", "").capitalize()
                answer(item, label, indent=4)
    if doc["other_answers"]:
        heading("Other recorded answers")
        for item in doc["other_answers"]:
            answer(item, f"{item['label'].capitalize()} ({item['field']})")

    if pdf.get_y() > pdf.h - 75:  # keep the signature block on one page
        pdf.add_page()
    heading("Signatures and clinical sign-off")
    write("The individual/parent signs to show they took part in planning; a refusal to sign, and why, "
          "is noted above. The clinical consultant reviews and signs off the plan.", 9, "I")
    pdf.ln(4)
    signoff = doc["signoff"]
    rows = [("Individual / parent", None), ("Peer support provider", plan["owner_name"]),
            ("Clinical consultant", f"{signoff['name']} ({signoff['role']}), signed off "
                                    f"{_shown(signoff['at'])[:10]}" if signoff else None)]
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
        write(f"Attested: {signoff.get('attestation', '')} Signed content SHA-256: {signoff['content_sha256']}",
              8, "I")
    heading("Audit appendix: answer changes", 11)
    for item in doc.get("history") or []:
        write(_change_line(item), 8)
    if not doc.get("history"):
        write("No answer was changed.", 8)
    return bytes(pdf.output())


def render(doc: Mapping, fmt: str) -> bytes:
    """The document in ``fmt`` (md | json | pdf) as bytes ready to write."""
    if fmt == "md":
        return to_markdown(doc).encode("utf-8")
    if fmt == "json":
        return to_json(doc).encode("utf-8")
    if fmt == "pdf":
        return to_pdf(doc)
    raise ValueError(f"format must be one of: {', '.join(FORMATS)}")


def export_plan(session, actor, plan_id: int, fmt: str, today: date | None = None) -> bytes:
    """Read a plan the actor may see (audited) and render it as ``fmt``."""
    from bot.store import wrsp as store

    if fmt not in FORMATS:
        raise ValueError(f"format must be one of: {', '.join(FORMATS)}")
    doc = plan_document(session, actor, plan_id, today)
    store.record_export(session, actor, session.get(store.WrspPlan, plan_id), fmt)
    return render(doc, fmt)


# --- a plan's PDF for a chat ---------------------------------------------------------------


class ExportChoice(LookupError):
    """"export my plan" without a number, for someone with no plan or several of them.
    The message says what to type instead and is safe to show."""


def pdf_for_chat(session, actor, plan_id: int | None = None) -> tuple[int, str, bytes]:
    """(plan id, file name, PDF bytes) of the plan a chat asked for: ``plan_id``, or with
    none ("export my plan") the actor's own plan when they have exactly one. The read and
    the export go through :func:`export_plan`, so both are access-checked and audited; a
    refusal raises bot.store.access.AccessDenied or NotFound (audited too)."""
    from bot.store import wrsp as store

    if plan_id is None:
        own = [p for p in store.list_plans(session, actor) if p.owner_id == actor.id]
        if not own:
            raise ExportChoice("You have no WRSP plan to export. To export a plan of your team, say "
                               "\"export plan\" and its number, e.g. \"export plan 12\".")
        if len(own) > 1:
            listed = ", ".join(f"#{p.id} ({p.client_ref})" for p in own)
            raise ExportChoice(f"You have {len(own)} plans: {listed}. Say \"export plan\" and the number, "
                               f"e.g. \"export plan {own[-1].id}\".")
        plan_id = own[0].id
    return plan_id, f"wrsp-plan-{plan_id}.pdf", export_plan(session, actor, plan_id, "pdf")
