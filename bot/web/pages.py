"""The console's pages: review queue, plans, insights. Each one calls the service the
chat and the command line call (bot.store.notes, bot.wrsp.service, bot.store.insights)."""

from __future__ import annotations

from sanic import Sanic, response
from sanic.request import Request

from bot.store import session_scope
from bot.store.web_auth import csrf_token
from bot.web import views
from bot.web.app import SESSION_COOKIE, BadForm, checked_form, page, staff_of, supervisors_only


def add_routes(app: Sanic) -> None:
    app.add_route(queue, "/queue", methods=["GET"])
    app.add_route(note, "/queue/<note_id:int>", methods=["GET"])
    app.add_route(decide_flag, "/queue/<note_id:int>/flags/<number:int>", methods=["POST"])
    app.add_route(decide_note, "/queue/<note_id:int>/decision", methods=["POST"])
    app.add_route(plans, "/plans", methods=["GET"])
    app.add_route(signoff_form, "/plans/<plan_id:int>/signoff", methods=["GET"])
    app.add_route(signoff, "/plans/<plan_id:int>/signoff", methods=["POST"])
    app.add_route(plan_pdf, "/plans/<plan_id:int>/pdf", methods=["GET"])
    app.add_route(insights, "/insights", methods=["GET"])


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


# --- review queue ----------------------------------------------------------------------------


async def queue(request: Request):
    from bot.store import notes

    with session_scope() as session:
        staff = staff_of(session, request)
        supervisors_only(session, staff, "queue")
        items = notes.review_queue(session, staff)
        return page(
            "queue.html",
            request,
            staff,
            items=items,
            decided=_number(request.args.get("decided")),
            outcome=request.args.get("outcome") if request.args.get("outcome") in ("approved", "returned") else None,
        )


async def note(request: Request, note_id: int):
    from bot.store import notes

    with session_scope() as session:
        staff = staff_of(session, request)
        supervisors_only(session, staff, "note")
        row = notes.read(session, staff, note_id)
        flags = list(row.flags)
        return page(
            "note.html",
            request,
            staff,
            note=row,
            flags=flags,
            segments=views.note_segments(row.text, flags),
            reviewable=row.status.value == "submitted" and row.author_id != staff.id,
        )


async def decide_flag(request: Request, note_id: int, number: int):
    from bot.store import notes

    with session_scope() as session:
        staff = staff_of(session, request)
        supervisors_only(session, staff, "flag")
        form = checked_form(session, request, staff)
        if form.get("decision") not in ("confirm", "dismiss"):
            raise BadForm("choose confirm or dismiss")
        notes.decide_flag(session, staff, note_id, number, confirm=form["decision"] == "confirm")
    return response.redirect(f"/queue/{note_id}#flag-{number}", status=303)


async def decide_note(request: Request, note_id: int):
    from bot.store import notes

    with session_scope() as session:
        staff = staff_of(session, request)
        supervisors_only(session, staff, "decision")
        form = checked_form(session, request, staff)
        if form.get("outcome") not in ("approve", "return"):
            raise BadForm("choose approve or return")
        row = notes.decide_note(
            session, staff, note_id, approve=form["outcome"] == "approve", comment=form.get("comment")
        )
        outcome = row.status.value
    return response.redirect(f"/queue?decided={note_id}&outcome={outcome}", status=303)


# --- plans -----------------------------------------------------------------------------------


async def plans(request: Request):
    from bot.settings import local_today
    from bot.wrsp import service as wrsp

    with session_scope() as session:
        staff = staff_of(session, request)
        supervisors_only(session, staff, "plans")
        rows = [
            (plan, due, wrsp.owner_of(session, plan))
            for plan, due in wrsp.plans_due(session, staff, local_today(), include_ok=True)
        ]
        return page("plans.html", request, staff, rows=rows, signed=_number(request.args.get("signed")))


async def signoff_form(request: Request, plan_id: int):
    from bot.wrsp import service as wrsp
    from bot.wrsp.document import plan_document

    with session_scope() as session:
        staff = staff_of(session, request)
        supervisors_only(session, staff, "signoff")
        plan, digest = wrsp.review_for_signoff(session, staff, plan_id)
        doc = plan_document(session, staff, plan_id)
        return page("signoff.html", request, staff, plan=plan, doc=doc, digest=digest, attestation=wrsp.attestation())


async def signoff(request: Request, plan_id: int):
    from bot.wrsp import service as wrsp

    with session_scope() as session:
        staff = staff_of(session, request)
        supervisors_only(session, staff, "signoff")
        form = checked_form(session, request, staff)
        wrsp.sign_off(
            session, staff, plan_id, attested=form.get("attest") == "yes", reviewed_hash=form.get("hash") or ""
        )
    return response.redirect(f"/plans?signed={plan_id}", status=303)


async def plan_pdf(request: Request, plan_id: int):
    from bot.wrsp.export import export_plan

    with session_scope() as session:
        staff = staff_of(session, request)
        supervisors_only(session, staff, "plan_pdf")
        data = export_plan(session, staff, plan_id, "pdf")
    return response.raw(
        data,
        content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="wrsp-plan-{plan_id}.pdf"'},
    )


# --- insights --------------------------------------------------------------------------------


async def insights(request: Request):
    from bot.settings import local_today
    from bot.store import insights as ins
    from bot.wrsp.service import plans_due

    with session_scope() as session:
        staff = staff_of(session, request)
        supervisors_only(session, staff, "insights")
        start, end = ins.parse_range(request.args.get("start"), request.args.get("end"), local_today())
        data = ins.build(session, staff, start, end, plans_due=plans_due)
        return views.html_response(
            views.insights_page(
                data, standalone=False, me=staff, csrf=csrf_token(request.cookies.get(SESSION_COOKIE)), supervisor=True
            )
        )
