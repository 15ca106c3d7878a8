"""Crisis language in any conversation, the follow-up, and supervisors' risk alerts.

addons/risk.py turns a message with risk-of-harm language into ``risk_disclosure``
(and lets it interrupt a form). This action answers with the 988 Lifeline, the
reporting duty quoted from the policies (the risk note check's own citations),
records a risk alert for the supervisor (never the words), stops the active form
(answers already saved stay saved) and offers the way back. The replies and the alerts
are bot/safety/service.py's.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import current_staff, entity, latest_text, payload, require_supervisor
from bot.safety import service
from bot.safety.service import check_text, crisis_text, duty_lines, fine_text  # noqa: F401  (re-exported)

NOT_A_SUPERVISOR = {"response": "utter_alerts_not_supervisor"}


def resume_buttons(active_loop: str | None, plan_id: Any = None) -> list[dict[str, str]]:
    if active_loop == "wrsp_form":
        target = f'/wrsp_resume{{"plan_id": "{int(plan_id)}"}}' if plan_id else "/wrsp_resume"
        buttons = [{"title": "Back to the WRSP interview", "payload": target}]
    else:
        buttons = [{"title": "Back to the menu", "payload": "/help"}]
    return buttons + [{"title": "I'm OK", "payload": "/risk_fine"}]


class ActionRiskResponse(Action):
    def name(self) -> str:
        return "action_risk_response"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        about, citations, tier = service.finding(latest_text(tracker))
        staff = current_staff(tracker)
        recorded = staff is not None and tier == "risk" and service.raise_alert(staff.id, about)
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
        open_about = service.open_about(staff.id) if staff is not None else []
        dispatcher.utter_message(text=fine_text(open_about))
        return []


class ActionRiskAlerts(Action):
    def name(self) -> str:
        return "action_risk_alerts"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        staff = require_supervisor(tracker, dispatcher, **NOT_A_SUPERVISOR)
        if staff is None:
            return []
        try:
            ids, lines = service.open_alerts(staff.id)
        except service.ERRORS as exc:
            dispatcher.utter_message(text=str(exc))
            return []
        if not ids:
            dispatcher.utter_message(response="utter_no_open_alerts")
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
        staff = require_supervisor(tracker, dispatcher, **NOT_A_SUPERVISOR)
        if staff is None:
            return [SlotSet("alert_id", None)]
        value = tracker.get_slot("alert_id") or entity(tracker, "alert_id")
        try:
            alert_id = int(float(value))
        except (TypeError, ValueError):
            dispatcher.utter_message(response="utter_which_alert")
            return [SlotSet("alert_id", None)]
        try:
            service.acknowledge(staff.id, alert_id)
            dispatcher.utter_message(response="utter_alert_acknowledged", alert_number=alert_id)
        except service.ERRORS as exc:
            dispatcher.utter_message(text=str(exc))
        return [SlotSet("alert_id", None)]
