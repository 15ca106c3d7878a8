"""Onboarding over the live REST webhook: lessons, resume after a restart, quiz, retake, status."""

from __future__ import annotations

from bot.onboarding.content import load_onboarding


def _press(live, sender, replies, title_start):
    button = next(b for b in live.buttons(replies) if b["title"].startswith(title_start))
    return live.say(sender, button["payload"])


def _read_all_modules(live, sender, restart_after=None):
    replies = live.say(sender, "continue onboarding")
    pressed = 0
    while any(b["title"] == "Next" for b in live.buttons(replies)):
        before = live.texts(replies)
        replies = _press(live, sender, replies, "Next")
        pressed += 1
        if pressed == restart_after:
            # leave mid-module; the action server restarts; coming back resumes at the same step
            current = live.texts(replies)
            live.servers.stop(("actions",))
            live.servers.start_actions()
            live.servers.wait_ready()
            resumed = live.say(sender, "continue onboarding")
            assert live.texts(resumed) == current and live.texts(resumed) != before
            replies = resumed
    assert "Start the quiz" in [b["title"] for b in live.buttons(replies)]
    return pressed


def _take_quiz(live, sender, right: bool):
    quiz = load_onboarding().quiz
    replies = live.say(sender, "/onboarding_quiz")
    for question in quiz.questions:
        wanted = next(o for o in question.options if o.correct == right)
        assert question.question.split()[0] in live.texts(replies)
        replies = _press(live, sender, replies, f"{wanted.id})")
    return live.texts(replies)


def test_a_new_fps_completes_every_module_and_passes(live):
    content = load_onboarding()
    pressed = _read_all_modules(live, "rest:fay", restart_after=3)
    assert pressed == sum(len(m.messages) for m in content.modules)
    result = _take_quiz(live, "rest:fay", right=True)
    assert "You passed" in result and f"{len(content.quiz.questions)} of {len(content.quiz.questions)}" in result


def test_a_fail_is_explained_then_a_retake_passes_and_the_supervisor_sees_both(live):
    _read_all_modules(live, "rest:gus")
    failed = _take_quiz(live, "rest:gus", right=False)
    assert "Not this time" in failed and "the pass mark is 80%" in failed
    first = load_onboarding().quiz.questions[0]
    assert first.question.split("?")[0][:40] in failed and "Source: fps-toolkit" in failed
    assert "You passed" in _take_quiz(live, "rest:gus", right=True)

    status = live.texts(live.say("rest:sam", "onboarding status"))
    assert "Fay Moss" in status and "Gus Hale" in status
    assert "2 attempt(s)" in status and "passed" in status
    own = live.texts(live.say("rest:gus", "onboarding status"))
    assert "Gus Hale" in own and "Fay Moss" not in own
