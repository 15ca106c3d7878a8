"""Console sign-in in the store, on SQLite and PostgreSQL: codes and sessions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.store import access, session_scope, web_auth
from bot.store import staff as repo
from bot.store.models import AuditLog, WebCode, WebSession


@pytest.fixture
def people(db_url):
    with session_scope() as s:
        ada = repo.add(s, "Ada Admin", role="admin")
        sam = repo.add(s, "Sam Reyes", role="supervisor")
        pat = repo.add(s, "Pat Lee", supervisor_id=sam.id)
        return {"ada": ada.id, "sam": sam.id, "pat": pat.id}


def _code(people, who: str, **kwargs) -> str:
    with session_scope() as s:
        return web_auth.issue_code(s, access.actor(s, people["ada"]), people[who], **kwargs)[0]


def _denied(action: str) -> list:
    with session_scope() as s:
        return [
            (a.actor_id, (a.detail or {}).get("reason"))
            for a in s.scalars(select(AuditLog).where(AuditLog.action == action, AuditLog.outcome == "denied"))
        ]


def test_codes_are_stored_hashed_work_once_and_start_a_session(people):
    code = _code(people, "sam")
    with session_scope() as s:
        assert code.replace("-", "") not in repr(list(s.execute(select(WebCode.code_hash))))
        first = web_auth.sign_in(s, f" {code.lower()} ")
    with session_scope() as s:
        second = web_auth.sign_in(s, code)
        assert web_auth.session_staff(s, first.token).id == people["sam"]
        assert first.token not in repr(list(s.execute(select(WebSession.token_hash))))
    assert first.ok and (second.ok, second.reason) == (False, "used")
    assert _denied("web.signin") == [(people["sam"], "used")]


def test_only_admins_print_codes_and_only_supervisors_ask_for_their_own(people):
    for who in ("sam", "pat"):
        with pytest.raises(access.AccessDenied), session_scope() as s:
            web_auth.issue_code(s, access.actor(s, people[who]), people["sam"])
    with pytest.raises(access.AccessDenied), session_scope() as s:
        web_auth.issue_own_code(s, access.actor(s, people["pat"]))
    assert "supervisors and admins" in web_auth.own_code_message(people["pat"])
    message = web_auth.own_code_message(people["sam"])
    code = message.split("console: ", 1)[1].split()[0]
    with session_scope() as s:
        assert web_auth.sign_in(s, code).staff_id == people["sam"]
    assert [a for a, _ in _denied("web.code")] == [people["sam"], people["pat"], people["pat"], people["pat"]]


def test_expired_codes_expired_or_signed_out_sessions_and_deactivated_staff_are_refused(people):
    past = datetime.now(timezone.utc) - timedelta(hours=2)
    stale, for_old, for_out, for_pat, for_sam = (
        _code(people, "sam", now=past),
        _code(people, "sam"),
        _code(people, "pat"),
        _code(people, "pat"),
        _code(people, "sam"),
    )
    with session_scope() as s:  # each sign_in commits
        assert web_auth.sign_in(s, stale).reason == "expired"
        assert web_auth.sign_in(s, "").reason == "unknown"
        old = web_auth.sign_in(s, for_old, now=past, minutes=60)
        assert web_auth.session_staff(s, old.token) is None
        signed_out = web_auth.sign_in(s, for_out)
        assert web_auth.session_staff(s, signed_out.token).id == people["pat"]
        web_auth.sign_out(s, signed_out.token)
    with session_scope() as s:
        assert web_auth.session_staff(s, signed_out.token) is None
        other = web_auth.sign_in(s, for_pat)
        repo.deactivate(s, access.actor(s, people["ada"]), people["pat"])
    with session_scope() as s:
        assert web_auth.session_staff(s, other.token) is None
        assert web_auth.sign_in(s, for_sam).ok
    assert [r for _, r in _denied("web.signin")] == ["expired", "unknown"]


def test_csrf_tokens_belong_to_one_session():
    assert web_auth.csrf_ok("a", web_auth.csrf_token("a"))
    assert not web_auth.csrf_ok("a", web_auth.csrf_token("b"))
    assert not web_auth.csrf_ok("a", None) and not web_auth.csrf_ok(None, web_auth.csrf_token("a"))
