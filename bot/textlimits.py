"""Limits and clean-up for text people send, shared by every channel."""

from __future__ import annotations

import re
import unicodedata

# A long progress note is a few thousand words; anything bigger is pasted by mistake.
MAX_MESSAGE_CHARS = 20_000

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def clean_message(text: str) -> str:
    """Normalise Unicode, drop control and bidi-override characters, trim. Keeps newlines and tabs."""
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub("", text)
    return text.strip()
