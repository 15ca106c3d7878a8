"""The safety feature's API for chat: what a risk-of-harm message means (bot.notes.risk),
the crisis replies quoting the reporting duty from the policies, and supervisors' risk
alerts (raised, listed, acknowledged). One database session per call; never the words.
"""

from __future__ import annotations

from bot.store import alerts as alert_repo
from bot.store import session_scope
from bot.store.access import AccessDenied, NotFound
from bot.store.models import Staff

ERRORS = (AccessDenied, NotFound)

LIFELINE = "988 Suicide & Crisis Lifeline: call or text 988, any time."
EMERGENCY = "If anyone is in immediate danger, call 911."


def finding(text: str):
    """(about, citations, tier) of a risk-of-harm message; never raises."""
    from bot.notes.risk import risk_citations, risk_in

    try:
        found = risk_in(text)
    except Exception:  # the reply must go out even if the checker fails
        found = None
    about = found.about if found else "unknown"
    citations = found.citations if found and found.citations else risk_citations()
    tier = found.tier if found else "risk"  # unsure why we are here: treat it as risk
    return about, tuple(citations), tier


def duty_lines(citations) -> list[str]:
    """The reporting duties, quoted verbatim with their source (the first two risk citations)."""
    reporting = [c for c in citations if "report" in c["quote"].lower()] or list(citations)[:1]
    return [f"\"{c['quote']}\" ({c['source']}, {c['section']})" for c in reporting[:2]]


def check_text(citations) -> str:
    """``risk_possible``: the words may describe a risk of harm; the user is asked to check."""
    lines = [
        "⚠️ Before we go on: what you wrote may describe a risk of harm to you or someone else. " "If it does:",
        f"📞 {EMERGENCY} {LIFELINE}",
    ]
    lines += [f"• {d}" for d in duty_lines(citations)]
    lines.append("If it doesn't, tap \"I'm OK\" and we'll carry on.")
    return "\n".join(lines)


def crisis_text(about: str, citations, alert_recorded: bool) -> str:
    duties = duty_lines(citations)
    if about == "self":
        lines = [
            "I'm stopping what we were doing, because what you wrote sounds like you may be thinking "
            "about harming yourself. Thank you for saying it. You don't have to handle this alone.",
            f"📞 {LIFELINE} {EMERGENCY}",
            "The policies ask that a risk of imminent harm to self or others be reported to the proper "
            "authorities and the supervisor:",
        ]
    else:
        lines = [
            "⚠️ I'm stopping what we were doing: what you wrote sounds like someone may be at risk of harm.",
            f"📞 {EMERGENCY} {LIFELINE} You can call or text together with the person you support.",
            "Your duty under the policies:",
        ]
    lines += [f"• {d}" for d in duties]
    if about != "self":
        lines.append("Tell your supervisor now, and follow your agency's crisis and reporting protocol.")
    if alert_recorded:
        lines.append(
            "I've recorded a risk alert for your supervisor (only that it happened and when, " "not your words)."
        )
    lines.append("When you're ready, we can go back to what we were doing.")
    return "\n".join(lines)


def fine_text(open_about: list[str]) -> str:
    if not open_about:
        return 'Good to hear. Type "help" for the menu.'
    if any(a != "self" for a in open_about):
        return (
            "Thanks for telling me. The risk alert about the person you support stays open until your "
            "supervisor acknowledges it, so please still talk with them today. "
            f"{LIFELINE}"
        )
    return "I'm glad to hear that. The alert stays open until your supervisor checks in with you. " f"{LIFELINE}"


def raise_alert(staff_id: int, about: str) -> bool:
    """Record a risk alert for the staff member's supervisor; False if it could not be
    recorded (the crisis reply must never fail on the database)."""
    try:
        with session_scope() as session:
            alert_repo.raise_alert(session, staff_id, about)
    except Exception:
        return False
    return True


def open_about(staff_id: int) -> list[str]:
    """Whom the staff member's open alerts are about (self, client, unknown)."""
    with session_scope() as session:
        return alert_repo.open_about(session, staff_id)


def open_alerts(staff_id: int) -> tuple[list[int], list[str]]:
    """The open alerts a supervisor may see: their ids and one line each."""
    with session_scope() as session:
        rows = alert_repo.visible(session, session.get(Staff, staff_id))
        names = {s.id: s.name for s in session.query(Staff).filter(Staff.id.in_({r.staff_id for r in rows}))}
        return [r.id for r in rows], [alert_repo.describe(r, names) for r in rows]


def acknowledge(staff_id: int, alert_id: int) -> None:
    with session_scope() as session:
        alert_repo.acknowledge(session, session.get(Staff, staff_id), alert_id)
