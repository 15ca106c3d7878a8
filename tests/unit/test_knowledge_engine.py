"""The answering engine over the trained policy model: accuracy on questions written
before the model was trained, numbers compared against rule thresholds, conditions in
three states, clarifying options, programs, junk input, speed, citations verbatim."""

import json
import random
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.knowledge.engine import Answer, get_engine
from bot.knowledge.model import mix_conditions
from bot.knowledge.sources import check_citation

REGRESSION = Path(__file__).parents[1] / "data" / "policy_regression.jsonl"


@pytest.fixture(scope="module")
def engine():
    return get_engine()


def assert_verbatim(engine, ans: Answer):
    for c in ans.citations + ans.related:
        assert check_citation(engine.sources, c) is None, c


def test_regression_set_accuracy(engine):
    """202 questions written in an earlier session, never in the training bank."""
    rows = [json.loads(line) for line in REGRESSION.read_text().splitlines() if line.strip()]
    right = confident_wrong = 0
    for row in rows:
        ans = engine.answer(row["question"])
        assert_verbatim(engine, ans)
        if ans.verdict == row["verdict"]:
            right += 1
        elif not ans.clarify:
            confident_wrong += 1
    assert right / len(rows) >= 0.88
    assert confident_wrong / len(rows) <= 0.05


def test_to_dict_shape(engine):
    d = engine.answer("Can I drive my client to the doctor in my own car?").to_dict()
    assert (
        {"verdict", "answer", "citations", "confidence"}
        <= set(d)
        <= {"verdict", "answer", "citations", "confidence", "clarify"}
    )
    assert d["verdict"] == "not_allowed" and 0.0 <= d["confidence"] <= 1.0
    assert set(d["citations"][0]) == {"source", "section", "quote"}


def test_numbers_are_compared_with_the_limit(engine):
    over = engine.answer("I have 26 people on my caseload now, is that ok?", program="adult")
    under = engine.answer("I have 12 people on my caseload now, is that ok?", program="adult")
    assert (over.rule_id, over.verdict) == ("caseload", "not_allowed")
    assert (under.rule_id, under.verdict) == ("caseload", "allowed")
    assert over.kind == "threshold" and "26" in over.answer
    assert any("25" in c.quote for c in over.citations)


def test_a_question_for_the_figure_gets_the_figure_with_the_number_compared(engine):
    """A number in the backstory of a "how often / what's the most" question is context:
    the verdict is the rule's own (info), and the answer still says where the number stands."""
    asked = engine.answer("I have 26 people on my caseload now. What's the most I'm allowed to carry?", program="adult")
    assert (asked.rule_id, asked.verdict, asked.kind) == ("caseload", "info", "threshold")
    assert "26" in asked.answer and "outside" in asked.answer
    review = engine.answer("My client's plan was reviewed 100 days ago. How often are plans supposed to be reviewed?")
    assert (review.rule_id, review.verdict) == ("wrsp-review", "info")


def test_a_figure_the_programs_set_differently_depends_on_the_program(engine):
    """No number, no program, no document named: the CE hours differ (10 on the SDMI waiver,
    20 for family peer supporters), so the answer depends on which program applies and gives
    both; naming the program or the document gets that program's figure. Questions about the
    DBH clinical consultation are not confused with the waiver's monthly supervision."""
    unsaid = engine.answer("how many CE hours a year do I need to keep my certification?")
    assert (unsaid.rule_id, unsaid.verdict) == ("continuing-education", "depends")
    assert unsaid.condition == "which program's rule applies"
    assert "10 hours" in unsaid.answer and "20" in unsaid.answer
    waiver = engine.answer("how many CE hours a year do I need on the SDMI waiver?")
    assert (waiver.rule_id, waiver.verdict) == ("continuing-education", "info")
    consult = engine.answer("how often does clinical consultation with the licensed provider have to happen?")
    assert consult.verdict == "info"


