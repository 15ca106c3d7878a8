"""Behaviour of the general mechanisms of the note checker: first names as
people, passive voice with the writer as agent, verb-centred errands on the
person's things whatever the object, and the scoped `unless` syntax.
The sentences are made up for these tests (not from any eval set)."""

import pytest

from bot.notes.config import NoteCheckDataError, _parse_rule


@pytest.fixture(scope="module")
def checker():
    """The cue rules on their own: these tests are about their mechanisms."""
    from bot.notes.checker import NoteChecker

    return NoteChecker(model=False)


def cats(checker, text):
    return sorted({f.category for f in checker.check(text)})


def mentions(checker, text):
    doc = checker.nlp(text)
    return {doc[m.start : m.end].text: m for m in doc._.ps_actors.mentions if m.kind == "noun"}


# -- first names ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, name",
    [
        ("Brought Priya to her dentist visit.", "Priya"),  # after a person-taking verb
        ("Left the form at Priya's door.", "Priya"),  # possessive
        ("Priya reports she slept well.", "Priya"),  # clause subject + verb
        ("Met Ms. Okafor at the library.", "Ms. Okafor"),  # joins the title
    ],
)
def test_first_names_are_people(checker, text, name):
    assert name in mentions(checker, text)


@pytest.mark.parametrize(
    "text, word",
    [
        ("Walked to Safeway Tuesday with member.", "Safeway"),
        ("Member applied at Rite Aid for a job.", "Aid"),
        ("Drove past Trader Joe's on the way.", "Joe"),
        ("Reviewed the Medicaid renewal with member.", "Medicaid"),
    ],
)
def test_places_and_sentence_initial_verbs_are_not_names(checker, text, word):
    found = mentions(checker, text)
    assert not any(word in k for k in found)
    assert "Walked" not in found and "Drove" not in found and "Reviewed" not in found


def test_other_occurrences_of_a_name_are_people_too(checker):
    doc = checker.nlp("Drove Priya home. Later Priya called.")
    names = [doc[m.start : m.end].text for m in doc._.ps_actors.mentions if m.kind == "noun"]
    assert names.count("Priya") == 2


def test_named_person_counts_as_doer_and_as_company(checker):
    assert cats(checker, "Took Priya to the eye clinic in my car.") == ["transport"]
    assert cats(checker, "Priya picked up her own refill at the pharmacy.") == []
    assert cats(checker, "Did the grocery shopping with Priya; she paid with her card.") == []


# -- passive voice ----------------------------------------------------------------


def test_passive_with_writer_as_agent(checker):
    assert cats(checker, "The member's refill was collected by writer at the counter.") == ["errands"]
    assert cats(checker, "Member was dropped off at the shelter by PSS.") == ["transport"]
    assert cats(checker, "A ride to the clinic was provided by this writer.") == ["transport"]


def test_passive_with_someone_else_or_no_agent(checker):
    assert cats(checker, "The member's refill was collected by her son.") == []
    assert cats(checker, "Member was dropped off at the shelter by the county van.") == []


# -- verb-centred errands -------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Writer returned her rented carpet cleaner to the hardware store.",
        "PSS picked up his altered suit from the tailor.",
        "I dropped off her broken laptop for repair.",
        "CPSS carried the old couch to the dump for the member.",
        "Writer brought the box of canned goods over to the member's apartment.",
    ],
)
def test_errand_on_the_persons_things_whatever_the_object(checker, text):
    assert "errands" in cats(checker, text)


@pytest.mark.parametrize(
    "text",
    [
        "Writer returned her call and set up a visit.",  # not a thing
        "Member returned her library books while writer waited outside.",  # member did it
        "Writer picked up the member at the clinic and drove her home.",  # a person: transport only
        "Writer encouraged member to pick up his dry cleaning himself.",
        "We drove to the bank together in my car so she could deposit her check.",
    ],
)
def test_not_an_errand(checker, text):
    assert "errands" not in cats(checker, text)


# -- data syntax ------------------------------------------------------------------


def test_unless_with_own_scope_is_validated():
    ok = _parse_rule({"id": "r", "match": ["A"], "unless": ["B@sentence"]}, "errands", "t", {"A", "B"})
    assert ok.unless == ("B@sentence",)
    with pytest.raises(NoteCheckDataError):
        _parse_rule({"id": "r", "match": ["A"], "unless": ["B@paragraph"]}, "errands", "t", {"A", "B"})
    with pytest.raises(NoteCheckDataError):
        _parse_rule({"id": "r", "match": ["A"], "unless": ["C@sentence"]}, "errands", "t", {"A", "B"})


