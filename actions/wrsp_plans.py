"""A plan after the interview: completing it, deadlines, and the consultant's sign-off."""

from __future__ import annotations

from datetime import date
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import current_staff, staff_row
from actions.wrsp import NOT_LINKED, plan_id_of
from bot.store import session_scope
from bot.store import wrsp as store
from bot.store.access import AccessDenied, NotFound


class ActionWrspConfirm(Action):
    def name(self) -> str:
        return "action_wrsp_confirm"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        staff, plan_id = current_staff(tracker), plan_id_of(tracker)
        if staff is None or plan_id is None:
            dispatcher.utter_message(text="Open a plan first: say \"resume my plan\".")
            return []
        try:
            with session_scope() as session:
                member = staff_row(session, staff)
                plan = store.complete_plan(session, member, plan_id)
                status = dict(store.plans_due(session, member, date.today(), include_ok=True)).get(plan)
        except (AccessDenied, NotFound, store.PlanError) as exc:
            dispatcher.utter_message(text=str(exc))
            return []
        text = f"Plan #{plan_id} is complete. Your supervisor (clinical consultant) can now sign it off."
        if status is not None:
            text += f"\n{status.message}"
        dispatcher.utter_message(text=text)
        return [SlotSet("wrsp_field", None)]


class ActionWrspDue(Action):
    def name(self) -> str:
        return "action_wrsp_due"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        staff = current_staff(tracker)
        if staff is None:
            dispatcher.utter_message(text=NOT_LINKED)
            return []
        with session_scope() as session:
            member = staff_row(session, staff)
            rows = [(p.id, p.client_ref, store.owner_of(session, p).name, s.message)
                    for p, s in store.plans_due(session, member, date.today())]
        if not rows:
            dispatcher.utter_message(text="No plans are due or overdue.")
            return []
        lines = ["Plans due or overdue, soonest first:"]
        lines += [f"#{pid} {ref} ({owner}): {message}" for pid, ref, owner, message in rows]
        dispatcher.utter_message(text="\n".join(lines), phi=True)
        return []


class ActionWrspSignoff(Action):
    def name(self) -> str:
        return "action_wrsp_signoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        staff = current_staff(tracker)
        plan_id = next(tracker.get_latest_entity_values("plan_id"), None)
        if staff is None or not staff.is_supervisor:
            dispatcher.utter_message(text="Sign-off is for the clinical consultant (supervisor role).")
            return []
        if not plan_id or not str(plan_id).isdigit():
            dispatcher.utter_message(text="Which plan? Say e.g. \"sign off plan 12\".")
            return []
        try:
            with session_scope() as session:
                # sign_off also queues the owner's notice; the Telegram bridge sends it
                plan = store.sign_off(session, staff_row(session, staff), int(plan_id))
                dispatcher.utter_message(text=f"Plan #{plan.id} for {plan.client_ref} is signed off and locked. "
                                              "A later review will create a new version.", phi=True)
        except (AccessDenied, NotFound, store.PlanError) as exc:
            dispatcher.utter_message(text=str(exc))
        return []
