"""'Can I do this?' over the live REST webhook."""

from __future__ import annotations

from sqlalchemy import select

from bot.knowledge.sources import Citation, check_citation, load_sources
from bot.store import session_scope
from bot.store.models import UnansweredQuestion

AMBIGUOUS = "can I help with her meds"  # the model is unsure which rule this is about


def _policy_payload(live, replies):
    payloads = [c for c in live.customs(replies) if c.get("type") == "policy_answer"]
    assert len(payloads) == 1, replies
    return payloads[0]


def test_a_can_i_question_gets_verdict_explanation_and_verbatim_citation(live):
    replies = live.say("rest:pat", "can I drive my client to her appointment in my own car?")
    answer = _policy_payload(live, replies)
    assert answer["verdict"] == "not_allowed"
    assert any(c["source"] == "cpss-job-description" for c in answer["citations"])
    sources = load_sources()
    for c in answer["citations"]:
        assert check_citation(sources, Citation(c["source"], c["section"], c["quote"])) is None
    text = live.texts(replies)
    assert "Not allowed" in text and answer["citations"][0]["quote"][:40] in text

    source_replies = live.say("rest:pat", "where does it say that?")
    shown = live.texts(source_replies)
    for c in answer["citations"]:
        assert c["quote"][:40] in shown and c["section"] in shown

    section = live.texts(live.say("rest:pat", "show me the full section"))
    assert answer["citations"][0]["section"] in section and len(section) > len(answer["citations"][0]["quote"])


def test_a_question_the_policies_do_not_cover_is_logged_for_supervisors(live):
    question = "Does my agency reimburse mileage for home visits?"
    answer = _policy_payload(live, live.say("rest:fran", question))
    assert answer["verdict"] == "not_covered" and answer["citations"] == []
    with session_scope() as session:
        rows = session.scalars(select(UnansweredQuestion).where(UnansweredQuestion.question == question)).all()
    assert [r.staff_id for r in rows] == [live.staff_ids["rest:fran"]]


def test_typos_still_get_an_answer(live):
    answer = _policy_payload(live, live.say("rest:pat", "cn i lend my clent sum money til payday??"))
    assert answer["verdict"] == "not_allowed" and answer["citations"]


def test_the_program_is_asked_once_and_remembered(live):
    from bot.store import staff as staff_repo

    # a question PeerScope is sure of (an unsure one first asks which situation is meant)
    replies = live.say("rest:eve", "can I drive my client to her appointment in my own car?")
    assert "Which program are you in?" in live.texts(replies)
    assert "family peer support" in live.texts(live.say("rest:eve", '/set_program{"program": "family"}'))
    with session_scope() as session:
        assert staff_repo.from_sender(session, "rest:eve").program.value == "family"
    again = live.say("rest:eve", "can I drive my client to her appointment in my own car?")
    assert "Which program are you in?" not in live.texts(again)


def test_an_unsure_answer_asks_with_buttons_and_the_tap_answers(live):
    from bot.knowledge.engine import get_engine

    question = AMBIGUOUS
    assert get_engine().answer(question, program="adult").clarify, "no longer ambiguous to the model"
    replies = live.say("rest:pat", question)
    assert "Do you mean" in live.texts(replies)
    buttons = live.buttons(replies)
    picks = [b for b in buttons if b["payload"].startswith("/pick_rule")]
    assert 3 <= len(picks) <= 4 and picks[-1]["title"].startswith("Something else")
    answer = _policy_payload(live, live.say("rest:pat", picks[0]["payload"]))
    assert "clarify" not in answer and answer["verdict"] in {"allowed", "not_allowed", "depends", "info"}
    assert answer["citations"]
    rule_id = picks[0]["payload"].split('"rule_id": "')[1].split('"')[0]
    expected = get_engine().answer_rule(rule_id, question, program="adult")
    assert answer["verdict"] == expected.verdict

    other = _policy_payload(live, live.say("rest:pat", picks[-1]["payload"]))
    assert other["verdict"] == "not_covered"


def test_recovery_time_is_compared_with_the_one_year_rule(live):
    answer = _policy_payload(
        live, live.say("rest:pat", "I've been in recovery for 8 months, can I get certified as a CPSS in Idaho?")
    )
    assert answer["verdict"] == "not_allowed"
    assert any("minimum of 1 year" in c["quote"] for c in answer["citations"])
    assert "Other programs" in answer["answer"]


def test_a_pasted_note_is_offered_the_note_check(live):
    note = (
        "Met with member at the library for 60 minutes. We reviewed her WRAP and she added calling her sister "
        "as a wellness tool. Member plans to apply at the grocery store on Friday and practiced answering "
        "interview questions. Next visit scheduled for Tuesday at the library."
    )
    replies = live.say("rest:pat", note)
    assert "looks like a progress-note draft" in live.texts(replies)
    assert "/check_note" in [b["payload"] for b in live.buttons(replies)]
    assert not [c for c in live.customs(replies) if c.get("type") == "policy_answer"]


def test_the_topic_of_each_answer_is_recorded_for_the_insights_page_without_the_question(live):
    from sqlalchemy import func

    from bot.store.models import AuditLog

    with session_scope() as session:
        before = session.scalar(select(func.max(AuditLog.id))) or 0
    question = "can I drive my client to her appointment in my own car?"
    answer = _policy_payload(live, live.say("rest:gus", question))
    with session_scope() as session:
        rows = session.scalars(
            select(AuditLog).where(
                AuditLog.action == "policy.answer",
                AuditLog.id > before,
                AuditLog.actor_id == live.staff_ids["rest:gus"],
            )
        ).all()
    assert [r.detail["verdict"] for r in rows] == [answer["verdict"]]
    assert rows[0].detail["rule"] and "drive" not in str(rows[0].detail)
