"""The action server: rasa_sdk's executor behind a token check, with failures that never
reach a log as anything but their type.

rasa_sdk's own server (``python -m rasa_sdk``) accepts a tracker from anyone who can
reach its port, allows CORS from any origin, and on an error logs the request and sends
the whole tracker back in the 500 response, which Rasa may log in turn. This server:

- refuses every call without ``X-PeerScope-Action-Token`` (bot.auth; Rasa sends it, see
  bot.channels.servers) with 401, and any call from a web page (``Origin``) with 403;
- catches any exception an action raises, logs its type and the action name with a short
  reference, and answers the user with a safe message quoting that reference;
- never logs a tracker, a message or a note;
- runs an action call once per message: the same call made again (HAProxy's retry, a turn
  handled again after its Rasa instance died) gets the stored answer (addons/action_once.py);
- with ``PEERSCOPE_ACTION_TIMING=1``, logs each call's action name and time (for
  scripts/profile_turn.py; names and milliseconds only).

Run it as ``python -m addons.action_server --port 5055``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hmac
import json
import logging
import os
import time
import uuid
import zlib

from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException
from sanic import Sanic, response
from sanic.request import Request

from addons import action_once
from bot.auth import ACTION_TOKEN_HEADER, action_token
from bot.store import audit

logger = logging.getLogger("peerscope.actions")

SAFE_REPLY = (
    "Sorry, something went wrong on my side, so that step was not finished. Please try "
    "again in a moment; if it keeps happening, tell your supervisor (reference {ref})."
)


def _action_call(request: Request) -> dict | None:
    try:
        body = request.body or b""
        if request.headers.get("Content-Encoding") == "deflate":
            body = zlib.decompress(body)
        call = json.loads(body)
    except (ValueError, zlib.error):
        return None
    return call if isinstance(call, dict) else None


def safe_replies(call: dict, reference: str) -> list[dict]:
    """What the user gets when an action fails: an apology with the reference, and the
    crisis line when their message has risk language (a failure must not swallow it)."""
    from bot.notes.risk import CRISIS_LINE, missed_risk

    replies = [{"text": SAFE_REPLY.format(ref=reference)}]
    latest = ((call.get("tracker") or {}).get("latest_message") or {}).get("text")
    if missed_risk(call.get("sender_id"), latest):
        replies.append({"text": CRISIS_LINE})
    return replies


def create_app(package: str = "actions", token: str | None = None) -> Sanic:
    token = token or action_token()
    app = Sanic("peerscope_actions", configure_logging=False)
    executor = ActionExecutor()
    executor.register_package(package)
    from bot.settings import load

    timing = load().action_timing

    @app.middleware("request")
    async def require_token(request: Request):
        if request.path == "/health":
            return None
        if request.headers.get("Origin") is not None:
            logger.warning("action server: refused a request from a web page")
            return response.json({"error": "requests from web pages are not accepted"}, status=403)
        if not hmac.compare_digest(request.headers.get(ACTION_TOKEN_HEADER, ""), token):
            logger.warning("action server: refused a request without a valid action token")
            return response.json({"error": "missing or wrong action token"}, status=401)
        return None

    @app.get("/health")
    async def health(_request: Request):
        return response.json({"status": "ok"})

    @app.get("/actions")
    async def actions(_request: Request):
        return response.json([{"name": name} for name in executor.actions])

    @app.post("/webhook")
    async def webhook(request: Request):
        call = _action_call(request)
        if call is None:
            return response.json({"error": "the body must be a JSON action call"}, status=400)
        name = str(call.get("next_action") or "")[:64]
        sender_channel = str(call.get("sender_id") or "").partition(":")[0] or "unknown"
        audit.set_channel(f"chat:{sender_channel}")  # for this request's task only
        started = time.perf_counter()
        key = action_once.call_key(call)
        again = await asyncio.to_thread(action_once.kept, key)  # off the event loop: a disk read
        if again is not None:  # this call was answered before (addons/action_once.py)
            return response.json(again)
        try:
            result = await executor.run(call)
        except ActionExecutionRejection as exc:  # a form rejecting a message: Rasa handles it
            return response.json({"error": exc.message, "action_name": exc.action_name}, status=400)
        except ActionNotFoundException as exc:
            logger.error("action server: no action named %r", exc.action_name)
            return response.json({"error": exc.message, "action_name": exc.action_name}, status=404)
        except Exception as exc:  # never the tracker, the message or the exception's text
            reference = uuid.uuid4().hex[:8]
            logger.error("action %s failed: %s (reference %s)", name, type(exc).__name__, reference)
            return response.json({"events": [], "responses": safe_replies(call, reference)})
        finally:
            if timing:
                logger.info("action call %s: %.1f ms", name, 1000 * (time.perf_counter() - started))
        await asyncio.to_thread(action_once.keep, key, result)  # a commit waits for the disk
        return response.json(result)

    @app.exception(Exception)
    async def on_error(request: Request, exc: Exception):
        logger.error("action server: %s on %s", type(exc).__name__, request.path)
        return response.json({"error": "internal error"}, status=500)

    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m addons.action_server")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default loopback; a private address when HAProxy is on "
        "another host, docs/DEPLOY.md)",
    )
    parser.add_argument("--actions", default="actions")
    args = parser.parse_args(argv)
    os.umask(0o077)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "httpcore", "telegram", "sanic.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    app = create_app(args.actions)  # loads the models (actions/__init__.py)
    gc.collect()
    gc.freeze()  # as in addons.rasa_server: full collections need not walk the loaded models
    logger.info("action server listening on %s:%d", args.host, args.port)
    app.run(args.host, args.port, access_log=False, workers=1, motd=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
