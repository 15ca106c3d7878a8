"""When PeerScope is sure enough to answer (bot/knowledge/reliability.py): the learned
probability that a verdict is right, the point below which it asks instead, and the
options it asks about. The first tests fit on made-up calibration answers; the others
check the trained model (models/policy) and fail if its calibration breaks."""

import json
import random

import numpy as np
import pytest

from bot.knowledge import reliability as rl
from bot.knowledge.engine import NOT_COVERED, PICK_VERDICT, Decision, get_engine


def _unit(v):
    v = np.asarray(v, dtype=np.float32)
    return v / np.linalg.norm(v)


def _synthetic(seed=0, rounds=5, per_round=60):
    """Rule "good" is answered right 95% of the time, rule "shaky" 30%; questions about
    "shaky" sit close together in embedding space, as a blind writer's repeats do."""
    rng = random.Random(seed)
    outcomes, vectors = [], []
    for r in range(rounds):
        for i in range(per_round):
            shaky = i % 5 == 0
            rule, verdict = ("shaky", "depends") if shaky else ("good", "not_allowed")
            right = rng.random() < (0.3 if shaky else 0.95)
            expected = verdict if right else ("allowed" if shaky else "depends")
            d = Decision(
                rule,
                verdict,
                raw=rng.uniform(0.6, 0.95),
                confidence=0.0,
                ranked=[(rule, 0.9), ("other", 0.05)],
                candidates=[(rule, 0.9, verdict)],
            )
            outcomes.append(rl.Outcome(rule, verdict, right, expected, f"round{r}", rl.engine_scores(d)))
            base = [1.0, 0.0, 0.0] if shaky else [0.0, 1.0, 0.0]
            vectors.append(_unit(np.array(base) + np.array([rng.gauss(0, 0.2) for _ in range(3)])))
    return outcomes, np.stack(vectors)


def _decision(rule, verdict):
    return Decision(
        rule, verdict, raw=0.8, confidence=0.0, ranked=[(rule, 0.9), ("other", 0.05)], candidates=[(rule, 0.9, verdict)]
    )


def test_a_rule_that_was_often_wrong_is_less_sure_and_asks():
    outcomes, vectors = _synthetic()
    fitted = rl.fit(outcomes, vectors)
    shaky = fitted.probability(_decision("shaky", "depends"), _unit([1, 0.05, 0]))
    good = fitted.probability(_decision("good", "not_allowed"), _unit([0.05, 1, 0]))
    assert shaky < 0.6 < 0.85 < good
    assert fitted.should_ask(shaky) and not fitted.should_ask(good)


def test_the_clarification_rate_stays_under_the_cap_on_held_out_rounds():
    outcomes, vectors = _synthetic(seed=1)
    fitted = rl.fit(outcomes, vectors, max_ask_rate=0.25)
    assert 0.1 <= fitted.report["held_out_clarify_rate"] <= 0.25
    # asking on the least sure quarter catches most wrong answers (70% of a fifth vs 5% of the rest)
    assert fitted.report["held_out_confident_wrong"] < 0.06


def test_choose_ask_below_is_a_quantile():
    p = np.linspace(0.0, 1.0, 101)
    t = rl.choose_ask_below(p, 0.2)
    assert (p < t).sum() == 20
    assert rl.choose_ask_below(p, 0.0) == 0.0


def test_choose_ask_below_asks_less_when_fewer_asked_meet_the_target():
    p = np.linspace(0.0, 1.0, 101)
    right = (p >= 0.1).astype(int)  # the 10 least likely are the only wrong ones
    assert (p < rl.choose_ask_below(p, 0.2, right, 0.0)).sum() == 10
    assert (p < rl.choose_ask_below(p, 0.2, right, 0.05)).sum() == 5  # 5 wrong of 101 left: under 5%
    right[50] = 0  # a wrong answer the cap cannot reach: the cap decides
    assert (p < rl.choose_ask_below(p, 0.2, right, 0.0)).sum() == 20


def test_the_regularisation_is_chosen_on_held_out_rounds():
    outcomes, vectors = _synthetic(seed=4)
    fitted = rl.fit(outcomes, vectors)
    assert fitted.report["C"] in rl.C_GRID


