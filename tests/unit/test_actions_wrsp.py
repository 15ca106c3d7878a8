"""The WRSP actions with fake trackers on the real database: start, the first answer
creates the plan, skip, go back, repeated failures (the help after the second), pause,
resume, complete and the deadlines."""

from __future__ import annotations

from actions.wrsp import ActionAskWrspAnswer, ActionWrspDone, ActionWrspResume, ActionWrspStart, ValidateWrspForm
from actions.wrsp_plans import ActionWrspConfirm, ActionWrspDue
from bot.store import session_scope
from bot.store.models import WrspPlan
from tests.unit.fake_tracker import linked, responses, run, slots, tracker


class Chat:
    """One peer in the interview: the slots carried from turn to turn, as Rasa would."""

    def __init__(self, sender: str):
        self.sender = sender
        self.slots: dict = {}

    def act(self, action, text: str = "", intent: str = "inform", **extra) -> list[dict]:
        messages, events = run(action, tracker(self.sender, text, intent, self.slots, **extra))
        self.slots.update(slots(events))
        return messages

    def answer(self, text: str, intent: str = "inform") -> list[dict]:
        return self.act(ValidateWrspForm(), text, intent, loop="wrsp_form", inside_loop=True)


def test_an_unlinked_account_cannot_start_a_plan(db_url):
    chat = Chat("rest:nobody")
    assert responses(chat.act(ActionWrspStart())) == ["utter_wrsp_not_linked"]
    assert chat.slots == {"wrsp_answer": "idle"}
    assert responses(chat.answer("J.D.")) == ["utter_wrsp_not_linked"]


def test_the_interview_in_chat(db_url):
    linked("Pat Peer", "pat")
    chat = Chat("rest:pat")
    assert responses(chat.act(ActionWrspStart(), "start a WRSP", "wrsp_start")) == ["utter_wrsp_intro"]
    assert chat.slots["wrsp_field"] == "client_ref" and chat.slots["wrsp_plan_id"] is None
    [asked] = chat.act(ActionAskWrspAnswer())
    assert asked["text"].startswith("Who is this plan for?")
    assert responses(chat.answer("skip")) == ["utter_wrsp_who_first"]

    [started] = chat.answer("J.D.")
    assert started["text"].startswith("Started plan #") and started["phi"] is True
    plan_id = int(chat.slots["wrsp_plan_id"])
    assert chat.slots["wrsp_field"] == "program" and chat.slots["wrsp_answer"] is None
    [asked] = chat.act(ActionAskWrspAnswer())
    assert [b["title"] for b in asked["buttons"]] == ["Adult peer support", "Family peer support"]

    # repeated failures: the second one adds the question's help and the way out
    [first] = chat.answer("bananas")
    assert "skip" not in first["text"] and chat.slots["wrsp_failures"] == 1.0
    [second] = chat.answer("bananas")
    assert "Adult peer support works with the individual." in second["text"]
    assert 'You can also say "skip" and come back to it later.' in second["text"]
    assert chat.slots["wrsp_failures"] == 2.0 and chat.slots["wrsp_field"] == "program"

    [saved] = chat.answer("family")
    assert saved["text"].startswith("Saved: ") and saved["phi"] is True
    assert chat.slots["wrsp_field"] == "admission_date" and chat.slots["wrsp_failures"] == 0.0
    assert responses(chat.answer("skip")) == ["utter_wrsp_skipped"]
    assert chat.slots["wrsp_skipped"] == ["admission_date"] and chat.slots["wrsp_field"] == "assessment_on_file"
    assert chat.answer("go back") == [] and chat.slots["wrsp_field"] == "admission_date"  # skipped: no answer
    [back] = chat.answer("go back")
    assert back["text"] == "Your answer was: family. Send a new one to replace it."
    assert chat.slots["wrsp_field"] == "program"

    assert chat.answer("pause", "cancel") == [] and chat.slots["wrsp_answer"] == "paused"
    assert responses(chat.act(ActionWrspDone())) == ["utter_wrsp_paused"]
    with session_scope() as s:
        assert s.get(WrspPlan, plan_id).client_ref == "J.D."

    resumed = Chat("rest:pat")
    [message] = resumed.act(ActionWrspResume(), "resume my plan", "wrsp_resume")
    assert message["text"].startswith(f"Resuming the plan for J.D. (#{plan_id}):")
    assert resumed.slots["wrsp_plan_id"] == float(plan_id) and resumed.slots["wrsp_field"] == "admission_date"
    assert responses(Chat("rest:pat").act(ActionWrspConfirm())) == ["utter_wrsp_open_a_plan"]
    [refused] = resumed.act(ActionWrspConfirm())
    assert refused["response"] is None and refused["text"]  # required answers are missing
    [due] = resumed.act(ActionWrspDue())  # in progress with no admission date: due, date unknown
    assert due["text"].startswith("Plans due or overdue, soonest first:\n") and due["phi"] is True
    assert f"#{plan_id} J.D. (Pat Peer): The plan is in progress" in due["text"]
    linked("Ann Other", "ann")
    assert responses(Chat("rest:ann").act(ActionWrspDue())) == ["utter_wrsp_none_due"]


def test_resume_with_nothing_open(db_url):
    linked("Pat Peer", "pat")
    chat = Chat("rest:pat")
    assert responses(chat.act(ActionWrspResume(), "resume my plan", "wrsp_resume")) == ["utter_wrsp_none_to_resume"]
    [message] = chat.act(ActionWrspResume(), "resume my plan for K.L.", "wrsp_resume")
    assert message["text"] == 'I found no plan in progress for K.L.. Say "start a WRSP" to begin one.'


def test_a_fully_answered_plan_is_summarised_and_completed(db_url):
    from bot.store import access
    from bot.wrsp import service
    from tests.unit.test_wrsp_interview import full_answers

    pat = linked("Pat Peer", "pat", program="adult")
    with session_scope() as s:
        actor = access.actor(s, pat)
        plan_id = service.create_plan(s, actor, "J.D.", "adult").id
        for field, value in full_answers().items():
            service.save_answer(s, actor, plan_id, field, value)
    chat = Chat("rest:pat")
    chat.slots = {"wrsp_plan_id": float(plan_id), "wrsp_answer": "done"}
    [summary] = chat.act(ActionWrspDone())
    assert summary["text"].startswith(f"Here is the plan (#{plan_id}) so far:") and summary["phi"] is True
    assert summary["buttons"] == [{"title": "Confirm and complete", "payload": "/wrsp_confirm"}]
    [done] = chat.act(ActionWrspConfirm(), "/wrsp_confirm", "wrsp_confirm")
    assert done["response"] == "utter_wrsp_completed_due" and done["plan_number"] == plan_id
    assert done["due"].startswith("The plan")
    assert chat.slots["wrsp_field"] is None
