"""The interview model (pure): next question, goals, skip, back, change a field, progress;
and the plan and review deadlines."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace

from bot.wrsp.due import due_status
from bot.wrsp.interview import Interview
from bot.wrsp.schema import load_schema

TODAY = date(2026, 3, 4)

GOAL_1 = {
    "goal.1.goal": "Move into my own apartment",
    "goal.1.objectives": ["visit two apartments", "save $200"],
    "goal.1.strategies": ["weekly peer support", "join a tenants' group"],
    "goal.1.criteria": "lease signed",
    "goal.1.target_date": "2026-06-30",
    "goal.1.evaluation": "review the search log every two weeks",
}
GOAL_2 = {
    "goal.2.goal": "Reconnect with my sister",
    "goal.2.objectives": ["call weekly"],
    "goal.2.strategies": ["coaching on boundaries"],
    "goal.2.criteria": "a visit together",
    "goal.2.target_date": "2026-08-01",
    "goal.2.evaluation": "talk it over monthly",
}


def full_answers() -> dict:
    """A complete two-goal plan, as stored."""
    return {
        "client_ref": "J.D.",
        "program": "adult",
        "admission_date": "2026-02-20",
        "assessment_on_file": False,
        "assessment_efforts": "asked the clinic twice",
        "areas": ["housing", "family"],
        **GOAL_1,
        "goal.1.another": True,
        **GOAL_2,
        "goal.2.another": False,
        "other_plans": ["therapy treatment plan"],
        "discharge_plan": "goals met, supports in place",
        "wellness_plan": "walk daily, journal",
        "warning_signs": ["sleeping less"],
        "triggers": ["anniversaries"],
        "crisis_response": "call the crisis line",
        "individual_signed": False,
        "refusal_reason": "wants to think",
    }


def interview(answers=None, skipped=()) -> Interview:
    return Interview(load_schema(), answers or {}, skipped)


def fields(iv: Interview) -> list[str]:
    return [s.field for s in iv.steps()]


def test_a_new_plan_starts_with_who_it_is_for():
    iv = interview()
    assert iv.next_step().field == "client_ref"
    assert iv.progress().summary() == "0 of 19 answered; next: who the plan is for"
    assert "initials" in iv.next_step().prompt


def test_conditional_questions_follow_the_answers():
    assert "assessment_efforts" not in fields(interview({"assessment_on_file": True}))
    assert "assessment_efforts" in fields(interview({"assessment_on_file": False}))
    assert "refusal_reason" not in fields(interview({"individual_signed": True}))
    assert "refusal_reason" in fields(interview({"individual_signed": False}))


def test_goals_repeat_after_add_another():
    iv = interview(
        {
            "client_ref": "J.D.",
            "program": "adult",
            "admission_date": "2026-02-20",
            "assessment_on_file": True,
            "areas": ["housing"],
            **GOAL_1,
        }
    )
    step = iv.next_step()
    assert step.field == "goal.1.another" and step.prompt == "Would you like to add another goal?"
    iv = iv.with_answer("goal.1.another", True)
    step = iv.next_step()
    assert step.field == "goal.2.goal" and step.prompt.startswith("What is goal 2")
    iv = Interview(iv.schema, {**iv.answers, **GOAL_2})
    assert iv.next_step().field == "goal.2.another"
    iv = iv.with_answer("goal.2.another", False)
    assert iv.next_step().field == "other_plans"
    assert iv.goals == 2
    assert fields(iv).index("goal.2.evaluation") < fields(iv).index("other_plans")


def test_complete_plan_has_nothing_left():
    iv = interview(full_answers())
    progress = iv.progress()
    assert iv.next_step() is None and progress.complete
    assert progress.answered == progress.total == 28
    assert progress.summary() == "28 of 28 answered; every required question is answered"


def test_skip_for_now_then_come_back():
    iv = interview({"client_ref": "J.D."}).skip("program")
    assert iv.next_step().field == "admission_date"
    iv = iv.with_answer("admission_date", "2026-02-20").skip("assessment_on_file")
    assert iv.next_step().field == "areas"
    progress = iv.progress()
    assert [s.field for s in progress.skipped] == ["program", "assessment_on_file"]
    assert "skipped for now: type of peer support, clinician's assessment on file" in progress.summary()
    assert not progress.complete
    # everything else answered: only skipped ones remain, so next_step is None until they're revisited
    answers = {
        k: v for k, v in full_answers().items() if k not in ("program", "assessment_on_file", "assessment_efforts")
    }
    iv = interview(answers, skipped={"program", "assessment_on_file"})
    assert iv.next_step() is None
    assert [s.field for s in iv.progress().missing_required] == ["program", "assessment_on_file"]
    # a reload (no skipped set in a new conversation) resumes at the first unanswered
    assert interview(answers).next_step().field == "program"


def test_go_back():
    iv = interview({"client_ref": "J.D.", "program": "adult"})
    assert iv.next_step().field == "admission_date"
    back = iv.previous_step("admission_date")
    assert back.field == "program" and back.value == "adult"
    assert iv.previous_step("client_ref") is None
    iv2 = interview({**full_answers()})
    assert iv2.previous_step("goal.2.goal").field == "goal.1.another"
    assert iv2.previous_step(None).field == "refusal_reason"  # back from the end


def test_change_a_named_field():
    iv = interview(full_answers())

    def found(text):
        return [s.field for s in iv.find_fields(text)]

    assert found("change the triggers answer") == ["triggers"]
    assert found("I want to fix the trigers") == ["triggers"]  # a typo
    assert found("change the early warning signs") == ["warning_signs"]
    assert found("update the admission date") == ["admission_date"]
    assert found("change goal 2 target date") == ["goal.2.target_date"]
    assert found("the second goal's objectives") == ["goal.2.objectives"]
    assert found("edit the target date") == ["goal.1.target_date", "goal.2.target_date"]  # ask which goal
    assert found("change goal 1") == ["goal.1.goal"]
    assert found("the crisis response") == ["crisis_response"]
    assert found("change the wellness plan") == ["wellness_plan"]
    assert found("change the stressors") == ["triggers"]  # a synonym from the schema
    assert found("refusal reason") == ["refusal_reason"]
    assert found("change the weather") == []
    assert found("change goal 5 target date") == []  # no such goal
    # a field that doesn't apply now can't be changed
    assert [s.field for s in interview({"assessment_on_file": True}).find_fields("efforts to obtain")] == []


def test_validate_dispatches_by_field():
    iv = interview(full_answers())
    assert iv.validate("goal.2.target_date", "next friday", TODAY).value == "2026-03-06"
    assert "past" in iv.validate("goal.2.target_date", "2020-01-01", TODAY).error
    assert iv.validate("triggers", "money; noise", TODAY).value == ["money", "noise"]
    assert iv.validate("goal.7.goal", "x", TODAY).error  # not part of this plan


# --- deadlines ------------------------------------------------------------------------------


def plan(**kw):
    base = dict(status="in_progress", admission_date=date(2026, 2, 20), completed_at=None, version=1)
    return SimpleNamespace(**{**base, **kw})


def test_plan_due_30_days_after_admission():
    status = due_status(plan(), TODAY)
    assert (status.status, status.kind, status.due_date, status.days_left) == ("due", "plan", date(2026, 3, 22), 18)
    assert "30 days following admission" in status.cite.quote
    late = due_status(plan(), date(2026, 3, 25))
    assert late.status == "overdue" and late.days_left == -3 and "3 days ago" in late.message
    assert due_status(plan(admission_date=None), TODAY).due_date is None


def test_review_due_90_days_after_completion():
    done = plan(status="complete", completed_at=datetime(2026, 3, 1, 15, 0))
    assert due_status(done, TODAY).status == "ok"
    assert due_status(done, TODAY).due_date == date(2026, 5, 30)
    assert due_status(done, date(2026, 5, 20)).status == "due"
    assert due_status(done, date(2026, 5, 31)).status == "overdue"
    review = plan(version=2)
    assert due_status(review, TODAY, previous=done).due_date == date(2026, 5, 30)
    assert due_status(review, TODAY, previous=done).kind == "review"