def test_saved_and_loaded_gives_the_same_probability(tmp_path):
    outcomes, vectors = _synthetic(seed=2)
    fitted = rl.fit(outcomes, vectors)
    fitted.save(tmp_path / "reliability.npz")
    loaded = rl.Reliability.load(tmp_path / "reliability.npz")
    d, e = _decision("shaky", "depends"), _unit([1, 0.1, 0])
    assert loaded.probability(d, e) == pytest.approx(fitted.probability(d, e))
    assert loaded.ask_below == pytest.approx(fitted.ask_below)
    assert loaded.report == fitted.report


def test_a_file_made_for_other_features_is_refused(tmp_path):
    outcomes, vectors = _synthetic(seed=3)
    path = tmp_path / "reliability.npz"
    rl.fit(outcomes, vectors).save(path)
    with np.load(path) as data:
        arrays = dict(data)
    arrays["features"] = np.array(["raw", "p1"])
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="other features"):
        rl.Reliability.load(path)


# -- the trained model ------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine():
    return get_engine()


def test_the_trained_model_is_calibrated_on_held_out_rounds(engine):
    """Figures from `peerscope train` on the calibration rounds, each held out in turn."""
    assert engine.model.reliability is not None, "the policy model has no reliability model: run peerscope train"
    stats = engine.model.reliability.report
    assert engine.model.meta["calibration_set"]["held_out_confident_wrong"] == stats["held_out_confident_wrong"]
    assert stats["held_out_clarify_rate"] <= rl.MAX_ASK_RATE + 0.01
    assert stats["held_out_confident_wrong"] <= 0.05
    assert stats["held_out_calibration_error"] <= 0.06


def _blind_policy_rounds_outside_calibration():
    """Every blind round whose policy questions are neither in the calibration set (the
    calibration rounds live in knowledge/banks/calibration as blind_roundN.jsonl) nor in
    the bank (knowledge/banks/questions: q13 holds rounds 11 and 17-26, q14 rounds 28-31 and 33)."""
    from pathlib import Path

    from bot.knowledge.model import load_bank
    from bot.knowledge.training import bank_dir
    from bot.paths import knowledge_dir

    calibrated = {p.stem.removeprefix("blind_") for p in (knowledge_dir() / "banks" / "calibration").glob("*.jsonl")}
    trained = {ex.text for ex in load_bank(bank_dir(knowledge_dir()))}
    blind = Path(__file__).parents[1] / "data" / "blind"
    rounds = [p for p in blind.glob("round*/policy.jsonl") if p.parent.name not in calibrated]
    by_round = [[json.loads(line) for line in p.read_text().splitlines() if line.strip()] for p in sorted(rounds)]
    # a round some of whose questions the classifiers learned from is seen as a whole
    rows = [r for one in by_round if not any(q["question"] in trained for q in one) for r in one]
    assert rows, "no blind policy round outside the calibration set and the bank in tests/data/blind"
    return rows


def test_confidence_tracks_correctness_on_blind_rounds_outside_calibration(engine):
    """These rounds are in neither the bank nor the calibration set: the answers PeerScope
    is surest of are right more often than those it asks about, and few it does not ask
    about are wrong. Pooled, because one round of 80-150 questions is too few for a 30% cap
    (its standard error is 4-5 points: rounds 34, 37, 47 and 51-56 ask 23-33%, pooled 26.9%)."""
    from bot.knowledge.training import load_calibration
    from bot.paths import knowledge_dir

    rows = _blind_policy_rounds_outside_calibration()
    assert len(rows) >= 300
    # independent writers now and then ask the same short question word for word (rounds 4
    # and 8 share one, round 11 one of rounds 1-7); the rounds must be new all the same
    seen = {c.text for c in load_calibration(knowledge_dir())}
    assert sum(r["question"] in seen for r in rows) <= 0.02 * len(rows)
    answers = [(engine.answer(r["question"], r.get("program")), r["verdict"]) for r in rows]
    asked = [a.verdict == v for a, v in answers if a.clarify]
    answered = [a.verdict == v for a, v in answers if not a.clarify]
    assert len(asked) <= 0.3 * len(rows)
    assert sum(answered) / len(answered) > sum(asked) / max(len(asked), 1)
    assert answered.count(False) <= 0.08 * len(rows)


