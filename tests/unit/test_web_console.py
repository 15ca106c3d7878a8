"""The supervisor console over HTTP, against a real `peerscope web` process and database:
sign-in codes, sessions, CSRF, who may act on what, headers, the PDF download, audit."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.store import session_scope, web_auth
from bot.store.models import AuditLog, FlagStatus, Note, NoteStatus, Notification, PlanStatus, WrspPlan
from tests.web import NOTE_PAT, SAM_FIGURES, console, figures_in_html, web_code


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    with console(tmp_path_factory.mktemp("web")) as running:
        yield running


def _sign_in(web, who: str) -> str:
    """Sign in through the form as ``who``; returns the session cookie's value."""
    with web.client() as client:
        form = client.get("/signin")
        pre = form.cookies.get("ps_signin") or _set_cookie(form, "ps_signin")
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', form.text).group(1)
        done = client.post(
            "/signin",
            data={"csrf": csrf, "code": web_code(web.ids[who], web.ids["ada"])},
            headers={"Cookie": f"ps_signin={pre}"},
        )
        assert done.status_code == 303, done.text
        return _set_cookie(done, "ps_session")


def _set_cookie(resp, name: str) -> str:
    for header in resp.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            return header.split(";", 1)[0].split("=", 1)[1]
    raise AssertionError(f"no {name} cookie in {resp.headers.get_list('set-cookie')}")


def _get(web, path: str, token: str | None):
    with web.client() as client:
        return client.get(path, headers={"Cookie": f"ps_session={token}"} if token else {})


def _post(web, path: str, token: str | None, data: dict):
    with web.client() as client:
        return client.post(path, data=data, headers={"Cookie": f"ps_session={token}"} if token else {})


def _audit(action: str) -> list[tuple]:
    with session_scope() as s:
        return [
            (a.actor_id, a.outcome, a.detail, a.channel)
            for a in s.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))
        ]


def _flag_statuses(note_id: int) -> list[str]:
    with session_scope() as s:
        return [f.status.value for f in s.get(Note, note_id).flags]


def test_sign_in_sets_a_strict_cookie_and_the_code_works_once(web):
    code = web_code(web.ids["sam"], web.ids["ada"])
    with web.client() as client:
        form = client.get("/signin")
        pre = _set_cookie(form, "ps_signin")
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', form.text).group(1)
        first = client.post(
            "/signin", data={"csrf": csrf, "code": code.lower()}, headers={"Cookie": f"ps_signin={pre}"}
        )
        again = client.post("/signin", data={"csrf": csrf, "code": code}, headers={"Cookie": f"ps_signin={pre}"})
    assert first.status_code == 303 and first.headers["location"] == "/"
    cookie = next(h for h in first.headers.get_list("set-cookie") if h.startswith("ps_session="))
    for attribute in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/", "Max-Age=3600"):
        assert attribute in cookie
    assert again.status_code == 401 and "valid or has expired" in again.text
    outcomes = [(o, (d or {}).get("reason"), ch) for _, o, d, ch in _audit("web.signin")]
    assert ("ok", None, "web") in outcomes and ("denied", "used", "web") in outcomes
    with session_scope() as s:  # only hashes are stored
        assert code not in str([row.code_hash for row in s.scalars(select(web_auth.WebCode))])


def test_expired_codes_and_sessions_are_refused(web):
    past = datetime.now(timezone.utc) - timedelta(hours=1)
    code = web_code(web.ids["sam"], web.ids["ada"], minutes=10, now=past)
    with web.client() as client:
        form = client.get("/signin")
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', form.text).group(1)
        refused = client.post(
            "/signin",
            data={"csrf": csrf, "code": code},
            headers={"Cookie": f"ps_signin={_set_cookie(form, 'ps_signin')}"},
        )
    assert refused.status_code == 401
    assert ("denied", "expired") in [(o, (d or {}).get("reason")) for _, o, d, _ in _audit("web.signin")]
    with session_scope() as s:  # a session that ended ten minutes ago
        old = web_auth.sign_in(s, web_code(web.ids["sam"], web.ids["ada"]), now=past, minutes=50)
    assert old.ok
    page = _get(web, "/queue", old.token)
    assert page.status_code == 303 and page.headers["location"] == "/signin"
    assert _get(web, "/queue", "made-up-token").status_code == 303


