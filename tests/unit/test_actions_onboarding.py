"""The onboarding actions with fake trackers on the real database: the first module's
messages one "Next" at a time, a repeated press, the quiz's first question, and status."""

from __future__ import annotations

from actions.onboarding import (
    ActionOnboardingAnswer,
    ActionOnboardingContinue,
    ActionOnboardingQuiz,
    ActionOnboardingStatus,
)
from tests.unit.fake_tracker import button, linked, responses, run, tracker


def _next_payload(message: dict) -> dict:
    [next_button] = message["buttons"]
    assert next_button["title"] == "Next"
    at = next_button["payload"].split('"onb_at": "')[1].split('"')[0]
    return button("onboarding_next", onb_at=at)


def test_unlinked_accounts_are_refused(db_url):
    for action in (ActionOnboardingContinue(), ActionOnboardingQuiz(), ActionOnboardingStatus()):
        messages, events = run(action, tracker("rest:nobody", "onboarding", "onboarding_start"))
        assert responses(messages) == ["utter_onboarding_not_linked"] and events == []


def test_modules_one_next_at_a_time_and_a_repeated_press(db_url):
    linked("Fran Family", "fran", program="family")
    [first], _ = run(ActionOnboardingContinue(), tracker("rest:fran", "start onboarding", "onboarding_start"))
    pressed = _next_payload(first)
    [second], _ = run(ActionOnboardingContinue(), tracker("rest:fran", **pressed))
    assert second["text"] != first["text"]
    # the same button pressed again records nothing: the current message comes back
    [again], _ = run(ActionOnboardingContinue(), tracker("rest:fran", **pressed))
    assert again["text"] == second["text"]
    # "continue onboarding" resumes where the member is
    [resumed], _ = run(ActionOnboardingContinue(), tracker("rest:fran", "continue onboarding", "onboarding_start"))
    assert resumed["text"] == second["text"]

    [status], _ = run(ActionOnboardingStatus(), tracker("rest:fran", "onboarding status", "onboarding_status"))
    assert "Fran Family" in status["text"]


def test_the_quiz_question_and_an_answer_naming_no_option(db_url):
    linked("Fran Family", "fran", program="family")
    [question], _ = run(ActionOnboardingQuiz(), tracker("rest:fran", **button("onboarding_quiz")))
    payloads = [b["payload"] for b in question["buttons"]]
    assert payloads and all(p.startswith('/onboarding_answer{"quiz_question": ') for p in payloads)
    question_id = payloads[0].split('"quiz_question": "')[1].split('"')[0]
    messages, _ = run(
        ActionOnboardingAnswer(),
        tracker("rest:fran", **button("onboarding_answer", quiz_question=question_id, quiz_option="zz")),
    )
    assert responses(messages)[0] == "utter_quiz_pick_an_option"
    assert messages[1]["text"] == question["text"]  # the same question again


def test_a_supervisor_without_a_team(db_url):
    linked("Dana Boss", "dana", role="supervisor")
    messages, _ = run(ActionOnboardingStatus(), tracker("rest:dana", "onboarding status", "onboarding_status"))
    assert responses(messages) == ["utter_onboarding_team_not_started"]


def test_the_action_server_registers_every_action_and_not_the_form_base():
    """As addons/action_server.py does: every action of actions/ by its name; the shared
    free-text form base is abstract, so it is not registered (it has no name)."""
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")
    names = set(executor.actions)
    assert {"validate_note_form", "validate_review_comment_form", "validate_wrsp_form"} <= names
    assert {"action_greet", "action_onboarding_continue", "action_wrsp_signoff", "action_risk_alerts"} <= names