def test_unsure_options_offer_two_verdicts_and_a_pick_gives_that_verdict(engine):
    """A depends rule whose condition the question leaves open: the options are the
    rule's verdicts, each labelled by when it applies, and tapping one answers it."""
    rule = engine.rule_by_id["gifts"]
    d = Decision(
        "gifts",
        "depends",
        raw=0.3,
        confidence=0.2,
        ranked=[("gifts", 0.9), (NOT_COVERED, 0.02)],
        candidates=[("gifts", 0.9, "depends"), (NOT_COVERED, 0.02, NOT_COVERED)],
    )
    pairs = engine.unsure_options(d, "a mom gave me a gift, can i keep it", engine.model, None)
    assert pairs[0] == ("gifts", "depends") and ("gifts", "not_allowed") in pairs
    options = engine.options(pairs)
    other = next(o for o in options if o.verdict == "not_allowed")
    assert other.pick == f"gifts{PICK_VERDICT}not_allowed"
    assert other.question.lower().startswith(rule.variant("not_allowed").when.lower()[:20])
    picked = engine.answer_rule(other.pick, "a mom gave me a gift, can i keep it")
    assert (picked.rule_id, picked.verdict) == ("gifts", "not_allowed") and not picked.clarify
    assert picked.citations


def test_a_rule_with_one_verdict_is_offered_with_something_else(engine):
    d = Decision(
        "legal-advice",
        "not_allowed",
        raw=0.5,
        confidence=0.1,
        ranked=[("legal-advice", 0.95), ("legal-representation", 0.01)],
        candidates=[("legal-advice", 0.95, "not_allowed"), ("legal-representation", 0.01, "not_allowed")],
    )
    pairs = engine.unsure_options(d, "can i tell her what to say in court", engine.model, None)
    assert pairs == [("legal-advice", "not_allowed"), (NOT_COVERED, NOT_COVERED)]


def test_a_fourth_ranked_rule_with_another_verdict_is_offered(engine):
    """Three rules that allow something, then the one that forbids: ask about that one."""
    ranked = [("make-appointments", 0.27), ("prescriber-advocacy", 0.21), ("crisis-plan-wrap", 0.18)]
    ranked.append(("medication-advice", 0.10))
    d = Decision(
        "make-appointments",
        "allowed",
        raw=0.27,
        confidence=0.1,
        ranked=ranked,
        candidates=[(rid, p, "not_allowed" if rid == "medication-advice" else "allowed") for rid, p in ranked],
    )
    pairs = engine.unsure_options(d, "can I help with her meds", engine.model, None)
    assert pairs[0] == ("make-appointments", "allowed") and ("medication-advice", "not_allowed") in pairs


def test_every_unsure_answer_offers_at_least_two_verdicts(engine):
    for question in [
        "can I help with her meds",
        "a mom gave me homemade tamales, can i keep them",
        "what does the 90 day plan review need to include?",
        "can i go to my client's wedding",
    ]:
        ans = engine.answer(question)
        assert (ans.confidence < engine.model.reliability.ask_below) == bool(ans.clarify)
        if ans.clarify:
            assert 2 <= len(ans.clarify) <= 3 and len({o.verdict for o in ans.clarify}) >= 2
            assert ans.clarify[0].verdict == ans.verdict  # the best guess stays the verdict


def test_a_model_saved_without_a_part_leaves_no_stale_file_of_it(tmp_path):
    """Retraining without the note router (or the condition reader) must not leave the
    previous model's file behind to be loaded with the new model."""
    from dataclasses import replace

    from bot.knowledge.engine import policy_model_dir
    from bot.knowledge.model import PolicyModel

    trained = PolicyModel.load(policy_model_dir())
    trained.save(tmp_path)
    assert (tmp_path / "router.npz").is_file()
    replace(trained, router=None, conditions=None).save(tmp_path)
    assert not (tmp_path / "router.npz").exists() and not (tmp_path / "conditions.npz").exists()
    reloaded = PolicyModel.load(tmp_path)
    assert reloaded.router is None and reloaded.conditions is None
