"""The supervisor console's HTTP side (Sanic, which Rasa already brings).

Every page opens one database session, finds the signed-in staff member from the session
cookie (fresh from the database: a deactivated person is out at once) and calls the same
bot/ services as the chat and the command line, which check access and audit every read.
Pages for supervisors refuse anyone else through :func:`bot.store.access.deny` (audited).
Forms carry a CSRF token bound to the session; every response is ``no-store``. Nothing here
logs a request: there is no access log, and no note text is ever put in a URL.
"""

from __future__ import annotations

import secrets
import time
from collections import defaultdict, deque

from sanic import Sanic, response
from sanic.request import Request

from bot.store import access, audit, session_scope, web_auth
from bot.store.models import Role, Staff
from bot.web import views

SESSION_COOKIE = "ps_session"
SIGNIN_COOKIE = "ps_signin"
MAX_FAILED_SIGNINS = 5  # per client address ...
FAILED_SIGNIN_WINDOW = 15 * 60  # ... in this many seconds
HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}


class SignInNeeded(Exception):
    pass


class BadForm(Exception):
    """A form post without a valid CSRF token, or with a field that cannot be used."""


class Failures:
    """Failed sign-ins per client address in a sliding window (in memory, one process)."""

    def __init__(self) -> None:
        self.seen: dict[str, deque] = defaultdict(deque)

    def blocked(self, who: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        window = self.seen[who]
        while window and window[0] < now - FAILED_SIGNIN_WINDOW:
            window.popleft()
        return len(window) >= MAX_FAILED_SIGNINS

    def add(self, who: str) -> None:
        self.seen[who].append(time.monotonic())


def _cookie(resp, name: str, value: str, max_age: int) -> None:
    resp.cookies[name] = value
    for key, setting in (
        ("path", "/"),
        ("httponly", True),
        ("secure", True),
        ("samesite", "Strict"),
        ("max-age", max_age),
    ):
        resp.cookies[name][key] = setting


def _forget(resp, name: str) -> None:
    _cookie(resp, name, "", 0)


def _html(text: str, status: int = 200):
    return response.html(text, status=status)


def staff_of(session, request: Request) -> Staff:
    staff = web_auth.session_staff(session, request.cookies.get(SESSION_COOKIE))
    if staff is None:
        raise SignInNeeded()
    return staff


def page(name: str, request: Request, staff: Staff | None, status: int = 200, **context):
    token = request.cookies.get(SESSION_COOKIE)
    csrf = web_auth.csrf_token(token) if staff is not None and token else ""
    return _html(views.render(name, me=staff, csrf=csrf, supervisor=is_supervisor(staff), **context), status)


def is_supervisor(staff: Staff | None) -> bool:
    return staff is not None and staff.role in (Role.supervisor, Role.admin)


def supervisors_only(session, staff: Staff, what: str) -> None:
    """Refuse (and audit) anyone but supervisors and admins on a supervisor page."""
    if not is_supervisor(staff):
        access.deny(
            session, "web.page", "this page is for supervisors and admins", actor_id=staff.id, detail={"page": what}
        )


def checked_form(session, request: Request, staff: Staff) -> dict:
    """The posted fields, after checking the form's CSRF token against this session."""
    form = {key: request.form.get(key) for key in request.form}
    if not web_auth.csrf_ok(request.cookies.get(SESSION_COOKIE), form.get("csrf")):
        audit.record(session, "web.csrf", actor_id=staff.id, outcome="denied", detail={"path": request.path})
        session.commit()
        raise BadForm("this form has expired or did not come from this page; open the page again")
    return form


def create_app(name: str = "peerscope_web") -> Sanic:
    from bot.store.insights import RangeError
    from bot.store.notes import NoteError
    from bot.wrsp.service import PlanError

    app = Sanic(name)
    app.config.KEEP_ALIVE_TIMEOUT = 5
    failures = Failures()

    @app.middleware("request")
    async def _channel(request: Request):
        audit.set_channel("web")

    @app.middleware("response")
    async def _headers(request: Request, resp):
        for key, value in HEADERS.items():
            resp.headers[key] = value

    @app.exception(SignInNeeded)
    async def _sign_in_first(request: Request, exc):
        return response.redirect("/signin", status=303)

    @app.exception(access.AccessDenied)
    async def _denied(request: Request, exc):
        return _html(views.render("error.html", me=None, title="Not allowed", message=str(exc)), 403)

    @app.exception(access.NotFound)
    async def _missing(request: Request, exc):
        return _html(views.render("error.html", me=None, title="Not found", message=str(exc)), 404)

    @app.exception(BadForm)
    async def _bad_form(request: Request, exc):
        return _html(views.render("error.html", me=None, title="Form refused", message=str(exc)), 403)

    @app.exception(NoteError, PlanError, RangeError)
    async def _cannot(request: Request, exc):
        return _html(views.render("error.html", me=None, title="That cannot be done", message=str(exc)), 400)

    @app.get("/static/style.css")
    async def _css(request: Request):
        return response.text(views.stylesheet(), content_type="text/css")

    @app.get("/signin")
    async def signin_form(request: Request):
        with session_scope() as session:
            if web_auth.session_staff(session, request.cookies.get(SESSION_COOKIE)) is not None:
                return response.redirect("/", status=303)
        pre = secrets.token_urlsafe(24)
        resp = _html(
            views.render(
                "signin.html", me=None, csrf=web_auth.csrf_token("signin:" + pre), error=request.args.get("error")
            )
        )
        _cookie(resp, SIGNIN_COOKIE, pre, 15 * 60)
        return resp

    @app.post("/signin")
    async def signin(request: Request):
        from bot.settings import web_session_minutes

        pre = request.cookies.get(SIGNIN_COOKIE)
        who = request.ip or "unknown"
        with session_scope() as session:
            if not pre or not web_auth.csrf_ok("signin:" + pre, request.form.get("csrf")):
                web_auth.record_refusal(session, "csrf")
                raise BadForm("the sign-in form has expired; open the sign-in page again")
            if failures.blocked(who):
                web_auth.record_refusal(session, "rate_limited")
                return _html(
                    views.render(
                        "signin.html",
                        me=None,
                        csrf=request.form.get("csrf"),
                        error="Too many wrong codes. Wait 15 minutes and try again.",
                    ),
                    429,
                )
            result = web_auth.sign_in(session, request.form.get("code") or "")
        if not result.ok:
            failures.add(who)
            return _html(
                views.render("signin.html", me=None, csrf=request.form.get("csrf"), error=web_auth.REFUSED), 401
            )
        resp = response.redirect("/", status=303)
        _cookie(resp, SESSION_COOKIE, result.token, int(web_session_minutes() * 60))
        _forget(resp, SIGNIN_COOKIE)
        return resp

    @app.post("/signout")
    async def signout(request: Request):
        with session_scope() as session:
            staff = staff_of(session, request)
            checked_form(session, request, staff)
            web_auth.sign_out(session, request.cookies.get(SESSION_COOKIE))
        resp = response.redirect("/signin", status=303)
        _forget(resp, SESSION_COOKIE)
        return resp

    @app.get("/")
    async def home(request: Request):
        with session_scope() as session:
            staff = staff_of(session, request)
            if is_supervisor(staff):
                return response.redirect("/queue", status=303)
            return page("home.html", request, staff)

    from bot.web import pages

    pages.add_routes(app)
    return app


def serve(port: int) -> None:
    """Run the console on 127.0.0.1:``port`` until stopped (one process, no access log)."""
    create_app().run(host="127.0.0.1", port=port, access_log=False, motd=False, workers=1)
