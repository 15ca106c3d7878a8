"""Proof that a request comes from one of PeerScope's own processes.

PeerScope's processes (the Telegram bridge, the terminal chat, the Rasa server, the
action server, the CLI) run as one OS account and share a random key in
``var/secret.key`` (mode 0600, in a 0700 directory). Nobody else on the machine can
read it, so:

- a message sent to Rasa's REST channel carries ``X-PeerScope-Signature``: an
  HMAC-SHA256 over a timestamp and the exact request body. Rasa refuses a request
  without a valid, fresh signature, so a local process of another user, or a web page
  in a browser, cannot speak as a staff member;
- Rasa calls the action server with ``X-PeerScope-Action-Token``, a key derived from
  the secret; the action server refuses calls without it.

See docs/SECURITY.md for what this does and does not defend against.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
import time
from pathlib import Path

from bot.paths import var_dir

SECRET_FILE = "secret.key"
SIGNATURE_HEADER = "X-PeerScope-Signature"
ACTION_TOKEN_HEADER = "X-PeerScope-Action-Token"
MAX_SKEW_SECONDS = 300


class SecretError(RuntimeError):
    """The shared secret is missing, unreadable or readable by others (one-line message)."""


def secret_path() -> Path:
    return var_dir() / SECRET_FILE


def secret() -> bytes:
    """The shared key, created on first use (32 random bytes, owner-only)."""
    path = secret_path()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "wb") as handle:
            handle.write(os.urandom(32).hex().encode())
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        raise SecretError(f"cannot read {path}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO) or info.st_uid != os.getuid():
            raise SecretError(f"{path} must belong to this user and be readable by nobody else " f"(chmod 600 {path})")
        key = handle.read().strip()
    if len(key) < 32:
        raise SecretError(f"{path} is too short to be a PeerScope key; delete it to make a new one")
    return key


def derived_key(purpose: str) -> str:
    return hmac.new(secret(), purpose.encode(), hashlib.sha256).hexdigest()


def action_token() -> str:
    return derived_key("action-server")


def _mac(timestamp: int, body: bytes) -> str:
    return hmac.new(secret(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(body: bytes, now: float | None = None) -> str:
    """The signature header value for ``body``."""
    timestamp = int(time.time() if now is None else now)
    return f"t={timestamp},s={_mac(timestamp, body)}"


def check_signature(body: bytes, header: str | None, now: float | None = None) -> str | None:
    """None when ``header`` is a valid, fresh signature of ``body``; else why not (no secrets)."""
    if not header:
        return "unsigned"
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return "malformed signature"
    if abs((time.time() if now is None else now) - timestamp) > MAX_SKEW_SECONDS:
        return "stale signature"
    if not hmac.compare_digest(parts.get("s", ""), _mac(timestamp, body)):
        return "bad signature"
    return None


def confirm_code(purpose: str, *parts: object, length: int = 16) -> str:
    """A short code that only PeerScope's processes can make: an HMAC over ``purpose`` and
    ``parts`` with the shared key. A confirm button carries it, so a typed message naming
    the same things (a plan id and its hash) is not taken for a press of that button."""
    message = "\x1f".join([purpose, *(str(p) for p in parts)]).encode()
    return hmac.new(secret(), message, hashlib.sha256).hexdigest()[:length]


def check_confirm_code(code: str, purpose: str, *parts: object, length: int = 16) -> bool:
    """True when ``code`` is :func:`confirm_code` of the same purpose and parts."""
    expected = confirm_code(purpose, *parts, length=length)
    return len(code or "") == len(expected) and hmac.compare_digest(code, expected)
