"""Crisis language over the live REST webhook: it interrupts any conversation (a WRSP
interview included) with 988, the reporting duty and its citation; an alert about a
client is recorded without text and stays open until a supervisor acknowledges it.
(That the tracker store holds no note text after a note check is covered in
test_notes_chat.py.)"""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.store import session_scope
from bot.store.models import RiskAlert, WrspPlan
from bot.wrsp import service as store
from bot.wrsp.interview import Interview

DUTY = "report the risk of imminent harm to self or others to the proper authorities and their supervisor."


def _alerts(staff_id: int) -> list[RiskAlert]:
    with session_scope() as session:
        return list(session.scalars(select(RiskAlert).where(RiskAlert.staff_id == staff_id).order_by(RiskAlert.id)))


def _crisis(live, replies) -> dict:
    text = live.texts(replies)
    assert "988" in text and "call or text 988" in text, text
    assert DUTY in text and "fps-toolkit, Code of Ethics" in text, text
    payloads = [c for c in live.customs(replies) if c.get("type") == "risk_response"]
    assert len(payloads) == 1, replies
    return payloads[0]


def test_risk_about_a_client_in_normal_chat(live):
    sender, staff_id = "rest:gus", live.staff_ids["rest:gus"]
    live.say(sender, "hi")
    replies = live.say(sender, "my client told me she wants to kill herself tonight")
    payload = _crisis(live, replies)
    assert payload["about"] == "client" and payload["alert_recorded"] is True
    titles = [b["title"] for b in live.buttons(replies)]
    assert "Back to the menu" in titles and "I'm OK" in titles

    alerts = _alerts(staff_id)
    assert [(a.about, a.acknowledged_at) for a in alerts] == [("client", None)]
    row = {c.name: getattr(alerts[0], c.name) for c in RiskAlert.__table__.columns}
    assert "kill" not in json.dumps(row, default=str)

    # "no, I'm fine" is answered, but the alert about the client stays open
    fine = live.texts(live.say(sender, "no, I'm fine"))
    assert "stays open" in fine and "supervisor" in fine
    assert [a.acknowledged_at for a in _alerts(staff_id)] == [None]

    # and the conversation goes on normally
    assert "Here is what I can do" in live.texts(live.say(sender, "help"))


def test_a_supervisor_sees_and_acknowledges_the_alert(live):
    peer, staff_id = "rest:fay", live.staff_ids["rest:fay"]
    _crisis(live, live.say(peer, "the mom I work with said her boyfriend beats her and the kids"))
    alert_id = _alerts(staff_id)[-1].id

    assert "Only supervisors" in live.texts(live.say(peer, "risk alerts"))
    assert f"#{alert_id}" not in live.texts(live.say("rest:eve", "risk alerts"))  # not Eve's team

    replies = live.say("rest:sam", "risk alerts")
    text = live.texts(replies)
    assert f"#{alert_id}" in text and "Fay Moss" in text and "someone they support" in text
    ack = next(b for b in live.buttons(replies) if b["title"] == f"Acknowledge #{alert_id}")
    assert f"Risk alert #{alert_id} acknowledged" in live.texts(live.say("rest:sam", ack["payload"]))
    alert = _alerts(staff_id)[-1]
    assert alert.acknowledged_by == live.staff_ids["rest:sam"] and alert.acknowledged_at is not None
    assert f"#{alert_id}" not in live.texts(live.say("rest:sam", "risk alerts"))


def _answers(plan_id):
    with session_scope() as session:
        return dict(store.answers_of(session.get(WrspPlan, plan_id)))


def test_risk_interrupts_a_wrsp_interview_which_can_be_resumed(live):
    sender, staff_id = "rest:fran", live.staff_ids["rest:fran"]
    assert "Who is this plan for?" in live.texts(live.say(sender, "start a WRSP"))
    started = live.texts(live.say(sender, "K.L."))
    plan_id = int(started.split("Started plan #")[1].split()[0])
    before = _answers(plan_id)
    question = Interview(None, before).next_step()

    replies = live.say(sender, "honestly I can't do this anymore, I want to die")
    payload = _crisis(live, replies)
    assert payload["about"] == "self"
    assert "I'm stopping what we were doing" in live.texts(replies)
    assert _answers(plan_id) == before  # the message was not taken as an answer
    assert _alerts(staff_id)[-1].about == "self"

    # the interview is stopped: a plain message is not saved as an answer
    live.say(sender, "thanks")
    assert _answers(plan_id) == before

    back = next(b for b in live.buttons(replies) if b["title"] == "Back to the WRSP interview")
    assert str(plan_id) in back["payload"]
    resumed = live.texts(live.say(sender, back["payload"]))
    assert "Resuming the plan for K.L." in resumed
    assert question.prompt.split("{")[0][:30] in resumed
    answer = question.question.choices[0].label if question.type == "choice" else "walking, calling my sister"
    assert "Saved" in live.texts(live.say(sender, answer))
    assert _answers(plan_id) != before


def test_risk_in_a_pasted_note_is_flagged_by_the_note_check_and_alerts_the_supervisor(live):
    sender, staff_id = "rest:ola", live.staff_ids["rest:ola"]
    alerts_before = len(_alerts(staff_id))
    live.say(sender, "check my note")
    replies = live.say(
        sender, "Member said she wants to kill herself tonight. Writer stayed with her " "and called the crisis line."
    )
    text = live.texts(replies)
    assert "Risk of harm" in text and "988" in text
    assert not [c for c in live.customs(replies) if c.get("type") == "risk_response"]
    # a risk flag in a note raises the same alert as a chat message, marked as from a note
    assert [(a.source, a.about) for a in _alerts(staff_id)[alerts_before:]] == [("note", "client")]


def test_someone_without_a_staff_record_still_gets_the_lifeline(live):
    replies = live.say("rest:visitor", "I want to kill myself")
    payload = _crisis(live, replies)
    assert payload["about"] == "self" and payload["alert_recorded"] is False


def test_chat_answers_risk_lines_written_before_the_model_inside_a_form(live):
    """tests/data/risk_chat_lines.jsonl was written before the risk classifier: every risk
    line, sent in the middle of a WRSP interview, gets 988 (either tier) at recall >= 0.98,
    and the interview can be resumed after each."""
    from pathlib import Path

    rows = [
        json.loads(line)
        for line in (Path(__file__).parents[1] / "data" / "risk_chat_lines.jsonl").read_text().splitlines()
        if line.strip()
    ]
    sender = "rest:fran"
    live.say(sender, "start a WRSP")
    started = live.texts(live.say(sender, "T.R."))
    plan_id = int(started.split("Started plan #")[1].split()[0])
    risky = [r for r in rows if r["risk"]]
    missed = []
    for row in risky:
        replies = live.say(sender, row["text"])
        if "988" not in live.texts(replies):
            missed.append(row["id"])
            live.say(sender, "/cancel")
        live.say(sender, f'/wrsp_resume{{"plan_id": "{plan_id}"}}')
    assert 1 - len(missed) / len(risky) >= 0.98, missed
