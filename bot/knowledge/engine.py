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
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from bot.knowledge import deployment as _deployment
from bot.knowledge.model import NOT_COVERED, PolicyModel
from bot.knowledge.quantities import Quantities, Quantity
from bot.knowledge.rules import Rule, Threshold, load_rule_files
from bot.knowledge.sources import Citation, Source, load_sources
from bot.knowledge.sources import stamp as _sources_stamp

PROGRAMS = ("adult", "family")
PROGRAM_LABEL = {"adult": "adult peer support specialists", "family": "family peer supporters"}
MAX_CHARS = 20_000  # longer questions are truncated (head and tail kept)
_SEVERITY = ["allowed", "info", "depends", "not_allowed", "not_covered"]  # worst last
# A depends rule answers allowed / not allowed only when the question plainly settles its
# condition (the condition classifier is at least this sure); otherwise it names the condition.
SETTLED = 0.6
NOTE_MIN_WORDS = 20  # shorter messages are never taken for a pasted note

HELP_TEXT = (
    "I answer questions about what peer support staff can and can't do, from the policy documents. "
    'Ask in a sentence, for example: "Can I drive my client to an appointment?", "How often is the WRSP '
    'reviewed?" or "Can I accept a small gift from a parent?". Add --program adult or family (or say you '
    "are an FPS or CPSS) to get the rules for your program first."
)
SOMETHING_ELSE = "Something else (the policies may not cover it)"
NOT_COVERED_TEXT = (
    "The policy documents don't address this, so I can't give you a rule for it. Please ask your supervisor "
    "or clinical consultant; I've noted the question so the policies can be reviewed."
)
NO_RULE_TEXT = (
    "There is no rule for this in your policies, so I can't tell you whether it is allowed. Please ask your "
    "supervisor or clinical consultant; I've noted the question so a rule can be written."
)
# Passages of added documents (see the module docstring). A passage "clearly answers" a
# factual question when the sentence quoted is this close in meaning to the question and
# shares with it at least CLEAR_OVERLAP of its content words (all, if it has fewer) and at
# least CLEAR_SHARE of them. Chosen on the bank's factual questions over the five curated
# documents read as if uncurated: about one in five is answered from a passage, and no
# factual question the bank labels not_covered is. Others get not_covered and the passages
# at least RELATED_SIMILARITY close, as "what your policy says about this".
CLEAR_SIMILARITY = 0.5
CLEAR_OVERLAP = 2
CLEAR_SHARE = 0.6
RELATED_SIMILARITY = 0.45
# When an answer is not sure, a runner-up rule is offered as an option if its probability
# is at least this share of the best rule's.
RUNNER_UP = 0.05
# A rule the trained model does not know answers a question whose cosine similarity to
# its question or one of its examples is at least this (the encoder's, not calibrated).
UNTRAINED_MATCH = 0.75


PICK_VERDICT = "@"  # "rule-id@verdict": an option that picks one verdict of a rule


@dataclass
class Option:
    rule_id: str
    question: str
    verdict: str
    pick: str = ""  # what tapping the option sends back to answer_rule (default: the rule id)

    def __post_init__(self):
        self.pick = self.pick or self.rule_id

    def to_dict(self) -> dict:
        return {"rule_id": self.rule_id, "question": self.question, "verdict": self.verdict}


@dataclass
class Answer:
    verdict: str
    answer: str
    citations: list[Citation] = field(default_factory=list)
    rule_id: str | None = None
    kind: str = "rule"  # rule | threshold | not_covered | help
    condition: str | None = None  # for depends: the stated condition
    program: str | None = None  # program the answer was shaped for
    related: list[Citation] = field(default_factory=list)  # nearest passages (not grounds for a verdict)
    confidence: float = 0.0
    clarify: list[Option] = field(default_factory=list)

    def to_dict(self) -> dict:
        out = {
            "verdict": self.verdict,
            "answer": self.answer,
            "citations": [c.to_dict() for c in self.citations],
            "confidence": round(self.confidence, 3),
        }
        if self.clarify:
            out["clarify"] = [o.to_dict() for o in self.clarify]
        return out