def test_payment_for_work_is_not_a_gift(checker):
    assert cats(checker, "Writer hired the member to clean writer's garage and paid him $80.") == ["relationship"]


def test_the_scope_classifier_reads_a_sentence_with_its_neighbours_in_the_same_note():
    """A request in one sentence is settled in the next ("I said no"): the scope classifier
    sees the sentences before and after, and never a sentence of another note."""
    import numpy as np

    from bot.notes.model import CONTEXT_WEIGHT, scope_dense

    emb = np.arange(1, 5, dtype=np.float32).reshape(4, 1) * np.ones((4, 2), dtype=np.float32)
    hits = np.zeros((4, 1), dtype=np.float32)
    dense = scope_dense(hits, emb, ["a", "a", "b", "b"])
    before, after = dense[:, 3:5] / CONTEXT_WEIGHT, dense[:, 5:7] / CONTEXT_WEIGHT
    assert before[:, 0].tolist() == [0, 1, 0, 3]  # nothing before a note's first sentence
    assert after[:, 0].tolist() == [2, 0, 4, 0]  # nor after its last
    assert dense[:, 1:3].tolist() == emb.tolist()
    one_note = scope_dense(hits, emb)
    assert one_note[2, 3] == 2 * CONTEXT_WEIGHT and one_note[1, 5] == 3 * CONTEXT_WEIGHT


def test_a_long_sentence_is_also_read_in_runs_of_words():
    """Risk stated at the end of a long sentence about something else is diluted in the whole
    sentence's embedding: the risk model also reads runs of WINDOW words across it, the last
    run ending with the sentence; a sentence of twice WINDOW words or fewer is read whole."""
    from bot.notes.passages import WINDOW, passages, runs, split_sentences

    text = (
        "We went over her budget for the new apartment and practised the bus route to the job "
        "centre for Monday and she laughed about her cat, and then at the door she said she has "
        "been saving up her pills to take them all on Saturday."
    )
    spans = runs(text, split_sentences(text))
    assert len(spans) > 2 and all(len(text[a:b].split()) == WINDOW for a, b in spans)
    assert text[spans[0][0] :].startswith("We went over") and text[: spans[-1][1]].endswith("on Saturday.")
    assert not set(spans) & set(passages(text, split_sentences(text)))  # passages are read whole
    short = "Met her at the library and we practised the bus route to the job centre for Monday."
    assert runs(short, split_sentences(short)) == []


def test_a_run_of_words_can_ask_to_check_but_never_raises_an_alert():
    """A run cut from a long sentence lacks the rest of it, which may settle it; so a run that
    scores over the alert threshold gives risk_possible, while the same words as a sentence of
    their own give the alert."""
    from bot.notes.checker import NoteChecker
    from bot.notes.model import NoteModel

    class Fixed(NoteModel):
        def __init__(self):
            self.thresholds = {"risk": 0.8, "risk_possible": 0.2}

        def risk_probs(self, texts):
            import numpy as np

            # as with a real model, the risk is diluted in the long sentence's own score
            return np.array([0.95 if "saving up her pills" in t and len(t.split()) <= 20 else 0.1 for t in texts])

    checker = NoteChecker(model=False)
    checker.model = Fixed()
    long_one = (
        "We went over her budget for the new apartment and practised the bus route to the job "
        "centre for Monday and she laughed about her cat, and then at the door she said she has "
        "been saving up her pills to take them all on Saturday."
    )
    sents = [(0, len(long_one))]
    flags = checker._risk(long_one, sents, {})
    assert [f.category for f in flags] == ["risk_possible"]
    alone = "At the door she said she has been saving up her pills."
    assert [f.category for f in checker._risk(alone, [(0, len(alone))], {})] == ["risk"]
    # the pair of sentences around it scores high too, but one statement gives one flag
    two = "We practised the bus route. At the door she said she has been saving up her pills."
    flags = checker._risk(two, [(0, 27), (28, len(two))], {})
    assert [(f.category, two[f.start : f.end]) for f in flags] == [("risk", two[28:])]
