"""A plan as Markdown, JSON or PDF.

:func:`bot.wrsp.document.document` gathers everything about a plan into one plain
dictionary (metadata, every answer, due dates, sign-off); the renderers (JSON and
Markdown here, PDF in bot/wrsp/pdf.py) only lay it out and touch no database.
:func:`export_plan` is the one entry point that reads a plan (through bot.wrsp.service,
so the read and the export are audited) and renders it.

User text is untrusted: Markdown output escapes Markdown and HTML, and the PDF uses a
core font with every character outside Latin-1 replaced, so any Unicode is safe.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date
from typing import Any, Mapping

from bot.wrsp.document import (
    change_line,
    date_label,
    display,
    display_date,
    document,
    history_items,
    plan_document,
    shown,
    signoff_summary,
)
from bot.wrsp.pdf import pdf_document, pdf_text, to_pdf

__all__ = [
    "FORMATS",
    "ExportChoice",
    "display",
    "display_date",
    "document",
    "export_plan",
    "history_items",
    "md_escape",
    "pdf_document",
    "pdf_for_chat",
    "pdf_text",
    "plan_document",
    "render",
    "signoff_summary",
    "to_json",
    "to_markdown",
    "to_pdf",
]

FORMATS = ("md", "json", "pdf")


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
    meta = [
        ("Plan for", plan["client_ref"]),
        ("Program", plan["program_label"] or "(not answered)"),
        ("Admission date", date_label(plan["admission_date"])),
        (
            "Plan",
            f"#{plan['id']}, version {plan['version']}"
            + (f" (reviews plan #{plan['previous_id']})" if plan["previous_id"] else ""),
        ),
        ("Status", plan["status"].replace("_", " ")),
        ("Peer support provider", plan["owner_name"] or f"staff #{plan['owner_id']}"),
        ("Deadline", due["message"]),
    ]
    out += [f"- **{label}:** {md_escape(value)}" for label, value in meta]
    out.append("")
    for section in doc["sections"]:
        out += [f"## {md_escape(section['title'])}", ""]
        for item in section["questions"]:
            out += [f"**{md_escape(item['label'].capitalize())}**", "", *_md_value(item), ""]
        for goal in section["goals"]:
            out += [f"### Goal {goal['number']}", ""]
            for item in goal["fields"]:
                label = (
                    "Goal"
                    if item["field"].endswith(".goal")
                    else item["label"].replace(f"goal {goal['number']} ", "").capitalize()
                )
                out += [f"**{md_escape(label)}**", "", *_md_value(item), ""]
    if doc["other_answers"]:
        out += ["## Other recorded answers", "", "_Answers kept from earlier choices that no longer apply._", ""]
        for item in doc["other_answers"]:
            out += [
                f"**{md_escape(item['label'].capitalize())}** ({md_escape(item['field'])})",
                "",
                *_md_value(item),
                "",
            ]
    out += ["## Clinical consultant sign-off", ""]
    signoff = doc["signoff"]
    if signoff:
        out.append(
            f"Signed off by {md_escape(signoff['name'])} ({md_escape(signoff['role'])}) "
            f"on {md_escape(shown(signoff['at']))}."
        )
        if signoff.get("attestation"):
            out += ["", f"Attested: \u201c{md_escape(signoff['attestation'])}\u201d"]
        if signoff.get("content_sha256"):
            out += ["", f"Signed content SHA-256: `{signoff['content_sha256']}`"]
    else:
        out.append("Not signed off yet.")
    cite = doc["policy"]["signoff"]
    out += ["", f"> {md_escape(cite['quote'])}  \n> ({md_escape(cite['source'])}, {md_escape(cite['section'])})", ""]
    out += ["## Audit appendix: answer changes", ""]
    out += [f"- {md_escape(change_line(item))}" for item in doc.get("history") or []] or ["No answer was changed."]
    out.append("")
    return "\n".join(out)


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
    from bot.wrsp import service as store

    if fmt not in FORMATS:
        raise ValueError(f"format must be one of: {', '.join(FORMATS)}")
    doc = plan_document(session, actor, plan_id, today)
    store.record_export(session, actor, session.get(store.WrspPlan, plan_id), fmt)
    return render(doc, fmt)


# --- a plan's PDF for a chat ---------------------------------------------------------------


class ExportChoice(LookupError):
    """ "export my plan" without a number, for someone with no plan or several of them.
    The message says what to type instead and is safe to show."""


def pdf_for_chat(session, actor, plan_id: int | None = None) -> tuple[int, str, bytes]:
    """(plan id, file name, PDF bytes) of the plan a chat asked for: ``plan_id``, or with
    none ("export my plan") the actor's own plan when they have exactly one. The read and
    the export go through :func:`export_plan`, so both are access-checked and audited; a
    refusal raises bot.store.access.AccessDenied or NotFound (audited too)."""
    from bot.wrsp import service as store

    if plan_id is None:
        own = [p for p in store.list_plans(session, actor) if p.owner_id == actor.id]
        if not own:
            raise ExportChoice(
                "You have no WRSP plan to export. To export a plan of your team, say "
                '"export plan" and its number, e.g. "export plan 12".'
            )
        if len(own) > 1:
            listed = ", ".join(f"#{p.id} ({p.client_ref})" for p in own)
            raise ExportChoice(
                f'You have {len(own)} plans: {listed}. Say "export plan" and the number, '
                f'e.g. "export plan {own[-1].id}".'
            )
        plan_id = own[0].id
    return plan_id, f"wrsp-plan-{plan_id}.pdf", export_plan(session, actor, plan_id, "pdf")
