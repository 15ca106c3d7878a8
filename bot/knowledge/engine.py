"""Answer "Can I do this?" questions from the curated rules and the sources.

Understanding is learned (bot/knowledge/model.py): a classifier trained on the
example bank says which rule a question is about, or that the policies are silent
(``not_covered``); for a rule with several verdicts, a second classifier says which
one the question asks for (condition met, not met, or not said). Numbers are
compared, not learned: a rule's ``thresholds`` are checked against the number the
question states, for the programs and documents that apply. The verdict, the answer
text and every citation come from the rules (knowledge/rules), never from the model.

Every answer carries a calibrated ``confidence``: the probability that its verdict is
right, learned on blind questions the classifiers never saw (bot/knowledge/reliability.py).
When it is low, the answer also carries ``clarify`` options and the chat asks which one
the user means (the verdict stays the best guess): the rule's other verdict when the
variant is in doubt, a runner-up rule, or "something else" (the policies may not cover it).

Outcomes (``Answer.kind``): ``rule``, ``threshold``, ``not_covered``, ``passage`` and
``help`` (empty or unreadable input: verdict ``not_covered`` with a how-to-ask answer).

Only the sources this deployment enables are used (bot/knowledge/deployment.py): a rule
none of whose own citations is in an enabled source is not answered (the model's
belief in it counts for ``not_covered``), and no answer cites a disabled source.

Documents an agency added (``peerscope knowledge add``, front matter ``imported``) have no
curated rules at first. Where no rule answers, the retriever (BM25 and the sentence
encoder) finds their passages: a factual question a passage clearly answers gets that
passage quoted verbatim (``kind="passage"``, verdict ``info``); a can-I question gets no
verdict, only the nearest passages as "what your policy says about this" (``not_covered``,
logged for a supervisor). A rule written for such a document (``peerscope knowledge rule
new``) is not known to the trained model: it answers the questions close in meaning to
its own question and examples (``UNTRAINED_MATCH``), until the model is retrained. The
``confidence`` of these two kinds of answer is the encoder's cosine similarity (of the
question and the quote, or the rule's nearest example): there is no labelled set yet to
calibrate it on.

This module decides; the rest of the answer is in three modules beside it: reading.py
(normalising a question, its focus, can-I or factual), answers.py (``Answer``,
``Decision``, ``Option`` and the fixed texts) and rendering.py (``AnswerWriter``: the
answer text and citations from a decision, not_covered and passages).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from bot.knowledge import deployment as _deployment
from bot.knowledge.answers import (
    HELP_TEXT,
    PICK_VERDICT,
    PROGRAMS,
    SOMETHING_ELSE,  # noqa: F401  (imported from here by actions/policy.py)
    Answer,
    Decision,
    clarify_options,
)
from bot.knowledge.model import NOT_COVERED, PolicyModel
from bot.knowledge.quantities import Quantities, Quantity
from bot.knowledge.quantities import applicable as applicable_thresholds
from bot.knowledge.reading import (
    _is_followup,
    _load_mentions,
    asks_for_fact,
    asks_permission,  # noqa: F401  (imported from here by the tests)
    focus,
    normalise_question,
)
from bot.knowledge.rendering import AnswerWriter
from bot.knowledge.rules import Rule, load_rule_files
from bot.knowledge.sources import Source, load_sources
from bot.knowledge.sources import stamp as _sources_stamp

_SEVERITY = ["allowed", "info", "depends", "not_allowed", "not_covered"]  # worst last
# A depends rule answers allowed / not allowed only when the question plainly settles its
# condition (the condition classifier is at least this sure); otherwise it names the condition.
SETTLED = 0.6
NOTE_MIN_WORDS = 20  # shorter messages are never taken for a pasted note
# When an answer is not sure, a runner-up rule is offered as an option if its probability
# is at least this share of the best rule's.
RUNNER_UP = 0.05
# A rule the trained model does not know answers a question whose cosine similarity to
# its question or one of its examples is at least this (the encoder's, not calibrated).
UNTRAINED_MATCH = 0.75


class Engine(AnswerWriter):
    def __init__(self, knowledge_root: Path | None = None, model: PolicyModel | None = None, deployment=None):
        """``deployment``: None reads this deployment's sources file; a {source id:
        SourceSetting} mapping uses that; False uses every source and rule as they are
        (training and validation)."""
        from bot.paths import knowledge_dir

        root = Path(knowledge_root or knowledge_dir())
        self.root = root
        self.all_sources: dict[str, Source] = load_sources(root / "sources")
        rules = load_rule_files(root / "rules")
        if deployment is False:
            self.sources: dict[str, Source] = dict(self.all_sources)
            self.rules: list[Rule] = rules
        else:
            settings = _deployment.load_settings() if deployment is None else deployment
            self.sources = _deployment.enabled_sources(self.all_sources, settings)
            self.rules = _deployment.available_rules(rules, set(self.sources))
        self.rule_by_id = {r.id: r for r in self.rules}
        self.imported = {sid for sid, src in self.sources.items() if src.meta.get("imported")}
        self._untrained: tuple | None = None
        self.quantities = Quantities.load(root / "rules")
        self.mentions = _load_mentions(root / "rules" / "_programs.yml", self.sources)
        self._model = model
        self._retriever = None

    @property
    def model(self) -> PolicyModel:
        if self._model is None:
            self._model = load_policy_model()
        if self._model is False:
            raise ModelMissing("this engine was built without a model (training)")
        return self._model

    # -- understanding ------------------------------------------------------------
    def program_of(self, text: str, kind: str = "programs") -> str | None:
        """The one program (kind "stages": stage of a program) the text names; None for none or several."""
        found = {p for p, pattern in self.mentions[kind].items() if pattern.search(text)}
        return found.pop() if len(found) == 1 else None

    def sources_named(self, text: str) -> set[str]:
        return {s for s, pattern in self.mentions["sources"].items() if pattern.search(text)}

    def quantities_for(self, rule: Rule, text: str) -> list[Quantity]:
        """Every number the question states that one of the rule's thresholds compares."""
        found = (self.quantities.find(kind, text) for kind in dict.fromkeys(t.quantity for t in rule.thresholds))
        return [q for q in found if q is not None]

    def compare(self, rule: Rule, found: list[Quantity], text: str, program: str | None) -> tuple[str, list, list]:
        """(verdict, deciding thresholds, other programs' thresholds) for the stated numbers.
        A document's requirements all have to be met (the worst outcome counts); when the
        documents that apply, or the stages of one (a candidate's figure and a certified
        worker's) disagree, the answer depends on which applies."""
        named = self.sources_named(text)
        kinds = {q.kind: q for q in found}
        relevant = [t for t in rule.thresholds if t.quantity in kinds]
        applicable = applicable_thresholds(relevant, named, program, self.program_of(text, "stages")) or relevant
        per_source: dict[tuple, str] = {}
        for t in applicable:
            outcome = t.outcome(kinds[t.quantity].value, kinds[t.quantity].low)
            key = (t.source, t.stage)
            per_source[key] = max(per_source.get(key, outcome), outcome, key=_SEVERITY.index)
        results = set(per_source.values())
        verdict = results.pop() if len(results) == 1 else "depends"
        return verdict, applicable, [t for t in relevant if t not in applicable]

    def decide(
        self,
        text: str,
        program: str | None,
        model: PolicyModel | None = None,
        probs: np.ndarray | None = None,
        embedding: np.ndarray | None = None,
    ) -> Decision:
        """The rule, verdict and confidence for a (normalised) question."""
        model = model or self.model
        if embedding is None and (probs is None or model.reliability is not None):
            from bot.nlp.encoder import get_encoder

            embedding = get_encoder().encode([text])[0]  # once, for every classifier and the reliability
        if probs is None:
            probs = model.rule_probs([text], embedding[None, :])[0]
        probs = self._available(model, probs)
        order = np.argsort(-probs)
        ranked = [
            (model.labels[i], float(probs[i]))
            for i in order
            if model.labels[i] == NOT_COVERED or model.labels[i] in self.rule_by_id
        ][:4]
        # the fourth-ranked rule's verdict is only needed when the answer asks (unsure_options)
        outcomes = [self._verdict(rid, p, text, program, model, embedding) for rid, p in ranked[:3]]
        best = outcomes[0]
        raw = best[1]
        candidates = [(rid, p, o[0]) for (rid, p), o in zip(ranked, outcomes)]
        d = Decision(
            ranked[0][0], best[0], raw, model.calibration(raw), ranked, best[2], best[3], best[4], [], candidates
        )
        if model.reliability is None:  # a model trained before the reliability model: the old rule
            d.clarify = clarify_options(candidates, d.confidence, model.clarify_below, model.clarify_ratio)
            return d
        if d.rule_id in self.rule_by_id:
            d.variants = model.variant_probs(d.rule_id, text, embedding)
        d.confidence = model.reliability.probability(d, embedding)
        if model.reliability.should_ask(d.confidence):
            d.clarify = self.unsure_options(d, text, model, embedding, program)
        return d

    def unsure_options(
        self, d: Decision, text: str, model: PolicyModel, embedding: np.ndarray | None, program: str | None = None
    ) -> list[tuple[str, str]]:
        """What to ask about when the answer is not sure (2-3 (rule id, verdict) pairs with at
        least two verdicts): the best guess; the best rule's next most likely verdict (most
        wrong answers on blind questions were the right rule with the wrong variant); a
        runner-up rule with another verdict, if the model gives it some weight (down to the
        fourth: "can I help with her meds" ranks three rules that allow it before the one
        that forbids advice), or, when the best rule has one verdict, the first close runner-up
        whatever its verdict (which of two rules is meant changes the answer and its
        citations); and "the policies don't cover it" when that is all that differs."""
        options = [(d.rule_id, d.verdict)]
        rule = self.rule_by_id.get(d.rule_id)
        if rule is not None and d.quantity is None and len(rule.verdicts) > 1:
            variants = model.variant_probs(d.rule_id, text, embedding) or {}
            others = [v for v in rule.verdicts if v != d.verdict]
            others.sort(key=lambda v: -variants.get(v, 0.0))
            options.append((d.rule_id, others[0]))
        top = d.candidates[0][1] if d.candidates else 0.0
        for i, (rid, p) in enumerate(d.ranked[1:4], 1):
            if len(options) >= 3 or p < RUNNER_UP * top:
                continue
            verdict = (
                d.candidates[i][2]
                if i < len(d.candidates)
                else self._verdict(rid, p, text, program, model, embedding)[0]
            )
            if verdict not in {v for _, v in options} or len(options) == 1:
                options.append((rid, verdict))
        if len({v for _, v in options}) < 2:
            if d.rule_id != NOT_COVERED:
                options.append((NOT_COVERED, NOT_COVERED))
            else:
                options += [(rid, v) for rid, _, v in d.candidates[1:2] if v != NOT_COVERED]
        return options[:3] if len({v for _, v in options[:3]}) > 1 else []

    def _available(self, model: PolicyModel, probs: np.ndarray) -> np.ndarray:
        """The model's rule probabilities with those of rules this deployment does not have
        (their sources disabled or removed) counted for not_covered. Unchanged when every
        rule the model knows is available."""
        gone = [i for i, label in enumerate(model.labels) if label != NOT_COVERED and label not in self.rule_by_id]
        if not gone or NOT_COVERED not in model.labels:
            return probs
        probs = np.array(probs, dtype=np.float64, copy=True)
        probs[model.labels.index(NOT_COVERED)] += probs[gone].sum()
        probs[gone] = 0.0
        return probs

    def _match_untrained(self, text: str, program: str | None, decision: Decision) -> Decision:
        """A rule the trained model does not know (written after training) answers a question
        close in meaning to its question or examples, unless the model is surer of its own answer."""
        if self._untrained is None:
            known = set(self.model.labels)
            rules = [r for r in self.rules if r.id not in known]
            phrases = [(r.id, p) for r in rules for p in [r.question, *r.examples] if p.strip()]
            self._untrained = tuple(phrases)
        if not self._untrained:
            return decision
        from bot.nlp.encoder import get_encoder

        vectors = get_encoder().encode([text] + [p for _, p in self._untrained])
        sims = vectors[1:] @ vectors[0]
        best = int(np.argmax(sims))
        similarity, rule_id = float(sims[best]), self._untrained[best][0]
        if similarity < UNTRAINED_MATCH or (decision.rule_id != NOT_COVERED and decision.confidence >= similarity):
            return decision
        verdict, _, quantity, deciding, others = self._verdict(rule_id, similarity, text, program, self.model, None)
        return Decision(rule_id, verdict, similarity, similarity, [(rule_id, similarity)], quantity, deciding, others)

    def _verdict(
        self, rule_id: str, p_rule: float, text: str, program: str | None, model: PolicyModel, embedding
    ) -> tuple[str, float, Quantity | None, list, list]:
        """(verdict, raw confidence, quantity, deciding thresholds, other thresholds) for one candidate."""
        if rule_id == NOT_COVERED:
            return NOT_COVERED, p_rule, None, [], []
        rule = self.rule_by_id[rule_id]
        found = self.quantities_for(rule, text)
        variants = None
        if found:
            verdict, deciding, others = self.compare(rule, found, text, program)
            if rule.verdict == "info" and asks_for_fact(text):
                verdict = "info"  # "we're at day 32: what is the deadline?" asks for the figure
            elif verdict == "depends" and any(t.condition for t in deciding):
                # the number needs a condition (the CPO approved it?): does the question say?
                variants = model.variant_probs(rule_id, text, embedding)
                stated = max(("allowed", "not_allowed"), key=lambda v: (variants or {}).get(v, 0.0))
                if variants and variants.get(stated, 0.0) > max(0.5, variants.get("depends", 0.0)):
                    verdict = stated
            return verdict, p_rule, found[0], deciding, others
        variants = model.variant_probs(rule_id, text, embedding)
        verdict, p = rule.verdict, p_rule
        if variants:
            verdict = max(variants, key=variants.get)
            if (
                rule.verdict == "depends"
                and verdict != "depends"
                and "depends" in variants
                and variants[verdict] < SETTLED
            ):
                verdict = "depends"  # the condition is not clearly met or unmet: name it
            p = p_rule * variants[verdict]
        if verdict == "info" and self.quantities.differ(rule.thresholds, text, self.sources_named(text), program):
            verdict = "depends"  # "how many CE hours a year?": 10 on the waiver, 20 for family peers
        return verdict, p, None, [], []

    # -- answering ------------------------------------------------------------------
    def answer(self, question: str, program: str | None = None, previous_rule_id: str | None = None) -> Answer:
        text = normalise_question(question)
        program = program if program in PROGRAMS else None
        if not self._readable(text):
            return Answer("not_covered", HELP_TEXT, [], None, kind="help", program=program, confidence=1.0)
        program = program or self.program_of(text)
        decision = self._match_untrained(focus(text), program, self.decide(focus(text), program))
        if (
            previous_rule_id in self.rule_by_id
            and _is_followup(text)
            and (decision.rule_id == NOT_COVERED or decision.confidence < 0.5)
        ):
            decision = self._followup(text, program, previous_rule_id)
        return self.render(decision, text, program)

    def answer_rule(self, rule_id: str, question: str, program: str | None = None) -> Answer:
        """The answer when the user picked ``rule_id`` from a clarifying question (an
        option's ``pick``: a rule id, or "rule-id@verdict" for one verdict of the rule)."""
        text = normalise_question(question)
        program = program if program in PROGRAMS else self.program_of(text)
        rule_id, _, verdict = rule_id.partition(PICK_VERDICT)
        if rule_id not in self.rule_by_id:  # "something else" (or an unknown id)
            return self._not_covered(text, program, 1.0, [])
        if verdict in self.rule_by_id[rule_id].verdicts:  # one of the rule's verdicts was picked
            return self.render(
                Decision(rule_id, verdict, 1.0, self.model.calibration(1.0), [(rule_id, 1.0)]), text, program
            )
        return self.render(self._followup(text, program, rule_id), text, program)

    def _followup(self, text: str, program: str | None, rule_id: str) -> Decision:
        verdict, raw, quantity, deciding, others = self._verdict(rule_id, 1.0, text, program, self.model, None)
        return Decision(
            rule_id, verdict, raw, self.model.calibration(raw), [(rule_id, 1.0)], quantity, deciding, others
        )

    def looks_like_note(self, question: str) -> bool:
        """A progress-note draft pasted where a question was expected (long, and read as a note)."""
        text = normalise_question(question)
        return len(text.split()) >= NOTE_MIN_WORDS and self.model.note_probability(text) >= 0.5

    def _readable(self, text: str) -> bool:
        words = re.findall(r"[A-Za-z]+", text)
        if not words:
            return False
        vocab = self.model.rules._word.vocabulary_ if self.model.rules._word is not None else {}
        known = sum(1 for w in words if len(w) <= 2 or w.lower() in vocab)
        return known >= 2 and known / len(words) >= 0.3


