"""A WRSP plan's PDF for the bridge, which alone can send a file: "export my plan",
"export plan 12" and ``/export [12]``."""

from __future__ import annotations

import re

EXPORT_REFUSED = (
    "Plan #{plan_id} isn't one you can export: a plan's PDF goes only to the peer who wrote it, "
    "their supervisor or an admin."
)
EXPORT_FAILED = "I couldn't make that PDF just now. Please try again shortly, or ask your supervisor."


# "export my plan", "export plan 12", "export plan #12 as a PDF": answered by the bridge itself,
# which alone can send a file (the assistant's replies are text and buttons).
EXPORT_TEXT = re.compile(
    r"^\s*(?:please\s+)?export\s+(?:my\s+|the\s+)?(?:wrsp\s+)?plan"
    r"(?:\s+(?:#\s*|no\.?\s*|number\s+)?(?P<plan_id>\d{1,9}))?(?:\s+(?:as\s+)?(?:a\s+)?pdf)?"
    r"(?:\s*,?\s*please)?\s*[.!]?\s*$",
    re.IGNORECASE,
)


def export_request(text: str | None) -> tuple[bool, int | None]:
    """(True, plan id or None) when ``text`` asks for a plan's PDF ("export my plan",
    "export plan 12", "/export 12" without the slash), else (False, None)."""
    match = EXPORT_TEXT.match(text or "")
    if not match:
        return False, None
    return True, int(match["plan_id"]) if match["plan_id"] else None


def plan_pdf(staff_id: int, plan_id: int | None) -> tuple[int, str, bytes] | str:
    """The plan's PDF for a signed-in staff member (bot.wrsp.export.pdf_for_chat, the same
    export the command line uses: access-checked and audited), or the message to send
    instead. A plan that does not exist and one the person may not see get the same
    refusal, so the answer does not tell which plan numbers exist."""
    from bot.store import access, session_scope
    from bot.wrsp.export import ExportChoice, pdf_for_chat

    try:
        with session_scope() as session:
            return pdf_for_chat(session, access.actor(session, staff_id), plan_id)
    except (access.AccessDenied, access.NotFound):
        return EXPORT_REFUSED.format(plan_id=plan_id if plan_id is not None else "?")
    except ExportChoice as exc:
        return str(exc)
