"""The REST channel, hardened: bad input gets a clear answer, and no message text is logged.

Registered in credentials.yml under its class path; it keeps the name ``rest``, so the
webhook stays at ``/webhooks/rest/webhook``.
"""

from __future__ import annotations

import logging
from asyncio import CancelledError
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request

from bot.textlimits import MAX_MESSAGE_CHARS, clean_message

logger = logging.getLogger(__name__)

MAX_SENDER_CHARS = 128


def _reply(sender: str, text: str) -> list[dict[str, Any]]:
    return [{"recipient_id": sender, "text": text}]


class PeerScopeRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("peerscope_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_request: Request):
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request):
            try:
                body = request.json
            except Exception:  # undecodable bytes or not JSON at all
                return response.json({"error": "the body must be UTF-8 JSON: {\"sender\": ..., \"message\": ...}"},
                                     status=400)
            if not isinstance(body, dict):
                return response.json({"error": "the body must be a JSON object"}, status=400)
            sender, message = body.get("sender"), body.get("message")
            if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
                return response.json({"error": f"'sender' must be a non-empty string of at most "
                                               f"{MAX_SENDER_CHARS} characters"}, status=400)
            if not isinstance(message, str):
                return response.json({"error": "'message' must be a string"}, status=400)
            message = clean_message(message)
            if not message:
                return response.json(_reply(sender, "I didn't receive any text. Type \"help\" to see what I can do."))
            if len(message) > MAX_MESSAGE_CHARS:
                return response.json(_reply(
                    sender,
                    f"That message is too long for me ({len(message):,} characters; the limit is "
                    f"{MAX_MESSAGE_CHARS:,}). Please send a shorter message, or a long note in parts.",
                ))
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else None
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(message, collector, sender, input_channel=self.name(), metadata=metadata)
                )
            except CancelledError:
                logger.error("rest channel: handling a message timed out")
                return response.json(_reply(sender, "Sorry, that took too long. Please try again."), status=503)
            except Exception as exc:  # never log the message text
                logger.error("rest channel: handling a message failed (%s)", type(exc).__name__)
                return response.json(_reply(sender, "Sorry, something went wrong. Please try again."), status=500)
            return response.json(collector.messages)

        return webhook