@dataclass
class Decision:
    """What the model and the numbers say about one question, before any wording."""

    rule_id: str  # a rule id or NOT_COVERED
    verdict: str
    raw: float  # rule probability x verdict probability
    confidence: float  # calibrated
    ranked: list[tuple[str, float]]  # (rule id, probability), best first
    quantity: Quantity | None = None
    thresholds: list[Threshold] = field(default_factory=list)  # the ones that decided the verdict
    others: list[Threshold] = field(default_factory=list)  # same quantity, other programs
    clarify: list[tuple[str, str]] = field(default_factory=list)  # (rule id, verdict)
    candidates: list[tuple[str, float, str]] = field(default_factory=list)  # (rule id, probability, verdict)
    variants: dict[str, float] | None = None  # the best rule's verdict probabilities (its verdict classifier)


def clarify_options(
    candidates: list[tuple[str, float, str]], confidence: float, below: float, ratio: float
) -> list[tuple[str, str]]:
    """The options to ask about: the candidates close to the best one, when the answer is
    not confident and they do not all lead to the same verdict."""
    if not candidates or confidence >= below:
        return []
    top = candidates[0][1]
    close = [(rid, v) for rid, p, v in candidates[:3] if p >= ratio * top]
    return close if len(close) >= 2 and len({v for _, v in close}) > 1 else []


FOCUS_WORDS = 120  # a longer message is read from its last sentences, where the question is


def focus(text: str) -> str:
    """The end of a long message: the last sentences, up to FOCUS_WORDS words (a long
    backstory ends with the question; the encoder reads only the first 256 tokens)."""
    if len(text.split()) <= FOCUS_WORDS:
        return text
    kept: list[str] = []
    for sentence in reversed(re.split(r"(?<=[.!?])\s+", text)):
        if kept and sum(len(k.split()) for k in kept) + len(sentence.split()) > FOCUS_WORDS:
            break
        kept.insert(0, sentence)
    tail = " ".join(kept)
    return " ".join(tail.split()[-FOCUS_WORDS:])


