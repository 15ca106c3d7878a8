"""A plan after the interview: completing it, deadlines, and the consultant's sign-off."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import current_staff, entity, latest_text, require_staff, require_supervisor
from actions.wrsp import NOT_LINKED, plan_id_of
from bot.auth import check_confirm_code, confirm_code
from bot.store.access import AccessDenied, NotFound
from bot.wrsp import service

ERRORS = (AccessDenied, NotFound, service.PlanError)


class ActionWrspConfirm(Action):
    def name(self) -> str:
        return "action_wrsp_confirm"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        staff, plan_id = current_staff(tracker), plan_id_of(tracker)
        if staff is None or plan_id is None:
            dispatcher.utter_message(response="utter_wrsp_open_a_plan")
            return []
        try:
            due = service.complete_for(staff.id, plan_id)
        except ERRORS as exc:
            dispatcher.utter_message(text=str(exc))
            return []
        if due is None:
            dispatcher.utter_message(response="utter_wrsp_completed", plan_number=plan_id)
        else:
            dispatcher.utter_message(response="utter_wrsp_completed_due", plan_number=plan_id, due=due)
        return [SlotSet("wrsp_field", None)]


class ActionWrspDue(Action):
    def name(self) -> str:
        return "action_wrsp_due"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        staff = require_staff(tracker, dispatcher, **NOT_LINKED)
        if staff is None:
            return []
        rows = service.due_for(staff.id)
        if not rows:
            dispatcher.utter_message(response="utter_wrsp_none_due")
            return []
        lines = ["Plans due or overdue, soonest first:"]
        lines += [f"#{pid} {ref} ({owner}): {message}" for pid, ref, owner, message in rows]
        dispatcher.utter_message(text="\n".join(lines), phi=True)
        return []


SIGNOFF_CONFIRM = "wrsp-signoff-confirm"


def signoff_payload(plan_id: int, digest: str, staff_id: int) -> str:
    """The confirm button: the plan, the hash of the content the consultant was shown, and a
    code only PeerScope can make for this consultant, plan and hash, as the ``plan_id``
    entity "ID:HASH:CODE" (the trained model knows that entity; Rasa drops payload entities
    the domain does not list). A typed "sign off plan 12:HASH" has no code, so it gets the
    review and the attestation again instead of signing."""
    short = digest[:12]  # with the code, the payload stays within Telegram's 64-byte button data
    code = confirm_code(SIGNOFF_CONFIRM, staff_id, int(plan_id), short, length=12)
    return f'/wrsp_signoff{{"plan_id": "{int(plan_id)}:{short}:{code}"}}'


def _pressed_confirm(tracker: Tracker, staff_id: int, plan_id: str, confirmed: str) -> str | None:
    """The reviewed hash when this message is the confirm button of a review shown to this
    consultant (a button payload with a valid code), else None: anything typed by hand,
    "sign off plan 12:HASH" included, goes back to the review and the attestation."""
    reviewed, _, code = confirmed.partition(":")
    if not latest_text(tracker).startswith("/wrsp_signoff"):
        return None
    if not reviewed or not check_confirm_code(code, SIGNOFF_CONFIRM, staff_id, int(plan_id), reviewed, length=12):
        return None
    return reviewed


class ActionWrspSignoff(Action):
    """Sign-off in two steps. "sign off plan 12" shows the plan's summary and the attestation
    with a confirm button; the button (which carries the hash of what was shown and a code
    for this consultant) signs it, and only if the plan is still what was shown. Nothing
    typed signs: "sign off plan 12:HASH" shows the review again."""

    def name(self) -> str:
        return "action_wrsp_signoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        staff = require_supervisor(tracker, dispatcher, response="utter_wrsp_signoff_not_supervisor")
        plan_id, _, confirmed = str(entity(tracker, "plan_id") or "").partition(":")
        if staff is None:
            return []
        if not plan_id or not str(plan_id).isdigit():
            dispatcher.utter_message(response="utter_wrsp_signoff_which_plan")
            return []
        try:
            reviewed = _pressed_confirm(tracker, staff.id, plan_id, confirmed) if confirmed else None
            if reviewed:
                # sign_off also queues the owner's notice; the Telegram bridge sends it
                signed_id, client_ref = service.sign_off_for(staff.id, int(plan_id), reviewed)
                dispatcher.utter_message(
                    text=f"Plan #{signed_id} for {client_ref} is signed off and locked. "
                    "A later change needs a new version (a review).",
                    phi=True,
                )
                return []
            summary, digest = service.signoff_review_for(staff.id, int(plan_id))
            attestation = service.attestation()
        except ERRORS as exc:
            dispatcher.utter_message(text=str(exc))
            return []
        dispatcher.utter_message(
            text=f'{summary}\n\nTo sign off plan #{plan_id}, confirm: "{attestation}"\n'
            "Nothing is signed until you press the button.",
            buttons=[
                {
                    "title": f"Confirm and sign plan #{plan_id}",
                    "payload": signoff_payload(int(plan_id), digest, staff.id),
                }
            ],
            phi=True,
        )
        return []