def test_hours_worked_and_hours_of_supervision_are_read_as_a_ratio(engine):
    """Two figures given together are one ratio ("worked 60 hrs, had 2 hrs of supervision": 30
    to 1, not 60), over the same time when each says its own ("20 hrs a week ... 1 hr a month");
    candidates need 1 hour per 20 worked and certified family peers 1 per 40, so between the
    two the answer depends on which the asker is, unless the question says."""
    q = engine.quantities
    assert q.find("supervision_ratio", "worked 60 hrs this month and had 2 hrs of clinical supervision").value == 30
    assert q.find("supervision_ratio", "I get 4 hours of documented supervision for about 80 hours worked").value == 20
    assert q.find("supervision_ratio", "~20 hrs a week. my clinical supervisor meets w me 1 hr a month").value > 80
    assert q.find("supervision_ratio", "1 hour of supervision for every 20 hours worked").value == 20
    candidate = engine.answer("FPS candidate: worked 60 hrs this month and had 2 hrs of clinical supervision. enough?")
    certified = engine.answer("certified family peer, 60 hours this month and 2 hours of clinical supervision. enough?")
    unsaid = engine.answer("family peer here, 60 hours this month and 2 hours of clinical supervision. enough?")
    short = engine.answer("family peer: worked 90 hours this month, had 2 hours of clinical supervision. enough?")
    assert {a.rule_id for a in (candidate, certified, unsaid, short)} == {"supervision-frequency"}
    assert (candidate.verdict, certified.verdict, unsaid.verdict, short.verdict) == (
        "not_allowed",
        "allowed",
        "depends",
        "not_allowed",
    )
    assert unsaid.condition == "whether you are a candidate or certified (keeping the certification)"
    assert "30 hours worked to 1" in unsaid.answer and "every 40 hours worked" in unsaid.answer


def test_a_range_across_a_limit_depends_on_where_the_number_lands(engine):
    """A range is read with both ends ("anywhere from 2 to 10 people" was read as 2, under the
    minimum of 3): across the limit it depends on whether the number stays within it, and a
    range inside the limit is allowed."""
    q = engine.quantities
    assert (
        q.find("group_size", "anywhere from 10 to 15 parents").low,
        q.find("group_size", "10 to 15 parents").value,
    ) == (10, 15)
    assert q.find("group_size", "usually 8 or 9 people show up").low == 8
    assert q.find("group_size", "we have 9 veterans who want to join").low is None
    across = engine.answer(
        "our group gets anywhere from 2 to 10 people depending on the night, is that ok for a group?"
    )
    inside = engine.answer(
        "our group gets somewhere between 5 and 9 people depending on the night, is that an ok group size?"
    )
    assert (across.rule_id, across.verdict, inside.verdict) == ("group-size", "depends", "allowed")
    assert across.condition == "whether the number stays within the limit" and "2 to 10 people" in across.answer


def test_numbers_as_people_write_them(engine):
    """A duration in two parts is read whole (it was read as its last part: "two years and
    three months" as 3 months, not enough), "2 yrs into recovery" is not an age, a count of
    any kind of people who came or want to come is a group size, and a caseload can be "on my
    list"."""
    q = engine.quantities
    assert q.find("recovery_time", "two years and three months of lived recovery").value == 27
    assert q.find("recovery_time", "a year and two months clean").value == 14
    assert q.find("age", "im 19 (bday was last month) and im 2 yrs into recovery. is my age a problem").value == 19
    assert q.find("group_size", "only 3 residents came to group tonight").value == 3
    assert q.find("group_size", "the sign-up sheet has twelve names on it").value == 12
    assert q.find("group_size", "i have been 5 months in the group") is None
    assert q.find("group_size", "just two patients want to come to group tonight").value == 2
    assert q.find("group_size", "we have 9 veterans who want to join the thursday group").value == 9
    assert q.find("caseload", "got 26 on my list as of today").value == 26
    ans = engine.answer(
        "Hiring manager: she is 19, has a GED and two years and three months of lived recovery. "
        "Does she meet the DBH recovery requirement?"
    )
    assert (ans.rule_id, ans.verdict) == ("recovery-time", "allowed")


