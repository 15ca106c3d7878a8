"""A fake Telegram Bot API server on 127.0.0.1, for testing the bridge with
python-telegram-bot's own HTTP client (point its base_url at ``api.url + "/bot"``).

It runs aiohttp in a thread of its own, records every call, serves queued updates to
getUpdates (long poll with offset and timeout, as Telegram does), and lets a test inject
user messages and button presses, and make the next calls of a method fail.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from aiohttp import web

from bot.channels.servers import free_port

TOKEN = "123456789:TEST-fake-token-for-the-bridge"
BOT_USER = {
    "id": 123456789,
    "is_bot": True,
    "first_name": "PeerScope",
    "username": "peerscope_test_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
# Parameters PTB sends JSON-encoded; everything else (text, ids of callback queries) is a plain string.
JSON_PARAMS = {
    "chat_id",
    "message_id",
    "reply_markup",
    "offset",
    "limit",
    "timeout",
    "allowed_updates",
    "commands",
    "show_alert",
    "drop_pending_updates",
    "cache_time",
}


@dataclass
class Call:
    method: str
    params: dict[str, Any]


class FakeTelegramAPI:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.port = free_port()
        self.calls: list[Call] = []
        self._sent: list[dict] = []  # messages the bot sent, as returned to it
        self._documents: list[dict] = []  # documents the bot sent, with the uploaded bytes
        self._updates: list[dict] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._failures: dict[str, list[tuple[int, dict]]] = {}
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._new_update: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stopping: asyncio.Event | None = None

    @property
    def url(self) -> str:
        """The API root: the bridge uses url + "/bot" as python-telegram-bot's base_url."""
        return f"http://127.0.0.1:{self.port}"

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> "FakeTelegramAPI":
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve()), daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the fake Telegram API did not start")
        return self

    def stop(self) -> None:
        if self._loop and self._stopping:
            self._loop.call_soon_threadsafe(self._stopping.set)
        if self._thread:
            self._thread.join(10)

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._new_update = asyncio.Event()
        self._stopping = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()
        self._ready.set()
        await self._stopping.wait()
        await runner.cleanup()

    # --- the API ---------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        params = await self._params(request)
        with self._lock:
            self.calls.append(Call(method, params))
            failures = self._failures.get(method.lower())
            failure = failures.pop(0) if failures else None
        if failure:
            status, body = failure
            return web.json_response(body, status=status)
        handler = getattr(self, f"_api_{method.lower()}", None)
        result = await handler(params) if handler else True
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    async def _params(request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return await request.json()
        form = await request.post()
        params: dict[str, Any] = {}
        for key, value in form.items():
            if isinstance(value, web.FileField):  # an uploaded file: kept as its name and bytes
                value = {"filename": value.filename, "bytes": value.file.read()}
            elif key in JSON_PARAMS and isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    pass
            params[key] = value
        return params

    async def _api_getme(self, params: dict) -> dict:
        return BOT_USER

    async def _api_getupdates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        while True:
            with self._lock:
                if offset:
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                ready = list(self._updates)
                self._new_update.clear()
            remaining = deadline - time.monotonic()
            if ready or remaining <= 0:
                return ready
            try:
                await asyncio.wait_for(self._new_update.wait(), timeout=remaining)
            except asyncio.TimeoutError:
                pass

    async def _api_sendmessage(self, params: dict) -> dict:
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": int(params["chat_id"]), "type": "private"},
            "from": {k: BOT_USER[k] for k in ("id", "is_bot", "first_name", "username")},
            "text": params.get("text", ""),
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        with self._lock:
            self._sent.append(message)
        return message

    async def _api_senddocument(self, params: dict) -> dict:
        upload = params.get("document")
        if not isinstance(upload, dict):
            raise web.HTTPBadRequest(text="the fake API takes uploaded documents only")
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": int(params["chat_id"]), "type": "private"},
            "from": {k: BOT_USER[k] for k in ("id", "is_bot", "first_name", "username")},
            "document": {
                "file_id": f"doc{len(self._documents) + 1}",
                "file_unique_id": f"u{len(self._documents) + 1}",
                "file_name": upload["filename"],
                "mime_type": "application/pdf",
                "file_size": len(upload["bytes"]),
            },
            "caption": params.get("caption", ""),
        }
        with self._lock:
            self._documents.append({**message, "bytes": upload["bytes"]})
        return message

    async def _api_editmessagereplymarkup(self, params: dict) -> dict:
        sent = self.sent_message(int(params["message_id"]))
        edited = dict(
            sent
            or {
                "message_id": int(params["message_id"]),
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
            }
        )
        edited.pop("reply_markup", None)
        if params.get("reply_markup"):
            edited["reply_markup"] = params["reply_markup"]
        return edited

    async def _api_getwebhookinfo(self, params: dict) -> dict:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": len(self._updates)}

    # --- what the test does ------------------------------------------------------------------

    def _push(self, update: dict) -> dict:
        with self._lock:
            update["update_id"] = next(self._update_ids)
            self._updates.append(update)
        self._loop.call_soon_threadsafe(self._new_update.set)
        return update

    @staticmethod
    def user(user_id: int, first_name: str = "Test", last_name: str | None = None) -> dict:
        user = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        return user

    def send_text(self, user_id: int, text: str, first_name: str = "Test", last_name: str | None = None) -> dict:
        """A private message from a user, as a Telegram update (commands get their entity)."""
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": first_name},
            "from": self.user(user_id, first_name, last_name),
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return self._push({"message": message})

    def resend(self, update: dict) -> dict:
        """Deliver an update again, as Telegram does when the bridge's confirmation was lost:
        the same message (chat and message id), a new update id."""
        return self._push({k: v for k, v in update.items() if k != "update_id"})

    def press(self, user_id: int, message: dict, data: str) -> dict:
        """A press on an inline button of ``message`` (a sendMessage call's recorded result)."""
        return self._push(
            {
                "callback_query": {
                    "id": f"cq{next(self._message_ids)}",
                    "from": self.user(user_id),
                    "chat_instance": str(user_id),
                    "message": message,
                    "data": data,
                }
            }
        )

    def fail_next(self, method: str, times: int = 1, status: int = 502, retry_after: int | None = None) -> None:
        """Make the next ``times`` calls of ``method`` fail (502 Bad Gateway, or 429 flood control)."""
        if retry_after is not None:
            status, body = (
                429,
                {
                    "ok": False,
                    "error_code": 429,
                    "description": "Too Many Requests",
                    "parameters": {"retry_after": retry_after},
                },
            )
        else:
            body = {"ok": False, "error_code": status, "description": "Bad Gateway"}
        with self._lock:
            self._failures.setdefault(method.lower(), []).extend([(status, body)] * times)

    # --- reading what the bridge did ----------------------------------------------------------

    def calls_of(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method.lower() == method.lower()]

    def messages_to(self, chat_id: int) -> list[dict]:
        """The sendMessage calls to a chat, in order, as the messages the server returned
        (with message_id, text and reply_markup). Failed attempts are left out."""
        with self._lock:
            return [m for m in self._sent if m["chat"]["id"] == chat_id]

    def documents_to(self, chat_id: int) -> list[dict]:
        """The sendDocument calls to a chat, in order: the message returned, plus ``bytes``
        (what was uploaded)."""
        with self._lock:
            return [d for d in self._documents if d["chat"]["id"] == chat_id]

    def sent_message(self, message_id: int) -> dict | None:
        with self._lock:
            return next((m for m in self._sent if m["message_id"] == message_id), None)

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 60, what: str = "") -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = predicate()
            if result:
                return result
            time.sleep(0.1)
        raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what or predicate}")

    def wait_for_messages(self, chat_id: int, count: int, timeout: float = 60) -> list[dict]:
        """Wait until at least ``count`` messages went to the chat; return them all."""
        return self.wait_for(
            lambda: (lambda ms: ms if len(ms) >= count else None)(self.messages_to(chat_id)),
            timeout,
            f"{count} message(s) to chat {chat_id}",
        )
