"""A plan after the interview: completing it, deadlines, and the consultant's sign-off."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import current_staff, latest_text, staff_row
from actions.wrsp import NOT_LINKED, plan_id_of
from bot.auth import check_confirm_code, confirm_code
from bot.settings import local_today
from bot.store import session_scope
from bot.store.access import AccessDenied, NotFound
from bot.wrsp import service as store


class ActionWrspConfirm(Action):
    def name(self) -> str:
        return "action_wrsp_confirm"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        staff, plan_id = current_staff(tracker), plan_id_of(tracker)
        if staff is None or plan_id is None:
            dispatcher.utter_message(text='Open a plan first: say "resume my plan".')
            return []
        try:
            with session_scope() as session:
                member = staff_row(session, staff)
                plan = store.complete_plan(session, member, plan_id)
                status = dict(store.plans_due(session, member, local_today(), include_ok=True)).get(plan)
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
            rows = [
                (p.id, p.client_ref, store.owner_of(session, p).name, s.message)
                for p, s in store.plans_due(session, member, local_today())
            ]
        if not rows:
            dispatcher.utter_message(text="No plans are due or overdue.")
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
        from bot.wrsp.document import plan_document, signoff_summary

        staff = current_staff(tracker)
        plan_id = next(tracker.get_latest_entity_values("plan_id"), None)
        plan_id, _, confirmed = str(plan_id or "").partition(":")
        if staff is None or not staff.is_supervisor:
            dispatcher.utter_message(text="Sign-off is for the clinical consultant (supervisor role).")
            return []
        if not plan_id or not str(plan_id).isdigit():
            dispatcher.utter_message(text='Which plan? Say e.g. "sign off plan 12".')
            return []
        try:
            with session_scope() as session:
                member = staff_row(session, staff)
                reviewed = _pressed_confirm(tracker, member.id, plan_id, confirmed) if confirmed else None
                if reviewed:
                    # sign_off also queues the owner's notice; the Telegram bridge sends it
                    plan = store.sign_off(session, member, int(plan_id), attested=True, reviewed_hash=reviewed)
                    dispatcher.utter_message(
                        text=f"Plan #{plan.id} for {plan.client_ref} is signed off and locked. "
                        "A later change needs a new version (a review).",
                        phi=True,
                    )
                    return []
                plan, digest = store.review_for_signoff(session, member, int(plan_id))
                summary = signoff_summary(plan_document(session, member, plan.id, local_today()))
                attestation = store.attestation()
        except (AccessDenied, NotFound, store.PlanError) as exc:
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