def test_dates_ordinals_and_figures_someone_gave(engine):
    """Two dates are the days between them ("admitted March 3, plan signed April 20": 48 days,
    over the WRSP's 30), an ordinal from tenth up is a number ("her twenty-sixth client"), and
    "X told me 45 days. Is that right?" asks for the rule's figure, not a verdict on 45."""
    q = engine.quantities
    assert q.find("wrsp_days", "admitted March 3, WRSP signed April 20").value == 48
    assert q.find("wrsp_days", "admitted 12/20, plan signed 1/9").value == 20
    assert q.find("caseload", "she just picked up her twenty-sixth client").value == 26
    assert q.find("caseload", "my first client starts monday") is None
    assert q.find("caseload", "i'm at 24 now and two more would make 26").value == 26
    assert q.find("group_size", "about fourteen regulars show up on tuesdays").value == 14
    assert round(q.find("recovery_time", "discharged on the 5th of January, and today is June 20").value) == 5
    late = engine.answer(
        "Chart audit in our Nebraska DBH peer program: member admitted March 3, WRSP signed April 20. "
        "Did we meet the deadline?"
    )
    assert (late.rule_id, late.verdict) == ("wrsp-deadline", "not_allowed")
    on_time = engine.answer("admitted 6/1, plan written and signed 6/24. are we inside the WRSP timeline?")
    assert (on_time.rule_id, on_time.verdict) == ("wrsp-deadline", "allowed")
    told = engine.answer("A coworker told me the WRSP has to be done within 45 days of admission. Is that right?")
    assert (told.rule_id, told.verdict) == ("wrsp-deadline", "info")
    assert "30 days" in told.answer


def test_a_date_since_which_runs_to_today(engine):
    """A date after "since" runs to today: "sober since March of last year" is the months
    from then to today; a number stated
    wins over a date ("45 days since March 3" is 45 days); a month not yet reached this year
    is last year's."""
    q, today = engine.quantities, date(2026, 12, 2)
    assert round(q.find("recovery_time", "I've been sober since March of last year", today).value) == 21
    assert round(q.find("recovery_time", "clean date is 6/14/2024", today).value) == 30
    assert round(q.find("recovery_time", "in recovery since early 2026", today).value) == 10
    assert q.find("wrsp_days", "it's been 45 days since March 3", today).value == 45
    assert round(q.find("review_interval", "plan last reviewed in mid-August", today).value) == 109
    assert round(q.find("recovery_time", "sober since December", date(2026, 2, 1)).value) == 2
    assert q.find("recovery_time", "since I was a teenager", today) is None


def test_what_peers_do_is_answered_from_the_list_that_says_so(engine):
    """Running a group is allowed (within the size limits), with the family peer scope of
    practice cited; teaching the community about recovery and helping someone cope with
    symptoms are peer support interventions of the Peer Support Services definition."""
    group = engine.answer("I'm a family peer supporter. Can I start a monthly support group for my parents?")
    assert (group.rule_id, group.verdict) == ("group-size", "allowed")
    assert "Facilitate a parent/caregiver support group." in [c.quote for c in group.citations]
    talk = engine.answer(
        "Our church asked me to teach their volunteers about recovery so people feel less judged. "
        "Is that something a peer specialist does?"
    )
    assert (talk.rule_id, talk.verdict) == ("community-education", "allowed")
    cope = engine.answer("Can I practise grounding exercises with a client who gets panic attacks?")
    assert (cope.rule_id, cope.verdict) == ("managing-symptoms", "allowed")
    for ans in (group, talk, cope):
        assert_verbatim(engine, ans)


def test_recovery_months_for_certification(engine):
    ans = engine.answer("I've been in recovery for 8 months, can I get certified as a CPSS in Idaho?")
    assert ans.verdict == "not_allowed"
    assert any("one year" in c.quote.lower() or "1 year" in c.quote.lower() for c in ans.citations)
    assert "Other programs" in ans.answer


def test_condition_in_three_states(engine):
    silent = engine.answer("Can I go bowling with my client?")
    met = engine.answer("Bowling is one of the recovery goals in his plan. Can I go bowling with him?")
    unmet = engine.answer("He has not asked me to, but can I call his psychiatrist about his meds?")
    assert silent.verdict == "depends" and silent.condition
    assert (met.rule_id, met.verdict) == ("community-with-peer", "allowed")
    assert (unmet.rule_id, unmet.verdict) == ("prescriber-advocacy", "not_allowed")


