"""Note scope checker: flags out-of-scope passages in progress-note drafts.

Public API: :func:`get_checker`, :class:`NoteChecker`, :class:`Flag`, ``CATEGORIES``.
The data (cues, rules, citations, suggestions) lives in knowledge/note_checks.
"""

from .checker import Flag, NoteChecker, get_checker
from .config import CATEGORIES

__all__ = ["CATEGORIES", "Flag", "NoteChecker", "get_checker"]
