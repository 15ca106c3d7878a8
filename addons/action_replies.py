"""Check action server replies against Rasa's schema with a validator built once.

Rasa 3.6 checks every reply from the action server (``RemoteAction._validate_action_result``
in rasa/core/actions/action.py) with ``jsonschema.validate(reply, schema)``. That helper
first checks the *schema* against its meta-schema and builds a new validator, on every
call: for Rasa's events schema (a ``oneOf`` over every event type) that was about 19 ms of
CPU per action call here, a third of the Rasa process's CPU under load ("check my note" makes
three calls). Rasa has no setting for it, so ``install()`` replaces that one method with one
that uses a validator built once from the same schema (``RemoteAction.action_response_format_spec``)
and the same checks: the first error is chosen by ``jsonschema.exceptions.best_match`` and
raised with Rasa's own hint appended, as before. Only the schema check is done once; every
reply is still checked in full.

``addons.rasa_server`` calls ``install()`` before Rasa starts. Nothing else changes in Rasa.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonschema import exceptions, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

# Rasa's own method, kept for the tests that compare the two.
RASA_VALIDATE_ACTION_RESULT = RemoteAction.__dict__["_validate_action_result"]

HINT = (
    ". Failed to validate Action server response from API, make sure your response from the "
    f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
)


@lru_cache(maxsize=1)
def reply_validator():
    """The validator for Rasa's action reply schema, its schema checked once."""
    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_reply(reply: Any) -> bool:
    """What ``jsonschema.validate(reply, schema)`` does, without rebuilding the validator:
    True for a valid reply, else the best-matching ``ValidationError`` with Rasa's hint."""
    validator = reply_validator()
    if validator.is_valid(reply):
        return True
    error = exceptions.best_match(validator.iter_errors(reply))
    error.message += HINT
    raise error


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    return validate_reply(result)


def install() -> None:
    """Make every RemoteAction (custom actions and form validation) use the cached validator."""
    RemoteAction._validate_action_result = _validate_action_result


def installed() -> bool:
    return RemoteAction.__dict__["_validate_action_result"] is _validate_action_result
