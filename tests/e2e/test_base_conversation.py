"""The base conversation over the live REST webhook."""

from __future__ import annotations

import json

import httpx

MENU_PAYLOADS = {"/ask_policy_start", "/check_note", "/wrsp_start", "/onboarding_start", "/review_queue"}


def test_hi_and_help_show_the_menu(live):
    for text in ("hi", "help"):
        replies = live.say("rest:pat", text)
        assert {b["payload"] for b in live.buttons(replies)} == MENU_PAYLOADS
        assert "Pat" in live.texts(replies)


def test_what_can_you_do_lists_the_four_jobs(live):
    text = live.texts(live.say("rest:pat", "what can you do")).lower()
    for job in ("policy", "note", "wrsp", "onboard"):
        assert job in text


def test_bot_challenge_and_goodbye(live):
    assert "bot" in live.texts(live.say("rest:pat", "are you a bot?")).lower()
    assert "goodbye" in live.texts(live.say("rest:pat", "bye")).lower()


def test_chitchat_is_declined_politely_with_the_menu(live):
    replies = live.say("rest:pat", "tell me a joke")
    assert "can't help with that" in live.texts(replies)
    assert live.buttons(replies)


def test_an_unlinked_account_is_told_how_to_get_access(live):
    assert "invite" in live.texts(live.say("rest:stranger", "hello")).lower()


def test_cancel_answers_and_shows_the_menu(live):
    replies = live.say("rest:pat", "cancel")
    assert "Stopped" in live.texts(replies) and live.buttons(replies)


def test_bad_input_gets_a_clear_answer_and_the_server_keeps_going(live):
    empty = live.post(json.dumps({"sender": "rest:pat", "message": "   "}).encode())
    assert empty.status_code == 200 and "didn't receive any text" in empty.json()[0]["text"]

    huge = live.post(json.dumps({"sender": "rest:pat", "message": "a" * 50_000}).encode())
    assert huge.status_code == 200 and "too long" in huge.json()[0]["text"]
    crisis = live.post(
        json.dumps(
            {
                "sender": "rest:newcomer",  # no staff record: no alert to clean up
                "message": "I want to kill myself tonight. " + "so tired " * 6000,
            }
        ).encode()
    )
    assert "too long" in crisis.json()[0]["text"] and "988" in live.texts(crisis.json())

    bad = live.post(b'{"sender": "rest:pat", "message": "\xff\xfe caf\xe9"}')
    assert bad.status_code == 400 and "UTF-8" in bad.json()["error"]

    for body in (b"not json", b"[1, 2]", b'{"sender": 5, "message": "hi"}', b'{"sender": "x"}'):
        assert live.post(body).status_code == 400

    assert live.buttons(live.say("rest:pat", "help"))  # still answering


def test_http_api_needs_the_token_and_the_tracker_is_stored_in_sql(live):
    live.say("rest:ola", "hello")
    url = f"{live.servers.rasa_url}/conversations/rest:ola/tracker"
    assert httpx.get(url, timeout=10).status_code == 401
    ok = httpx.get(url, params={"token": live.servers.auth_token}, timeout=10)
    assert ok.status_code == 200 and ok.json()["sender_id"] == "rest:ola"
    count = live.tracker_rows("select count(*) from events where sender_id = 'rest:ola'")[0][0]
    assert count > 0