def test_a_form_without_its_token_is_refused(web):
    sam = _sign_in(web, "sam")
    note = web.ids["note_pat"]
    before = _flag_statuses(note)
    for data in ({"decision": "confirm"}, {"decision": "confirm", "csrf": "0" * 64}):
        refused = _post(web, f"/queue/{note}/flags/1", sam, data)
        assert refused.status_code == 403 and "Form refused" in refused.text
    assert _flag_statuses(note) == before
    assert [o for a, o, _, _ in _audit("web.csrf") if a == web.ids["sam"]] == ["denied", "denied"]
    with web.client() as client:  # the sign-in form too
        assert client.post("/signin", data={"code": "ABCD-EFGH-JKMN"}).status_code == 403


def test_one_users_cookie_cannot_act_for_another(web):
    sam, eve = _sign_in(web, "sam"), _sign_in(web, "eve")
    note = web.ids["note_pat"]
    before = _flag_statuses(note)
    # Eve's session with Sam's form token, and Sam's session with Eve's
    assert (
        _post(web, f"/queue/{note}/flags/1", eve, {"decision": "dismiss", "csrf": web_auth.csrf_token(sam)}).status_code
        == 403
    )
    assert (
        _post(web, f"/queue/{note}/flags/1", sam, {"decision": "dismiss", "csrf": web_auth.csrf_token(eve)}).status_code
        == 403
    )
    # Eve with her own valid token: not her team's note, refused by the same access check as chat
    denied = _post(web, f"/queue/{note}/decision", eve, {"outcome": "approve", "csrf": web_auth.csrf_token(eve)})
    assert denied.status_code == 403 and "access" in denied.text
    assert _get(web, f"/queue/{note}", eve).status_code == 403
    assert _flag_statuses(note) == before
    with session_scope() as s:
        assert s.get(Note, note).status == NoteStatus.submitted
    assert (web.ids["eve"], "denied") in [(a, o) for a, o, _, _ in _audit("note.read")]
    assert "Peer drove member" not in _get(web, "/queue", eve).text  # Eve's queue has only her team


def test_a_peer_sees_no_queue_and_is_refused_on_supervisor_pages(web):
    pat = _sign_in(web, "pat")
    home = _get(web, "/", pat)
    assert home.status_code == 200 and "are for supervisors" in home.text and "/queue" not in home.text
    for path in (
        "/queue",
        f"/queue/{web.ids['note_pat']}",
        "/plans",
        "/insights",
        f"/plans/{web.ids['plan_overdue']}/pdf",
    ):
        refused = _get(web, path, pat)
        assert refused.status_code == 403, path
        assert NOTE_PAT not in refused.text
    pages = [(d or {}).get("page") for a, o, d, _ in _audit("web.page") if a == web.ids["pat"] and o == "denied"]
    assert pages == ["queue", "note", "plans", "insights", "plan_pdf"]


def test_every_response_is_no_store(web):
    sam = _sign_in(web, "sam")
    for resp in (
        _get(web, "/signin", None),
        _get(web, "/queue", sam),
        _get(web, "/insights", sam),
        _get(web, f"/queue/{web.ids['note_pat']}", sam),
        _get(web, "/queue/99999", sam),
        _get(web, "/static/style.css", None),
    ):
        assert resp.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in resp.headers["content-security-policy"]


def test_the_note_page_highlights_each_flag_with_its_quote_and_rewrite(web):
    sam = _sign_in(web, "sam")
    page = _get(web, f"/queue/{web.ids['note_pat']}", sam).text
    assert '<mark class="flag open" title="flag 1, 2: errands, transport">drove member to the pharmacy</mark>' in page
    assert "Peer specialists do not provide transportation." in page and "Helped her plan a ride." in page
    assert page.count('name="decision" value="confirm"') == 2