def test_the_pooled_condition_reader_settles_conditions_but_adds_nothing_to_depends():
    """The reader pooled over every depends rule's bank questions moves a rule's verdict
    toward allowed when it reads the condition as met and toward not_allowed when not met;
    its "not said" vote adds nothing to depends (it was surest exactly where the question
    said the condition was not met)."""
    own = {"allowed": 0.3, "not_allowed": 0.2, "depends": 0.5}
    met = mix_conditions(own, {"met": 1.0, "unmet": 0.0, "silent": 0.0}, 0.75)
    unmet = mix_conditions(own, {"met": 0.0, "unmet": 1.0, "silent": 0.0}, 0.75)
    silent = mix_conditions(own, {"met": 0.0, "unmet": 0.0, "silent": 1.0}, 0.75)
    assert max(met, key=met.get) == "allowed" and max(unmet, key=unmet.get) == "not_allowed"
    plain = 0.25 * own["depends"] + 0.75  # mixing the "not said" vote in as the other states are
    assert own["depends"] < silent["depends"] < plain
    for mixed in (met, unmet, silent):
        assert set(mixed) == set(own) and abs(sum(mixed.values()) - 1) < 1e-9


def test_a_condition_said_to_be_unmet_is_read_as_unmet(engine):
    """Without the pooled reader this was `depends`, asked about: the rule's own classifier
    had not learned "she never asked me to"."""
    assert engine.model.conditions is not None
    ans = engine.answer("She never asked me to, but can I tell her psychiatrist she's been skipping doses?")
    assert (ans.rule_id, ans.verdict) == ("prescriber-advocacy", "not_allowed")


def test_clarifying_options_when_unsure(engine):
    ans = engine.answer("can I help her with the ride thing")
    if ans.clarify:  # the model is unsure: 2-3 options, the best guess kept as the verdict
        assert 2 <= len(ans.clarify) <= 3
        assert all(o.question for o in ans.clarify)
        assert ans.to_dict()["clarify"][0]["rule_id"]
    picked = engine.answer_rule("transport-client", "can I help her with the ride thing")
    assert picked.rule_id == "transport-client" and picked.verdict == "not_allowed"


def test_program_awareness(engine):
    fam = engine.answer("How often do I need clinical supervision?", program="family")
    adult = engine.answer("How often do I need clinical supervision?", program="adult")
    assert fam.citations[0].source == "fps-toolkit"
    assert adult.citations[0].source != "fps-toolkit"
    assert engine.answer("FPS here, how much supervision do I need?").program == "family"


def test_typos(engine):
    assert engine.answer("can i drvie my cleint to her apointment in my car").verdict == "not_allowed"
    assert engine.answer("is it ok to acept a giift card from a familly").rule_id == "gifts"


def test_very_long_question(engine):
    rng = random.Random(3)
    filler = " ".join(
        rng.choice(["today", "we", "talked", "about", "her", "week", "and", "the", "weather"]) for _ in range(5000)
    )
    q = filler + " Anyway, can I hold on to her wallet and keys while she is in the hospital?"
    t = time.perf_counter()
    ans = engine.answer(q)
    assert time.perf_counter() - t < 2.0
    assert ans.verdict == "not_allowed" and ans.rule_id == "hold-belongings"


@pytest.mark.parametrize("junk", ["", "   ", "???", "asdkjh qwpoeiru zxmcnv", "1234 5678", "\x00\x01"])
def test_empty_or_gibberish_gets_help(engine, junk):
    ans = engine.answer(junk)
    assert ans.kind == "help" and ans.verdict == "not_covered" and not ans.citations
    assert "Ask" in ans.answer


def test_not_covered_has_no_made_up_citations(engine):
    ans = engine.answer("Does my agency's car insurance cover me if I get a flat tire on the way to work?")
    assert ans.verdict == "not_covered" and ans.citations == []
    assert "supervisor" in ans.answer
    assert_verbatim(engine, ans)


def test_no_rasa_imports():
    # in a fresh interpreter: other test modules in the same session may import rasa
    import subprocess

    code = (
        "import sys; from bot.knowledge.engine import answer; answer('Can I drive my client?'); "
        "sys.exit(int('rasa' in sys.modules or 'rasa_sdk' in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parents[2]).returncode == 0


_WORDS = [
    "my",
    "her",
    "his",
    "client",
    "supervisor's",
    "therapy",
    "dog",
    "gift",
    "shop",
    "drive",
    "-",
    "thru",
    "own",
    "can",
    "i",
    "keep",
    "not",
    "'s",
    "legal",
    "pad",
    "ride",
    "share",
    "with",
    "doctor",
    "?",
    "$",
    "200",
    "WRSP",
    "26",
    "months",
    "hours",
    "caseload",
    "more",
    "than",
    "less",
]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(_WORDS), max_size=40))
def test_never_raises_on_topic_words(engine, words):
    ans = engine.answer(" ".join(words))
    assert ans.verdict in {"allowed", "not_allowed", "depends", "info", "not_covered"}
    assert 0.0 <= ans.confidence <= 1.0
    assert_verbatim(engine, ans)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=400))
