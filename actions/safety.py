"""Crisis language in any conversation, the follow-up, and supervisors' risk alerts.

addons/risk.py turns a message with risk-of-harm language into ``risk_disclosure``
(and lets it interrupt a form). This action answers with the 988 Lifeline, the
reporting duty quoted from the policies (the risk note check's own citations),
records a risk alert for the supervisor (never the words), stops the active form
(answers already saved stay saved) and offers the way back.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import CurrentStaff, current_staff, latest_text, payload, staff_row
from bot.store import alerts as alert_repo
from bot.store import session_scope
from bot.store.access import AccessDenied, NotFound
from bot.store.models import Staff

LIFELINE = "988 Suicide & Crisis Lifeline: call or text 988, any time."
EMERGENCY = "If anyone is in immediate danger, call 911."


def _finding(text: str):
    from bot.notes.risk import risk_citations, risk_in

    try:
        finding = risk_in(text)
    except Exception:  # the reply must go out even if the checker fails
        finding = None
    about = finding.about if finding else "unknown"
    citations = finding.citations if finding and finding.citations else risk_citations()
    tier = finding.tier if finding else "risk"  # unsure why we are here: treat it as risk
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


def resume_buttons(active_loop: str | None, plan_id: Any = None) -> list[dict[str, str]]:
    if active_loop == "wrsp_form":
        target = f'/wrsp_resume{{"plan_id": "{int(plan_id)}"}}' if plan_id else "/wrsp_resume"
        buttons = [{"title": "Back to the WRSP interview", "payload": target}]
    else:
        buttons = [{"title": "Back to the menu", "payload": "/help"}]
    return buttons + [{"title": "I'm OK", "payload": "/risk_fine"}]


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


class ActionRiskResponse(Action):
    def name(self) -> str:
        return "action_risk_response"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        about, citations, tier = _finding(latest_text(tracker))
        staff = current_staff(tracker)
        recorded = False
        if staff is not None and tier == "risk":
            try:
                with session_scope() as session:
                    alert_repo.raise_alert(session, staff.id, about)
                recorded = True
            except Exception:  # the crisis reply must never fail on the database
                recorded = False
        loop = (tracker.active_loop or {}).get("name")
        text = crisis_text(about, citations, recorded) if tier == "risk" else check_text(citations)
        dispatcher.utter_message(text=text, buttons=resume_buttons(loop, tracker.get_slot("wrsp_plan_id")))
        dispatcher.utter_message(
            json_message=payload(
                "risk_response",
                about=about,
                tier=tier,
                alert_recorded=recorded,
                lifeline="988",
                citations=[dict(c) for c in citations],
            )
        )
        events: list = []
        if loop:  # stop the form; whatever it saved stays in the database
            events += [ActiveLoop(None), SlotSet("requested_slot", None)]
        return events


class ActionRiskFine(Action):
    """ "No, I'm fine": acknowledged, but an open alert is not discarded."""

    def name(self) -> str:
        return "action_risk_fine"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        staff = current_staff(tracker)
        open_about: list[str] = []
        if staff is not None:
            with session_scope() as session:
                open_about = alert_repo.open_about(session, staff.id)
        dispatcher.utter_message(text=fine_text(open_about))
        return []


def _supervisor(tracker: Tracker, dispatcher: CollectingDispatcher) -> CurrentStaff | None:
    staff = current_staff(tracker)
    if staff is None or not staff.is_supervisor:
        dispatcher.utter_message(text="Only supervisors can see risk alerts.")
        return None
    return staff


class ActionRiskAlerts(Action):
    def name(self) -> str:
        return "action_risk_alerts"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        staff = _supervisor(tracker, dispatcher)
        if staff is None:
            return []
        try:
            with session_scope() as session:
                rows = alert_repo.visible(session, staff_row(session, staff))
                names = {s.id: s.name for s in session.query(Staff).filter(Staff.id.in_({r.staff_id for r in rows}))}
                lines = [alert_repo.describe(r, names) for r in rows]
                ids = [r.id for r in rows]
        except AccessDenied as exc:
            dispatcher.utter_message(text=str(exc))
            return []
        if not ids:
            dispatcher.utter_message(text="No open risk alerts.")
            return []
        dispatcher.utter_message(
            text=f"{len(ids)} open risk alert(s). Check in with each person, then acknowledge:\n" + "\n".join(lines),
            buttons=[
                {"title": f"Acknowledge #{i}", "payload": f'/risk_alert_ack{{"alert_id": "{i}"}}'} for i in ids[:8]
            ],
        )
        return []


class ActionRiskAlertAck(Action):
    def name(self) -> str:
        return "action_risk_alert_ack"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        staff = _supervisor(tracker, dispatcher)
        if staff is None:
            return [SlotSet("alert_id", None)]
        value = tracker.get_slot("alert_id") or next(tracker.get_latest_entity_values("alert_id"), None)
        try:
            alert_id = int(float(value))
        except (TypeError, ValueError):
            dispatcher.utter_message(
                text='Which alert? Say e.g. "acknowledge alert 3", or "risk alerts" ' "for the list."
            )
            return [SlotSet("alert_id", None)]
        try:
            with session_scope() as session:
                alert_repo.acknowledge(session, staff_row(session, staff), alert_id)
            dispatcher.utter_message(text=f"Risk alert #{alert_id} acknowledged.")
        except (AccessDenied, NotFound) as exc:
            dispatcher.utter_message(text=str(exc))
        return [SlotSet("alert_id", None)]
