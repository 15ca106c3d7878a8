"""A plan gathered into one plain dictionary for the exports and the sign-off review:
metadata, every answer as people read it, due dates, sign-off and the answer changes.

:func:`document` touches no database; :func:`plan_document` reads a plan the actor may
see through bot.wrsp.service (the read is audited). The renderers are bot/wrsp/export.py
(JSON, Markdown) and bot/wrsp/pdf.py (PDF).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Mapping

from bot.wrsp.due import due_status
from bot.wrsp.interview import Interview, Step
from bot.wrsp.schema import Schema, load_schema
from bot.wrsp.validators import format_date


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


def date_label(value: str | None) -> str:
    return display_date(value) if value else "(not answered)"


def display_date(value: str) -> str:
    try:
        return format_date(date.fromisoformat(str(value)[:10]))
    except ValueError:
        return str(value)


def _item(step: Step) -> dict:
    return {
        "field": step.field,
        "label": step.label,
        "question": step.prompt,
        "type": step.type,
        "required": step.required,
        "value": step.value,
        "display": display(step, step.value),
    }


def history_items(rows: Any, names: Mapping[int, str], schema: Schema | None = None) -> list[dict]:
    """Answer changes (bot.store.wrsp.history_of) as the export's audit appendix lists them."""
    from bot.settings import show_time

    schema = schema or load_schema()
    out = []
    for row in rows:
        question = schema.question_for(row.field) if schema.is_field(row.field) else None
        out.append(
            {
                "field": row.field,
                "label": question.label if question else row.field,
                "old_value": row.old_value,
                "new_value": row.new_value,
                "old": display(question, row.old_value) if question else str(row.old_value),
                "new": display(question, row.new_value) if question else str(row.new_value),
                "by_id": row.actor_id,
                "by": names.get(row.actor_id) if row.actor_id else None,
                "channel": row.channel,
                "at": _iso(row.changed_at),
                "at_shown": show_time(row.changed_at),
            }
        )
    return out


def document(
    plan: Any,
    answers: Mapping[str, Any],
    *,
    owner_name: str | None = None,
    signoff: Mapping | None = None,
    previous: Any = None,
    today: date | None = None,
    schema: Schema | None = None,
    history: list[dict] | None = None,
) -> dict:
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
            other.append(
                {"field": field, "label": q.label, "type": q.type, "value": value, "display": display(q, value)}
            )
    progress = interview.progress()
    return {
        "title": schema.title,
        "schema_version": schema.version,
        "plan": {
            "id": plan.id,
            "version": plan.version,
            "previous_id": plan.previous_id,
            "status": _enum(plan.status),
            "client_ref": plan.client_ref,
            "program": _enum(plan.program),
            "program_label": _program_label(schema, _enum(plan.program)),
            "admission_date": _iso(plan.admission_date),
            "owner_id": plan.owner_id,
            "owner_name": owner_name,
            "created_at": _iso(plan.created_at),
            "updated_at": _iso(plan.updated_at),
            "completed_at": _iso(plan.completed_at),
        },
        "due": due_status(plan, today, previous=previous, schema=schema).to_dict(),
        "signoff": dict(signoff) if signoff else None,
        "progress": {
            "answered": progress.answered,
            "total": progress.total,
            "missing_required": [s.field for s in progress.missing_required],
        },
        "sections": sections,
        "other_answers": other,
        "answers": dict(answers),
        "history": list(history or []),
        "policy": {
            "plan": schema.cite.to_dict(),
            "deadlines": schema.deadlines.cite.to_dict(),
            "signoff": schema.signoff.cite.to_dict(),
        },
        "exported_at": datetime.now(_zone()).isoformat(timespec="seconds"),
    }


def _zone():
    from bot.settings import local_zone

    return local_zone()


def shown(iso: str) -> str:
    """A stored ISO time as people read it, in PEERSCOPE_TIMEZONE."""
    from bot.settings import show_time

    try:
        return show_time(datetime.fromisoformat(iso))
    except (TypeError, ValueError):
        return str(iso)


def change_line(item: Mapping) -> str:
    """One answer change as the audit appendix lists it."""

    def one(value: Any) -> str:
        return "; ".join(value) if isinstance(value, list) else str(value)

    who = item["by"] or (f"staff #{item['by_id']}" if item["by_id"] else "unknown")
    return (
        f"{item['at_shown']}: {item['label']} changed from \"{one(item['old'])}\" to \"{one(item['new'])}\" "
        f"by {who} ({item['channel'] or 'unknown channel'})"
    )


def signoff_summary(doc: Mapping, width: int = 90) -> str:
    """A plan in a few lines, for the consultant to review before signing in chat: the
    header, then each section's answers (long ones shortened; the export has them whole)."""
    plan = doc["plan"]

    def short(value: Any) -> str:
        text = "; ".join(value) if isinstance(value, list) else str(value)
        text = " ".join(text.split())
        return text if len(text) <= width else text[: width - 1] + "\u2026"

    lines = [
        f"Plan #{plan['id']} (version {plan['version']}) for {plan['client_ref']}, "
        f"by {plan['owner_name'] or 'staff #' + str(plan['owner_id'])}. {doc['due']['message']}"
    ]
    for section in doc["sections"]:
        items = list(section["questions"]) + [i for g in section["goals"] for i in g["fields"]]
        if items:
            lines.append(f"\n{section['title']}")
            lines += [f"- {item['label'].capitalize()}: {short(item['display'])}" for item in items]
    return "\n".join(lines)


def plan_document(session, actor, plan_id: int, today: date | None = None) -> dict:
    """:func:`document` for a plan the actor may see (the read is audited)."""
    from bot.store.models import Staff
    from bot.wrsp import service as store

    plan = store.read_plan(session, actor, plan_id)
    owner = store.owner_of(session, plan)
    rows = store.history_of(session, plan.id)
    people = (session.get(Staff, i) for i in {r.actor_id for r in rows if r.actor_id})
    names = {m.id: m.name for m in people if m is not None}
    return document(
        plan,
        store.answers_of(plan),
        owner_name=owner.name if owner else None,
        signoff=store.signoff_of(plan),
        previous=store.previous_of(session, plan),
        today=today,
        history=history_items(rows, names),
    )
