"""actions.common.message_inside_loop: is the latest message an answer to the form that is
running now (not the message that opens it, and not an answer to an earlier run)?"""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.common import message_inside_loop


def _tracker(*events: dict) -> Tracker:
    return Tracker("rest:pat", {}, {}, list(events), False, None, {}, "action_listen")


def _user(text: str) -> dict:
    return {"event": "user", "text": text}


def _loop(name: str | None) -> dict:
    return {"event": "active_loop", "name": name}


def test_the_message_that_opens_the_form_is_not_an_answer():
    assert not message_inside_loop(_tracker(_user("check my note")), "note_form")


def test_a_message_after_the_form_opened_is_an_answer():
    assert message_inside_loop(_tracker(_user("check my note"), _loop("note_form"), _user("the note")), "note_form")


def test_opening_the_form_a_second_time_is_not_an_answer_to_the_first_run():
    events = [_user("check my note"), _loop("note_form"), _user("the note"), _loop(None), _user("check my note")]
    assert not message_inside_loop(_tracker(*events), "note_form")
    assert message_inside_loop(_tracker(*events, _loop("note_form"), _user("second note")), "note_form")


def test_another_form_opened_since_does_not_count():
    events = [_loop("note_form"), _loop("wrsp_form"), _user("start a wrsp")]
    assert not message_inside_loop(_tracker(*events), "note_form")