def normalise_question(text: str) -> str:
    text = unicodedata.normalize("NFKC", text if isinstance(text, str) else str(text or ""))
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc") or ch in "\n\t")
    if len(text) > MAX_CHARS:
        text = text[: MAX_CHARS // 2] + " " + text[-MAX_CHARS // 2 :]
    return text.strip()


class Engine:
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
    def program_of(self, text: str) -> str | None:
        found = {p for p, pattern in self.mentions["programs"].items() if pattern.search(text)}
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
        documents that apply disagree, the answer depends on which program applies."""
        named = self.sources_named(text)
        kinds = {q.kind: q for q in found}
        relevant = [t for t in rule.thresholds if t.quantity in kinds]
        applicable = (
            [t for t in relevant if t.source in named]
            or [t for t in relevant if program is None or t.applies_to in (program, "both")]
            or relevant
        )
        per_source: dict[str, str] = {}
        for t in applicable:
            outcome = t.outcome(kinds[t.quantity].value)
            per_source[t.source] = max(per_source.get(t.source, outcome), outcome, key=_SEVERITY.index)
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
            d.clarify = self.unsure_options(d, text, model, embedding)
        return d

    def unsure_options(
        self, d: Decision, text: str, model: PolicyModel, embedding: np.ndarray | None
    ) -> list[tuple[str, str]]:
        """What to ask about when the answer is not sure (2-3 (rule id, verdict) pairs with at
        least two verdicts): the best guess; the best rule's next most likely verdict (most
        wrong answers on blind questions were the right rule with the wrong variant); a
        runner-up rule with another verdict, if the model gives it some weight; and "the
        policies don't cover it" when that is all that differs."""
        options = [(d.rule_id, d.verdict)]
        rule = self.rule_by_id.get(d.rule_id)
        if rule is not None and d.quantity is None and len(rule.verdicts) > 1:
            variants = model.variant_probs(d.rule_id, text, embedding) or {}
            others = [v for v in rule.verdicts if v != d.verdict]
            others.sort(key=lambda v: -variants.get(v, 0.0))
            options.append((d.rule_id, others[0]))
        top = d.candidates[0][1] if d.candidates else 0.0
        for rid, p, verdict in d.candidates[1:3]:
            if len(options) < 3 and p >= RUNNER_UP * top and verdict not in {v for _, v in options}:
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
            if verdict == "depends" and any(t.condition for t in deciding):
                # the number needs a condition (the CPO approved it?): does the question say?
                variants = model.variant_probs(rule_id, text, embedding)
                stated = max(("allowed", "not_allowed"), key=lambda v: (variants or {}).get(v, 0.0))
                if variants and variants.get(stated, 0.0) > max(0.5, variants.get("depends", 0.0)):
                    verdict = stated
            return verdict, p_rule, found[0], deciding, others
        variants = model.variant_probs(rule_id, text, embedding)
        if variants:
            verdict = max(variants, key=variants.get)
            if (
                rule.verdict == "depends"
                and verdict != "depends"
                and "depends" in variants
                and variants[verdict] < SETTLED
            ):
                verdict = "depends"  # the condition is not clearly met or unmet: name it
            return verdict, p_rule * variants[verdict], None, [], []
        return rule.verdict, p_rule, None, [], []

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

    def options(self, pairs: list[tuple[str, str]]) -> list[Option]:
        """Options to show for (rule id, verdict) pairs. When one rule is offered with two of
        its verdicts, each is labelled by when it applies, and picking it gives that verdict."""
        ids = [rid for rid, _ in pairs]
        out = []
        for rid, verdict in pairs:
            rule = self.rule_by_id.get(rid)
            if rule is None:
                out.append(Option(NOT_COVERED, SOMETHING_ELSE, NOT_COVERED))
                continue
            variant = rule.variant(verdict)
            if ids.count(rid) > 1:
                when = variant.when if variant is not None else None
                label = (when[:1].upper() + when[1:]) if when else rule.label
                out.append(Option(rid, label, verdict, pick=f"{rid}{PICK_VERDICT}{verdict}"))
            else:
                out.append(Option(rid, rule.label, verdict))
        return out

    def render(self, d: Decision, text: str, program: str | None) -> Answer:
        clarify = self.options(d.clarify)
        if d.rule_id == NOT_COVERED:
            return self._not_covered(text, program, d.confidence, clarify)
        rule = self.rule_by_id[d.rule_id]
        if d.quantity is not None:
            return self._from_threshold(rule, d, text, program, clarify)
        variant = rule.variant(d.verdict)
        body = (variant.answer if variant else rule.answer).strip()
        raw = list(variant.citations or []) if variant else []
        raw += [c for c in rule.citations if c not in raw]
        citations = [self.cite(c) for c in raw]
        condition = ((variant.condition if variant else None) or rule.condition) if d.verdict == "depends" else None
        if program:
            body = self._program_note(rule, program) + body
            citations.sort(key=lambda c: self._relevance(rule, c.source, program))
        return Answer(
            d.verdict,
            " ".join(body.split()),
            citations,
            rule.id,
            kind="rule",
            condition=condition,
            program=program,
            confidence=d.confidence,
            clarify=clarify,
        )

    def _from_threshold(self, rule: Rule, d: Decision, text: str, program: str | None, clarify: list[Option]) -> Answer:
        found = {q.kind: q for q in self.quantities_for(rule, text)}
        said = "; ".join(q.said.strip(" ,.") for q in found.values())
        lines = []
        for t in d.thresholds:
            outcome = t.outcome(found[t.quantity].value)
            place = "within it" if outcome == t.inside else "outside it"
            lines.append(
                f'{self.sources[t.source].title} ({t.source}) sets {t.label}: "{t.quote}" ({place}'
                + (f"; allowed if {t.condition}" if outcome == "depends" and t.condition else "")
                + ")."
            )
        head = {
            "allowed": "Yes, that is within the limit",
            "not_allowed": "No, that is outside the limit",
            "depends": "It depends",
        }.get(d.verdict, "From the policies")
        outcomes = {t.outcome(found[t.quantity].value) for t in d.thresholds}
        if d.verdict == "depends" and len(outcomes) > 1:
            head = "It depends on which program's rule applies to you"
        variant = rule.variant(d.verdict)
        if variant is not None and d.verdict not in outcomes:  # a stated condition settled it
            head = " ".join(variant.answer.split())
        body = f"{head} (you mentioned {said}). " + " ".join(lines)
        if d.others:
            body += " Other programs: " + "; ".join(f'{t.source} sets {t.label} ("{t.quote}")' for t in d.others) + "."
        citations = [t.to_citation() for t in d.thresholds] + [t.to_citation() for t in d.others]
        citations += [self.cite(c) for c in rule.citations]
        condition = None
        if d.verdict == "depends":
            condition = next((t.condition for t in d.thresholds if t.condition), "which program's rule applies")
        return Answer(
            d.verdict,
            body,
            _dedupe(citations),
            rule.id,
            kind="threshold",
            condition=condition,
            program=program,
            confidence=d.confidence,
            clarify=clarify,
        )

    def _not_covered(self, text: str, program: str | None, confidence: float, clarify: list[Option]) -> Answer:
        """No rule answers: a passage of an added document that clearly answers a factual
        question, else not_covered with the nearest passages quoted (never a verdict)."""
        mine = {sid for sid, src in self.sources.items() if program in src.programs} if program else None
        hits = self.retriever.hybrid(focus(text), k=3, sources=mine or None)
        related = [Citation(h.passage.source, h.passage.section, h.quote) for h in hits[:2]]
        clear = hits[0] if hits and not clarify and self._clearly_answers(hits[0], text) else None
        if clear is not None:
            src = self.sources[clear.passage.source]
            citation = Citation(src.id, clear.passage.section, clear.quote)
            body = (
                f'Your policy "{src.title}" ({src.id}) says, under "{clear.passage.section}": '
                f'"{clear.quote}" (quoted from the document; no curated rule covers this question yet).'
            )
            return Answer(
                "info",
                body,
                [citation],
                None,
                kind="passage",
                program=program,
                related=[c for c in related if c != citation],
                confidence=clear.similarity,
            )
        near = [
            c
            for h, c in zip(hits, related)
            if h.overlap and h.similarity >= RELATED_SIMILARITY and h.similarity >= hits[0].similarity - 0.1
        ]
        if near:
            body = (
                NO_RULE_TEXT
                + " What your policy says about this: "
                + " ".join(f'{c.source}, "{c.section}": "{c.quote}"' for c in near)
            )
        else:
            body = NOT_COVERED_TEXT
            if related:
                body += f' The nearest passage ({related[0].source}, "{related[0].section}") does not decide it.'
        return Answer(
            "not_covered",
            body,
            [],
            None,
            kind="not_covered",
            program=program,
            related=related,
            confidence=confidence,
            clarify=clarify,
        )

    def _clearly_answers(self, hit, question: str) -> bool:
        """A passage of an added document whose quoted sentence answers a factual question:
        close in meaning and sharing content words. Can-I questions never get a verdict here."""
        return (
            hit.passage.source in self.imported
            and not asks_permission(question)
            and hit.similarity >= CLEAR_SIMILARITY
            and hit.terms
            and len(hit.overlap) >= min(CLEAR_OVERLAP, len(hit.terms))
            and len(hit.overlap) >= CLEAR_SHARE * len(hit.terms)
        )

    @property
    def retriever(self):
        if self._retriever is None:
            from bot.knowledge.nlp import get_lemmatiser
            from bot.knowledge.retrieval import Retriever

            self._retriever = Retriever(self.sources, get_lemmatiser())
        return self._retriever

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

    def cite(self, c) -> Citation:
        src = self.sources.get(c.source)
        sec = src.section(c.section) if src else None
        return Citation(c.source, sec.title if sec else c.section, c.quote)

    def _relevance(self, rule: Rule, source_id: str, program: str) -> int:
        """0: a position for exactly this program; 1: applies to both or the source's
        audience includes the program; 2: another program's document."""
        applies = {p.applies_to for p in rule.positions if p.source == source_id}
        if program in applies:
            return 0
        if "both" in applies or (not applies and program in self.sources[source_id].programs):
            return 1
        return 2

    def _program_note(self, rule: Rule, program: str) -> str:
        if not rule.positions:
            return ""
        mine = [p for p in rule.positions if p.applies_to in (program, "both")]
        others = [p for p in rule.positions if p not in mine]
        parts = []
        if mine:
            parts.append(
                f"For {PROGRAM_LABEL[program]}: "
                + "; ".join(f"{self.sources[p.source].title} ({p.source}): {p.note}" for p in mine)
                + "."
            )
        if others:
            parts.append("Other programs: " + "; ".join(f"{p.source}: {p.note}" for p in others) + ".")
        return " ".join(parts) + " "