def test_never_raises(engine, text):
    ans = engine.answer(text, program=random.choice([None, "adult", "family", "bogus"]))
    assert ans.verdict in {"allowed", "not_allowed", "depends", "info", "not_covered"}
    assert_verbatim(engine, ans)


def test_numbers_added_to_a_stated_one(engine):
    """A number added to a stated one counts: "22 on my caseload and two more coming" is 24,
    "416 units ... about 8 more units" is 424, "two dozen" is 24; a number of another unit
    ("3 more weeks") adds nothing; "turning 19" is not 19 yet."""
    q = engine.quantities
    assert q.find("caseload", "I have 22 on my DBH caseload and two more coming next week").value == 24
    assert q.find("units_year", "She hit 416 units in November. We'd like about 8 more units in December").value == 424
    assert q.find("group_size", "two dozen moms signed up").value == 24
    assert q.find("group_size", "a couple dozen moms signed up").value == 24
    assert q.find("group_size", "a group of 10 people with 3 more weeks to go").value == 10
    # a number restated in brackets is said once: "eight (8) months", "22 (twenty-two)"
    eight = q.find("recovery_time", "She has 8 months of recovery.").value
    assert q.find("recovery_time", "She has eight (8) months of recovery.").value == eight
    assert q.find("caseload", "He carries 22 (twenty-two) active clients.").value == 22
    assert q.find("caseload", "He carries twenty-two (22) active clients.").value == 22
    assert q.find("training_hours", "I have 24 hours of training and another 6 next month").value == 30
    assert q.find("age", "im 18, turning 19 next month. can i start now?").value < 19  # not 19 yet
    assert q.find("age", "I'll be 21 by the time I finish training").value < 21
    assert q.find("age", "I just turned 19").value == 19
    # every added number counts, and more ways of adding one: "pick up", "plus", "N transfers"
    both = "I have 22 on my caseload. Two new admissions are coming next week plus two transfers from the other office."
    assert q.find("caseload", both).value == 26
    assert (
        q.find("caseload", "im full at 25 families and my boss wants me to pick up the 2 from Debs caseload").value
        == 27
    )
    assert (
        q.find("caseload", "One provider has 22 active right now and two intakes scheduled for next week").value == 24
    )
    assert q.find("caseload", "so I'll be at twenty-seven on my caseload starting monday").value == 27
    # numbers on several days add up; an added number before the stated one is added to it
    days = q.find("units_week", "Waiver member: we did 3 units Monday, 5 Wednesday and 4 Friday. CPO said no.")
    assert (days.value, days.said) == (12, "3 units and 5 wednesday and 4 friday")
    assert q.find("units_week", "4 units on Monday and 4 on Thursday this week").value == 8
    before = "Can I pick up three families from a coworker who is leaving? I already have 24 on my list."
    assert q.find("caseload", before).value == 27
    assert q.find("caseload", "boss wants me to pick up the 2 from Debs caseload, so 27 total").value == 27
    over = engine.answer("I have 23 clients on my DBH caseload and my supervisor is adding another 4. Is that ok?")
    assert (over.rule_id, over.verdict) == ("caseload", "not_allowed")
    assert "23 clients and another 4" in over.answer


def test_a_limit_reached_and_gone_past(engine):
    """A number the person has "hit" or "reached", in a question that asks to go on past it, is
    read as just above it: at the yearly threshold and going on is over it."""
    q = engine.quantities
    past = "He hit 416 units back in October. Can I keep seeing him through December? (Idaho)"
    assert q.find("units_year", past).value > 416
    assert q.find("units_year", "She reached 416 units, can we continue for the rest of the year?").value > 416
    assert q.find("units_year", "She hit 416 units in October, what now?").value == 416  # not asking to go on
    assert q.find("caseload", "My caseload hit 25. Is that ok?").value == 25
    ans = engine.answer(past)
    assert (ans.rule_id, ans.verdict) == ("units-per-year", "depends")
    assert "prior authorized" in ans.answer
