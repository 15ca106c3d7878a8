"""The REST channel, hardened: only PeerScope's own processes may speak through it, bad
input gets a clear answer, and no message text is logged.

Every request must carry a valid, fresh ``X-PeerScope-Signature`` (bot.auth): the Telegram
bridge and the terminal chat sign with the key in var/, which only PeerScope's OS account
can read. Unsigned or mis-signed requests get 401, requests from a web browser (any
``Origin`` header) get 403; both are audited. The sender id in a signed request is
trusted: the signing process has already proven it (Telegram's user id, the OS login).

Registered in credentials.yml under its class path; it keeps the name ``rest``, so the
webhook stays at ``/webhooks/rest/webhook``.
"""

from __future__ import annotations

import logging
import re
import time
from asyncio import CancelledError
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request

from addons.message_once import handle_once
from bot.auth import SIGNATURE_HEADER, SecretError, check_signature
from bot.textlimits import MAX_MESSAGE_CHARS, clean_message

logger = logging.getLogger(__name__)

MAX_SENDER_CHARS = 128
MESSAGE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# on an answer given again from the stored reply of a message handled before (addons.message_once)
REPLAY_HEADER = "X-PeerScope-Replayed"


def _reply(sender: str, text: str, message: str = "") -> list[dict[str, Any]]:
    """A reply the channel gives by itself; with the crisis line when ``message`` has risk language."""
    from bot.notes.risk import CRISIS_LINE, missed_risk

    replies = [{"recipient_id": sender, "text": text}]
    if message and missed_risk(sender, message):
        replies.append({"recipient_id": sender, "text": CRISIS_LINE})
    return replies


NO_REPLY = "Sorry, I couldn't answer that just now. Please try again in a moment; nothing you saved is lost."


def refusal(request: Request) -> tuple[int, str] | None:
    """(HTTP status, reason) when the request must not be handled; None when it is signed."""
    if request.headers.get("Origin") is not None:
        return 403, "requests from web pages are not accepted"
    try:
        reason = check_signature(request.body or b"", request.headers.get(SIGNATURE_HEADER))
    except SecretError as exc:
        logger.error("rest channel: %s", exc)
        return 503, "the assistant is not set up to check who is asking"
    return (401, reason) if reason else None


def audit_refusal(status: int, reason: str) -> None:
    try:
        from bot.store import audit, session_scope

        with session_scope() as session:
            audit.record(
                session,
                "rest.refused",
                actor_id=None,
                outcome="denied",
                channel="rest",
                detail={"status": status, "reason": reason},
            )
    except Exception as exc:  # the refusal stands even if it cannot be recorded
        logger.error("rest channel: could not audit a refused request (%s)", type(exc).__name__)


WARM_UP_TEXT = "hello"


async def warm_up_nlu(agent) -> None:
    """Run the NLU pipeline once on a fixed greeting when the server starts, so the first
    person's message does not pay for what is built on first use (DIET's TensorFlow function
    is traced on its first prediction: about half a second here). Parsing touches no
    conversation. Failures are logged by type and never stop the server."""
    if agent is None or not agent.is_ready():
        return
    started = time.perf_counter()
    try:
        await agent.parse_message(WARM_UP_TEXT)
    except Exception as exc:
        logger.error("rest channel: NLU warm-up failed (%s)", type(exc).__name__)
        return
    logger.info("rest channel: NLU warmed up in %.1f s", time.perf_counter() - started)


class PeerScopeRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("peerscope_rest_webhook", __name__)

        @webhook.listener("after_server_start")
        async def warm_up(app, _loop) -> None:
            await warm_up_nlu(getattr(app.ctx, "agent", None))

        @webhook.route("/", methods=["GET"])
        async def health(_request: Request):
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request):
            refused = refusal(request)
            if refused:
                status, reason = refused
                logger.warning("rest channel: refused a request (%s)", reason)
                audit_refusal(status, reason)
                return response.json({"error": f"not allowed: {reason}"}, status=status)
            try:
                body = request.json
            except Exception:  # undecodable bytes or not JSON at all
                return response.json(
                    {"error": 'the body must be UTF-8 JSON: {"sender": ..., "message": ...}'}, status=400
                )
            if not isinstance(body, dict):
                return response.json({"error": "the body must be a JSON object"}, status=400)
            sender, message = body.get("sender"), body.get("message")
            if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
                return response.json(
                    {"error": f"'sender' must be a non-empty string of at most " f"{MAX_SENDER_CHARS} characters"},
                    status=400,
                )
            if not isinstance(message, str):
                return response.json({"error": "'message' must be a string"}, status=400)
            message = clean_message(message)
            if not message:
                return response.json(_reply(sender, 'I didn\'t receive any text. Type "help" to see what I can do.'))
            if len(message) > MAX_MESSAGE_CHARS:
                return response.json(
                    _reply(
                        sender,
                        f"That message is too long for me ({len(message):,} characters; the limit is "
                        f"{MAX_MESSAGE_CHARS:,}). Please send a shorter message, or a long note in parts.",
                        message,  # too long to handle, never too long for the crisis line
                    )
                )
            message_id = body.get("message_id")
            if message_id is not None and (not isinstance(message_id, str) or not MESSAGE_ID.fullmatch(message_id)):
                return response.json({"error": "'message_id' must be 1 to 64 letters, digits or . _ : -"}, status=400)

            async def handle() -> tuple[int, list[dict[str, Any]], bool]:
                """(HTTP status, replies, whether a repeat of the message gets the same answer)"""
                collector = CollectingOutputChannel()
                try:
                    await on_new_message(
                        UserMessage(  # metadata is never kept
                            message, collector, sender, input_channel=self.name(), message_id=message_id
                        )
                    )
                except CancelledError:
                    logger.error("rest channel: handling a message timed out")
                    return 503, _reply(sender, "Sorry, that took too long. Please try again.", message), False
                except Exception as exc:  # never log the message text
                    logger.error("rest channel: handling a message failed (%s)", type(exc).__name__)
                    return 500, _reply(sender, "Sorry, something went wrong. Please try again.", message), False
                if not collector.messages:  # e.g. the action server is down: never silence; a retry tries again
                    return 200, _reply(sender, NO_REPLY, message), False
                return 200, collector.messages, True

            if message_id is None:  # a client that gives no id: handled as it comes
                status, replies, _ = await handle()
                return response.json(replies, status=status)
            (status, replies), replayed = await handle_once(sender, message_id, handle)
            if status == 503 and not replies:
                replies = _reply(sender, "Sorry, that took too long. Please try again.", message)
            return response.json(replies, status=status, headers={REPLAY_HEADER: "1"} if replayed else None)

        return webhook
