"""Invite codes for signing in from Telegram, and the bridge's pure parts: splitting long
replies, rendering Rasa replies, callback payloads, flood control, Telegram retries."""

from __future__ import annotations

import argparse
import socket
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.channels.rest import RasaUnavailable, Reply
from bot.channels.telegram.client import AsyncRasa, TelegramConfig, call_with_retry
from bot.channels.telegram.state import RateLimiter
from bot.channels.telegram.text import CallbackPayloads, render_replies, split_message
from bot.store import invites, session_scope
from bot.store import staff as staff_repo
from bot.store.models import AuditLog, Role, StaffInvite, utcnow
from tests.acting import act_as

# --- invites ------------------------------------------------------------------------------------


def _invite(**kwargs) -> str:
    with session_scope() as s:
        code, _ = invites.create(s, **kwargs)
    return code


def test_an_invite_stores_only_the_hash_and_signs_in_once(db_url):
    with session_scope() as s:
        sam = staff_repo.add(s, "Sam Reyes", role="supervisor")
        sam_id = sam.id
    code = _invite(role="peer", program="adult", supervisor_id=sam_id, name="Pat Lee")
    assert len(code) == 14 and code.count("-") == 2
    with session_scope() as s:
        row = s.scalar(select(StaffInvite))
        assert row.code_hash == invites.hash_code(code) != code
        stored = [str(v) for v in vars(row).values()]
        assert not any(code in v or invites.normalize_code(code) in v for v in stored)

    result = invites.sign_in(code.lower().replace("-", " "), "telegram", "555", display_name="P L")
    assert result.ok and "Pat" in result.message and "peer" in result.message
    with session_scope() as s:
        member = staff_repo.by_identity(s, "telegram", "555")
        assert (member.name, member.role, member.program.value, member.supervisor_id) == (
            "Pat Lee",
            Role.peer,
            "adult",
            sam_id,
        )
        assert s.scalar(select(StaffInvite)).used_by_staff_id == member.id

    again = invites.sign_in(code, "telegram", "777")
    assert not again.ok and again.reason == "used" and "already been used" in again.message
    with session_scope() as s:
        assert staff_repo.by_identity(s, "telegram", "777") is None
        audit = [(a.action, a.outcome) for a in s.scalars(select(AuditLog).order_by(AuditLog.id))]
        assert ("invite.redeem", "ok") in audit and ("invite.redeem", "denied") in audit
        assert not any(code in str(a.detail) for a in s.scalars(select(AuditLog)))


def test_expired_and_unknown_codes_are_refused(db_url):
    with session_scope() as s:
        code, _ = invites.create(s, role="peer", expires_hours=1, now=utcnow() - timedelta(hours=2))
    result = invites.sign_in(code, "telegram", "555")
    assert not result.ok and result.reason == "expired" and "expired" in result.message
    for wrong in ("ABCD-EFGH-JKMN", "", "   ", "x" * 500):
        result = invites.sign_in(wrong, "telegram", "555")
        assert not result.ok and result.reason == "unknown" and "isn't valid" in result.message
    with session_scope() as s:
        assert staff_repo.list_all(s) == []


def test_a_signed_in_account_cannot_use_another_code_and_the_code_stays_usable(db_url):
    first, second = _invite(role="peer", name="Kim"), _invite(role="supervisor", name="Boss")
    assert invites.sign_in(first, "telegram", "555").ok
    refused = invites.sign_in(second, "telegram", "555")
    assert refused.reason == "already_linked"
    assert invites.sign_in(second, "telegram", "556").ok  # not consumed by the refusal


def test_an_invite_can_link_an_existing_staff_record(db_url):
    with session_scope() as s:
        member = staff_repo.add(s, "Ola Chen", role="peer", program="family")
        member_id = member.id
    code = _invite(staff_id=member_id)
    result = invites.sign_in(code, "telegram", "900", display_name="Someone Else")
    assert result.ok and result.staff_id == member_id
    with session_scope() as s:
        assert len(staff_repo.list_all(s)) == 1
        assert staff_repo.by_identity(s, "telegram", "900").id == member_id