def policy_model_dir() -> Path:
    from bot.nlp.weights import models_dir

    return models_dir() / "policy"


class ModelMissing(RuntimeError):
    pass


def load_policy_model() -> PolicyModel:
    directory = policy_model_dir()
    if not (directory / "meta.json").is_file():
        raise ModelMissing(f"the policy model is not trained yet ({directory}); run `peerscope train`")
    return PolicyModel.load(directory)


_engines: dict[str, tuple[tuple, Engine]] = {}


def _stamp(root: Path) -> tuple:
    """What changes when a source, a rule file or this deployment's sources file changes."""
    rules = tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted((root / "rules").glob("*.yml")))
    settings = _deployment.settings_path()
    info = settings.stat() if settings.is_file() else None
    return (_sources_stamp(root / "sources"), rules, (info.st_size, info.st_mtime_ns) if info else None)


def get_engine(knowledge_root: Path | None = None) -> Engine:
    """The shared engine (loaded once per process, and again when the knowledge or the
    deployment's sources file changes: `peerscope knowledge add|enable|disable|rule new`
    take effect without a restart). The trained model is loaded once."""
    from bot.paths import knowledge_dir

    root = Path(knowledge_root or knowledge_dir())
    key = str(root)
    stamp = _stamp(root)
    cached = _engines.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    engine = Engine(root)
    if cached is not None and cached[1]._model is not None:
        engine._model = cached[1]._model
    _engines[key] = (stamp, engine)
    return engine


def answer(question: str, program: str | None = None, previous_rule_id: str | None = None) -> Answer:
    return get_engine().answer(question, program, previous_rule_id)