def _dedupe(citations: list[Citation]) -> list[Citation]:
    seen, out = set(), []
    for c in citations:
        key = (c.source, c.quote)
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


_WH = re.compile(r"^\W*(?:what|what's|whats|how|when|who|whom|whose|which|where|why|is\s+there|are\s+there)\b", re.I)
_PERMISSION = re.compile(
    r"\b(?:can|could|may|might|should|shall|must|need)\s+(?:i|we|a\s+peer|peers|staff|you|they|he|she)\b"
    r"|\b(?:am\s+i|are\s+we|is\s+it|is\s+that|would\s+it\s+be)\s+(?:\w+\s+)?(?:allowed|permitted|ok|okay|alright|"
    r"fine|appropriate|acceptable|legal|wrong|against|within|out\s+of)\b"
    r"|\b(?:do|does)\s+(?:i|we|a\s+peer|peers|staff)\s+(?:have|need)\s+to\b|\bam\s+i\s+(?:required|supposed)\b"
    r"|\b(?:allowed|permitted|allowable|ok|okay|acceptable|appropriate|legal|prohibited|forbidden)\b",
    re.I,
)


def asks_permission(question: str) -> bool:
    """Whether the question (its last sentence) asks whether something may, must or should
    be done ("Can I...", "Is it OK to...", "Do I have to..."), rather than asking for a
    fact ("How many...", "What is...", "Is there a limit..."). A guard on the form of the
    question only: a can-I question without a rule never gets a verdict from a passage."""
    parts = [p for p in re.split(r"(?<=[.!?])\s+", question.strip()) if p.strip()]
    asked = [p for p in parts if p.rstrip().endswith("?")]
    last = (asked or parts or [""])[-1]
    if _WH.match(last):
        return False
    return bool(_PERMISSION.search(last))


def _is_followup(text: str) -> bool:
    q = text.strip().lower()
    return len(q.split()) <= 14 and bool(re.match(r"^(what|how) about|^and if|^what if|^if |^even if|^but if|^and ", q))


def _load_mentions(path: Path, sources: dict[str, Source]) -> dict:
    """Words that name a program or a document (knowledge/rules/_programs.yml and each
    source's ``aliases``), as case-insensitive whole-word patterns."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}

    def pattern(words):
        return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b", re.I) if words else None

    programs = {p: pattern(ws) for p, ws in ((data or {}).get("programs") or {}).items() if ws}
    named = {sid: pattern(src.meta.get("aliases") or []) for sid, src in sources.items()}
    return {"programs": programs, "sources": {k: v for k, v in named.items() if v is not None}}


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