def test_plans_pdf_download_and_two_step_sign_off(web):
    sam = _sign_in(web, "sam")
    listing = _get(web, "/plans", sam).text
    assert 'class="overdue"' in listing and 'class="due"' in listing
    pdf = _get(web, f"/plans/{web.ids['plan_signable']}/pdf", sam)
    assert pdf.content.startswith(b"%PDF") and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == f'attachment; filename="wrsp-plan-{web.ids["plan_signable"]}.pdf"'
    plan = web.ids["plan_signable"]
    review = _get(web, f"/plans/{plan}/signoff", sam).text
    digest = re.search(r'id="digest">([0-9a-f]{64})<', review).group(1)
    unattested = _post(web, f"/plans/{plan}/signoff", sam, {"csrf": web_auth.csrf_token(sam), "hash": digest})
    assert unattested.status_code == 400 and "is not signed" in unattested.text
    signed = _post(
        web, f"/plans/{plan}/signoff", sam, {"csrf": web_auth.csrf_token(sam), "hash": digest, "attest": "yes"}
    )
    assert signed.status_code == 303
    with session_scope() as s:
        assert s.get(WrspPlan, plan).status == PlanStatus.signed
        assert (
            s.scalar(select(Notification).where(Notification.object_id == plan, Notification.kind == "plan_signed_off"))
            is not None
        )


def test_insights_show_the_teams_figures_and_admins_see_everyone(web):
    sam, ada = _sign_in(web, "sam"), _sign_in(web, "ada")
    page = _get(web, "/insights", sam).text
    expected = dict(SAM_FIGURES)
    with session_scope() as s:  # another test may have signed the signable plan
        if s.get(WrspPlan, web.ids["plan_signable"]).status == PlanStatus.signed:
            expected["Plans signed in range"] += 1
    assert figures_in_html(page) == expected
    assert page.count("<svg") == 6 and "Quinn" not in page and "co-sign a lease" not in page
    everyone = figures_in_html(_get(web, "/insights", ada).text)
    assert everyone["Flags raised"] == 5 and everyone["Unanswered questions"] == 2
    bad = _get(web, "/insights?start=2026-13-01", sam)
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.text


def test_sign_out_ends_the_session(web):
    sam = _sign_in(web, "sam")
    assert _post(web, "/signout", sam, {"csrf": web_auth.csrf_token(sam)}).status_code == 303
    assert _get(web, "/queue", sam).status_code == 303
    assert any(a == web.ids["sam"] for a, _, _, _ in _audit("web.signout"))


def test_no_note_text_in_the_server_log(web):
    _get(web, f"/queue/{web.ids['note_pat']}", _sign_in(web, "sam"))
    log = web.log.read_text()
    assert "pharmacy" not in log and "bipolar" not in log and "/queue/" not in log


def test_wrong_codes_are_rate_limited_and_audited(tmp_path):
    with console(tmp_path) as fresh:
        with fresh.client() as client:
            form = client.get("/signin")
            cookie = {"Cookie": f"ps_signin={_set_cookie(form, 'ps_signin')}"}
            csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', form.text).group(1)
            for _ in range(5):
                assert (
                    client.post("/signin", data={"csrf": csrf, "code": "WRONG-CODE-0000"}, headers=cookie).status_code
                    == 401
                )
            good = web_code(fresh.ids["sam"], fresh.ids["ada"])
            blocked = client.post("/signin", data={"csrf": csrf, "code": good}, headers=cookie)
        assert blocked.status_code == 429 and "Too many wrong codes" in blocked.text
        assert "ps_session" not in str(blocked.headers.get_list("set-cookie"))
        reasons = [(d or {}).get("reason") for _, o, d, _ in _audit("web.signin") if o == "denied"]
        assert reasons == ["unknown"] * 5 + ["rate_limited"]


def test_flags_decided_in_the_console_show_in_the_cli(web, monkeypatch, capsys):
    from bot.cli import main
    from tests.acting import act_as

    sam = _sign_in(web, "sam")
    note = web.ids["note_old"]
    assert (
        _post(web, f"/queue/{note}/flags/1", sam, {"decision": "confirm", "csrf": web_auth.csrf_token(sam)}).status_code
        == 303
    )
    act_as(web.ids["sam"])
    assert main(["review", "show", str(note)]) == 0
    assert "flag 1 [confirmed] gifts" in capsys.readouterr().out
    with session_scope() as s:
        assert s.get(Note, note).flags[0].status == FlagStatus.confirmed