def test_bad_invites_are_refused_when_created(db_url):
    with session_scope() as s:
        peer = staff_repo.add(s, "Kim")
        with pytest.raises(invites.InviteError, match="not a supervisor"):
            invites.create(s, role="peer", supervisor_id=peer.id)
        with pytest.raises(invites.InviteError, match="role must be one of"):
            invites.create(s, role="boss")
        with pytest.raises(invites.InviteError, match="between 1 and"):
            invites.create(s, role="peer", expires_hours=0)
        with pytest.raises(invites.InviteError, match="no active staff"):
            invites.create(s, staff_id=9999)


def test_the_invite_command_prints_a_working_code(db_url, capsys):
    from bot.store import commands, invite_commands

    with session_scope() as s:
        admin_id = staff_repo.add(s, "Ada Admin", role="admin").id
    act_as(admin_id)  # the command acts as the OS login's staff profile: an admin's
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    commands.register(sub, None)
    invite_commands.register(sub, None)
    args = parser.parse_args(["staff", "invite", "--role", "peer", "--program", "family", "--name", "Fran Ortiz"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    code = out.split("invite code: ")[1].split()[0]
    assert f"/start {code}" in out
    assert invites.sign_in(code, "telegram", "42").ok

    args = parser.parse_args(["staff", "invite"])
    assert args.func(args) == 2 and "--role" in capsys.readouterr().err


# --- splitting and rendering ------------------------------------------------------------------


def _squash(text: str) -> str:
    return "".join(text.split())


def test_short_replies_are_left_alone():
    assert split_message("Hi there.") == ["Hi there."]
    assert split_message("x" * 4096) == ["x" * 4096]


def test_long_replies_split_at_paragraphs_then_sentences_in_order():
    paragraphs = [f"Paragraph {n}. " + "Some policy text here. " * 30 for n in range(12)]
    text = "\n\n".join(paragraphs)
    chunks = split_message(text, limit=1500)
    assert all(len(c) <= 1500 for c in chunks) and len(chunks) > 1
    assert all(c.endswith(".") for c in chunks)  # every cut at a paragraph end
    assert _squash("".join(chunks)) == _squash(text)

    one_paragraph = " ".join(f"Sentence number {n} is here." for n in range(400))
    chunks = split_message(one_paragraph, limit=1000)
    assert all(len(c) <= 1000 and c.endswith("here.") for c in chunks)
    assert [c.split()[2] for c in chunks] == sorted((c.split()[2] for c in chunks), key=int)

    assert split_message("y" * 10000, limit=4096) == ["y" * 4096, "y" * 4096, "y" * 1808]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab .\n!?"), max_size=3000), st.integers(min_value=20, max_value=500))
def test_splitting_never_loses_text_or_exceeds_the_limit(text, limit):
    chunks = split_message(text, limit)
    assert all(0 < len(c) <= limit for c in chunks)
    assert _squash("".join(chunks)) == _squash(text)


def test_policy_payload_is_skipped_when_the_text_already_says_it():
    answer = {
        "type": "policy_answer",
        "verdict": "not_allowed",
        "answer": "No: peers do not drive clients.",
        "citations": [{"source": "cpss-job-description", "section": "Scope", "quote": "Do not transport."}],
    }
    said = [
        Reply(text="⛔ Not allowed\n\nNo: peers do not\ndrive clients.\n\n“Do not transport.”"),
        Reply(custom=answer),
    ]
    assert [o.text for o in render_replies(said)] == [said[0].text]
    alone = render_replies([Reply(custom=answer)])
    assert len(alone) == 1 and alone[0].text.startswith("⛔ Not allowed") and "Do not transport." in alone[0].text

    flags = {"type": "note_flags", "note_id": 7, "flags": [{"category": "transport"}, {"category": "legal"}]}
    assert render_replies([Reply(text="Note #7: 2 passage(s) may be out of scope:"), Reply(custom=flags)])[
        -1
    ].text.startswith("Note #7: 2 passage(s) may")
    assert (
        render_replies([Reply(custom=flags)])[0].text == "Note #7: 2 passage(s) may be out of scope (legal, transport)."
    )
    assert render_replies([Reply(custom={"type": "something_new"})]) == []


def test_texts_rasa_cut_at_blank_lines_are_joined_again():
    out = render_replies(
        [
            Reply(text="⛔ Not allowed"),
            Reply(text="Because."),
            Reply(text="Menu", buttons=[{"title": "Help", "payload": "/help"}]),
            Reply(text="After the buttons."),
        ]
    )
    assert [(o.text, o.buttons) for o in out] == [
        ("⛔ Not allowed\n\nBecause.\n\nMenu", [("Help", "/help")]),
        ("After the buttons.", []),
    ]


def test_buttons_go_on_the_last_part_of_a_long_message():
    buttons = [{"title": "Submit", "payload": "/note_submit"}]
    out = render_replies([Reply(text="word " * 2000, buttons=buttons), Reply(buttons=buttons)])
    assert [bool(o.buttons) for o in out] == [False, False, True, True]
    assert out[2].buttons == [("Submit", "/note_submit")] and out[3].text == "Choose one:"


def test_long_button_payloads_fit_telegram_callback_data():
    payloads = CallbackPayloads(size=2)
    short = '/note_details{"flag_number": "1"}'
    assert payloads.encode(short) == short
    long = '/review_open{"review_note_id": "12345", "extra": "' + "x" * 80 + '"}'
    key = payloads.encode(long)
    assert len(key.encode()) <= 64 and payloads.decode(key) == long
    payloads.encode("~a"), payloads.encode("~b")  # pushes the long one out
    assert payloads.decode(key) is None


# --- flood control, Rasa outages, Telegram retries ------------------------------------------------


def test_rate_limit_warns_once_then_drops_until_the_window_frees(db_url):
    now = [1_700_000_000.0]
    limiter = RateLimiter(limit=3, window=60, clock=lambda: now[0])
    assert [limiter.check(1) for _ in range(6)] == ["ok", "ok", "ok", "warn", "drop", "drop"]
    assert limiter.check(2) == "ok"  # per user
    assert RateLimiter(limit=3, window=60, clock=lambda: now[0]).check(1) == "drop"  # a restarted bridge too
    now[0] += 61
    assert limiter.check(1) == "ok"


async def test_a_silent_or_missing_rasa_is_reported_as_unavailable():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()  # accepts connections, never answers
    port = listener.getsockname()[1]
    try:
        with pytest.raises(RasaUnavailable):
            await AsyncRasa(f"http://127.0.0.1:{port}", timeout=1).send("telegram:1", "hi")
    finally:
        listener.close()
    with pytest.raises(RasaUnavailable):
        await AsyncRasa(f"http://127.0.0.1:{port}", timeout=1).send("telegram:1", "hi")


@pytest.fixture
def fake_api():
    from tests.fakes.telegram_api import FakeTelegramAPI

    api = FakeTelegramAPI().start()
    yield api
    api.stop()


async def test_telegram_errors_are_retried_with_backoff(fake_api):
    config = TelegramConfig(token=fake_api.token, api_url=fake_api.url, retry_delay=0.05)
    fake_api.fail_next("sendMessage", times=2)
    fake_api.fail_next("sendChatAction", retry_after=1)
    async with config.bot() as bot:
        message = await call_with_retry(bot.send_message, chat_id=5, text="hello", delay=0.05)
        assert message.text == "hello"
        await call_with_retry(bot.send_chat_action, chat_id=5, action="typing", delay=0.05)
        fake_api.fail_next("sendMessage", times=5)
        from telegram.error import NetworkError

        with pytest.raises(NetworkError):
            await call_with_retry(bot.send_message, chat_id=5, text="never", retries=2, delay=0.01)
    assert len(fake_api.calls_of("sendMessage")) == 3 + 3
    assert len(fake_api.calls_of("sendChatAction")) == 2
    assert [m["text"] for m in fake_api.messages_to(5)] == ["hello"]
