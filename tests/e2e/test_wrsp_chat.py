"""The WRSP interview over the live REST webhook: two goals, crash and restart, export, sign-off."""

from __future__ import annotations

import json
import signal

from sqlalchemy import select

from bot.cli import main
from bot.store import session_scope
from bot.store.models import AuditLog, WrspPlan
from bot.wrsp import service as store
from bot.wrsp.interview import Interview
from tests.acting import as_argv
from tests.e2e.conftest import TELEGRAM_TOKEN


def _answers(plan_id):
    with session_scope() as session:
        return dict(store.answers_of(session.get(WrspPlan, plan_id)))


def _next_field(plan_id):
    return Interview(None, _answers(plan_id)).next_step()


def _reply_for(step):
    """A distinctive answer of the right type, so the export can be checked for every one."""
    marker = step.field.replace(".", "-")
    if step.type == "list":
        return f"first {marker}, second {marker}"
    if step.type == "date":
        return "March 3 2026" if step.question.dates == "not_future" else "March 15 2028"
    if step.type == "yes_no":
        if step.question.id == "another":
            return "yes" if step.goal == 1 else "no"
        return "yes"
    if step.type == "choice":
        return step.question.choices[0].label
    return f"text for {marker}"


def _answer_until(live, sender, plan_id, stop_after=None):
    answered = 0
    while (step := _next_field(plan_id)) is not None:
        replies = live.say(sender, _reply_for(step))
        text = live.texts(replies)
        assert "Saved" in text, (step.field, text)
        if step.type == "list":
            assert "Add more" in text
            live.say(sender, f"third {step.field.replace('.', '-')}")  # one item per message works too
            text = live.texts(live.say(sender, "done"))
        answered += 1
        if stop_after and answered == stop_after:
            return text
    return text


def test_a_two_goal_plan_survives_crashes_and_is_exported_and_signed(live, tmp_path):
    sender = "rest:pat"
    assert "Who is this plan for?" in live.texts(live.say(sender, "start a WRSP"))
    refused = live.texts(live.say(sender, "Jonathan Michael Doe"))
    assert "initials" in refused.lower() or "full name" in refused.lower()
    started = live.texts(live.say(sender, "J.D."))
    assert "Started plan #" in started
    plan_id = int(started.split("Started plan #")[1].split()[0])

    _answer_until(live, sender, plan_id, stop_after=4)
    before = _answers(plan_id)

    # SIGKILL the action server mid-interview, start it again: resume at the next question
    live.servers.stop(("actions",), sig=signal.SIGKILL)
    live.servers.start_actions()
    live.servers.wait_ready()
    resumed = live.texts(live.say(sender, "resume my plan"))
    nxt = _next_field(plan_id)
    assert "Resuming the plan for J.D." in resumed and nxt.prompt.split("{")[0][:30] in resumed
    assert _answers(plan_id) == before

    _answer_until(live, sender, plan_id, stop_after=6)
    before = _answers(plan_id)
    live.servers.stop(("rasa",))
    live.servers.start_rasa()
    live.servers.wait_ready()
    resumed = live.texts(live.say(sender, "resume plan for jd"))
    assert "Resuming the plan for J.D." in resumed and _answers(plan_id) == before

    # a target date in the past is refused, with the reason
    while (step := _next_field(plan_id)).question.id != "target_date":
        _answer_until(live, sender, plan_id, stop_after=1)
    refused = live.texts(live.say(sender, "January 5 2020"))
    assert "already in the past" in refused and step.field not in _answers(plan_id)
    assert step.prompt in refused  # and the question is asked again

    summary = _answer_until(live, sender, plan_id)
    assert "Confirm and complete" in summary or "Is everything right" in summary
    done = live.texts(live.say(sender, "/wrsp_confirm"))
    assert f"Plan #{plan_id} is complete" in done

    answers = _answers(plan_id)
    assert "goal.2.target_date" in answers and answers["goal.1.another"] is True

    # the clinical consultant signs off in chat in two steps: the summary and the attestation,
    # then the confirm button; the plan is then locked
    review = live.say("rest:sam", f"sign off plan {plan_id}")
    assert "I have reviewed this plan as the clinical consultant." in live.texts(review)
    assert "signed off" not in live.texts(review)
    [confirm] = live.buttons(review)
    signed = live.texts(live.say("rest:sam", confirm["payload"]))
    assert "signed off and locked" in signed
    # the servers were started with a Telegram token in their caller's environment: no log has it
    logs = "\n".join(p.read_text(errors="replace") for p in live.servers.log_dir.glob("*.log"))
    assert TELEGRAM_TOKEN.split(":")[1] not in logs
    out = tmp_path / "plan.json"
    assert (
        main(
            as_argv(
                [
                    "wrsp",
                    "export",
                    str(plan_id),
                    "--format",
                    "json",
                    "--output",
                    str(out),
                    "--as",
                    str(live.staff_ids["rest:pat"]),
                ]
            )
        )
        == 0
    )
    exported = out.read_text()
    for field, value in answers.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                assert item in exported, field
    assert json.loads(exported)["signoff"]["name"] == "Sam Reyes"

    # plan answers are in PeerScope's tables, and none of their text is in Rasa's tracker store
    stored = "\n".join(row[0] for row in live.tracker_rows("select data from events"))
    typed = [
        item
        for value in answers.values()
        for item in (value if isinstance(value, list) else [value])
        if isinstance(item, str) and ("text for" in item or item.startswith(("first ", "second ", "third ")))
    ]
    assert len(typed) > 20
    assert not [item for item in typed if item in stored]

    # another peer can't open it in chat or export it: refused, and the attempts are audited
    refused = live.texts(live.say("rest:ola", f'/wrsp_resume{{"plan_id": "{plan_id}"}}'))
    assert "access" in refused and "J.D." not in refused
    assert main(as_argv(["wrsp", "export", str(plan_id), "--as", str(live.staff_ids["rest:ola"])])) != 0
    pdf = tmp_path / "plan.pdf"
    assert (
        main(
            as_argv(
                [
                    "wrsp",
                    "export",
                    str(plan_id),
                    "--format",
                    "pdf",
                    "--output",
                    str(pdf),
                    "--as",
                    str(live.staff_ids["rest:sam"]),
                ]
            )
        )
        == 0
    )
    assert pdf.read_bytes().startswith(b"%PDF")
    with session_scope() as session:
        denied = session.scalars(
            select(AuditLog.actor_id).where(
                AuditLog.object_type == "wrsp_plan", AuditLog.object_id == plan_id, AuditLog.outcome == "denied"
            )
        ).all()
    assert denied and set(denied) == {live.staff_ids["rest:ola"]}
