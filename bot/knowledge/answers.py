"""What a policy answer is made of (bot/knowledge/engine.py builds them): the answer
itself, the decision behind it, the options of a clarifying question, and the fixed texts
and settings that shape them."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.knowledge.quantities import Quantity
from bot.knowledge.rules import Threshold
from bot.knowledge.sources import Citation

PROGRAMS = ("adult", "family")
PROGRAM_LABEL = {"adult": "adult peer support specialists", "family": "family peer supporters"}

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
