"""The action reply check built once (addons/action_replies.py) accepts and rejects exactly
what Rasa's own check does, with the same error."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from addons import action_replies

VALID = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "note_id", "value": 3.0}], "responses": [{"text": "hi"}]},
    {
        "events": [{"event": "active_loop", "name": None}, {"event": "reset_slots"}],
        "responses": [{"text": "x", "buttons": [{"title": "a", "payload": "/b"}]}],
    },
    {},
]
INVALID = [
    {"events": "not a list", "responses": []},
    {"events": [{"event": "no_such_event"}], "responses": []},
    {"events": [{"event": "slot", "value": 1}], "responses": []},  # a slot event needs a name
    {"events": [], "responses": ["a string, not an object"]},
    "not an object",
]


def _rasa_check(reply):
    return action_replies.RASA_VALIDATE_ACTION_RESULT(RemoteAction("action_x", None), reply)


@pytest.mark.parametrize("reply", VALID)
def test_valid_replies_pass_both_checks(reply):
    assert _rasa_check(reply) is True
    assert action_replies.validate_reply(reply) is True


@pytest.mark.parametrize("reply", INVALID)
def test_invalid_replies_are_rejected_with_rasas_error(reply):
    with pytest.raises(ValidationError) as rasa_error:
        _rasa_check(reply)
    with pytest.raises(ValidationError) as ours:
        action_replies.validate_reply(reply)
    assert ours.value.message == rasa_error.value.message
    assert "Failed to validate Action server response" in ours.value.message
    assert list(ours.value.path) == list(rasa_error.value.path)


def test_installed_remote_actions_use_the_validator_built_once():
    action_replies.install()
    action_replies.install()  # twice is harmless
    assert action_replies.installed()
    assert action_replies.reply_validator() is action_replies.reply_validator()
    action = RemoteAction("validate_note_form", None)
    assert action._validate_action_result({"events": [], "responses": []}) is True
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": [{"event": "no_such_event"}]})
