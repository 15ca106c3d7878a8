"""Answer "Can I do this?" questions from the curated rules and the sources.

Pipeline: tokenise + lemmatise (spaCy) -> concepts (knowledge/rules/_concepts.yml,
typo tolerant, negation aware) -> the best-scoring rule whose required concepts
are all present -> the rule's variant for the stated condition, if any ->
program-aware wording. When no rule fits, BM25 retrieval over the source
passages may give an ``info`` answer for a clearly matching factual question;
otherwise the answer is ``not_covered`` (the policies are silent).

Outcomes (``Answer.kind``): ``rule``, ``retrieval``, ``not_covered`` and
``help`` (empty or unreadable input: verdict ``not_covered`` with a how-to-ask
answer; never a made-up verdict).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from bot.knowledge.concepts import ConceptHits, ConceptMatcher
from bot.knowledge.nlp import get_lemmatiser
from bot.knowledge.retrieval import Retriever
from bot.knowledge.rules import Rule, Variant, load_concepts, load_context, load_rule_files
from bot.knowledge.sources import Citation, Source, load_sources

PROGRAMS = ("adult", "family")
PROGRAM_LABEL = {"adult": "adult peer support specialists", "family": "family peer supporters"}
MAX_CHARS = 20_000  # longer questions are truncated (head and tail kept)

_PERMISSION_START = re.compile(
    r"^\s*(can|could|may|might|am i|are we|is it|is that|would it|should|do i have to|must|ok|okay|allowed)\b", re.I)
_FACTUAL_START = re.compile(
    r"^\s*(what|what's|whats|how|when|who|whom|whose|which|where|why|is there|are there|does|do|tell me|explain|list)\b", re.I)

HELP_TEXT = (
    "I answer questions about what peer support staff can and can't do, from the five policy documents. "
    "Ask in a sentence, for example: \"Can I drive my client to an appointment?\", \"How often is the WRSP "
    "reviewed?\" or \"Can I accept a small gift from a parent?\". Add --program adult or family (or say you "
    "are an FPS or CPSS) to get the rules for your program first."
)
NOT_COVERED_TEXT = (
    "The policy documents don't address this, so I can't give you a rule for it. Please ask your supervisor "
    "or clinical consultant; I've noted the question so the policies can be reviewed."
)


@dataclass
class Answer:
    verdict: str
    answer: str
    citations: list[Citation] = field(default_factory=list)
    rule_id: str | None = None
    kind: str = "rule"                 # rule | retrieval | not_covered | help
    condition: str | None = None       # for depends: the stated condition
    program: str | None = None         # program the answer was shaped for
    related: list[Citation] = field(default_factory=list)  # nearest passages (not grounds for a verdict)

    def to_dict(self) -> dict:
        return {"verdict": self.verdict, "answer": self.answer,
                "citations": [c.to_dict() for c in self.citations]}

    def to_full_dict(self) -> dict:
        out = self.to_dict()
        out.update(rule_id=self.rule_id, kind=self.kind, condition=self.condition, program=self.program,
                   related=[c.to_dict() for c in self.related])
        return out


@dataclass
class Analysis:
    tokens: list
    hits: ConceptHits
    qtype: str            # permission | factual
    program: str | None   # detected from the text


class Engine:
    def __init__(self, knowledge_root: Path | None = None):
        if knowledge_root is None:
            from bot.paths import knowledge_dir

            knowledge_root = knowledge_dir()
        root = Path(knowledge_root)
        self.sources: dict[str, Source] = load_sources(root / "sources")
        self.rules: list[Rule] = load_rule_files(root / "rules")
        self.rule_by_id = {r.id: r for r in self.rules}
        self.lem = get_lemmatiser()
        source_vocab = {w.lower() for s in self.sources.values() for w in re.findall(r"[A-Za-z]+", s.plain)}
        self.matcher = ConceptMatcher(load_concepts(root / "rules"), self.lem, source_vocab, load_context(root / "rules"))
        self.retriever = Retriever(self.sources, self.lem)

    # -- understanding ------------------------------------------------------------
    def analyse(self, question: str) -> Analysis:
        text = question if len(question) <= MAX_CHARS else question[: MAX_CHARS // 2] + " " + question[-MAX_CHARS // 2:]
        tokens = self.matcher.prepare(text)
        hits = self.matcher.match(tokens)
        program = None
        if "family_program" in hits.positive and "adult_program" not in hits.positive:
            program = "family"
        elif "adult_program" in hits.positive and "family_program" not in hits.positive:
            program = "adult"
        return Analysis(tokens, hits, self._qtype(text, hits), program)

    @staticmethod
    def _qtype(text: str, hits: ConceptHits) -> str:
        sentences = [s for s in re.split(r"(?<=[.?!])\s+|\n+", text.strip()) if s.strip()]
        questions = [s for s in sentences if s.rstrip().endswith("?")] or sentences[-1:] or [text]
        for s in questions:
            s = re.sub(r"^\s*(fps|cpss|question|quick question|hi|hey|so|ok so|okay so|also|and|but)\b[\s:,.-]*", "", s, flags=re.I)
            if _PERMISSION_START.match(s):
                return "permission"
            if _FACTUAL_START.match(s):
                return "factual"
        return "permission" if "permission_words" in hits.positive else "factual"

    def _score(self, rule: Rule, hits: ConceptHits) -> float | None:
        present = hits.all
        m = rule.match
        if any(c in present for c in m.none):
            return None
        if not all(any(c in present for c in group) for group in m.all):
            return None
        bonus = sum(1 for c in m.any if c in present)
        if bonus < m.min_any:
            return None
        specific = sum(len(hits.terms.get(c, ())) for group in m.all for c in group if c in present)
        return 3.0 * len(m.all) + bonus + 0.1 * min(specific, 5) + m.boost

    def rank(self, analysis: Analysis) -> list[tuple[float, Rule]]:
        scored = [(s, r) for r in self.rules if (s := self._score(r, analysis.hits)) is not None]
        return sorted(scored, key=lambda x: -x[0])

    # -- answering ------------------------------------------------------------------
    def answer(self, question: str, program: str | None = None, previous_rule_id: str | None = None) -> Answer:
        question = question if isinstance(question, str) else str(question or "")
        program = program if program in PROGRAMS else None
        if not self._readable(question):
            return Answer("not_covered", HELP_TEXT, [], None, kind="help", program=program)
        analysis = self.analyse(question)
        program = program or analysis.program
        ranked = self.rank(analysis)
        rule = ranked[0][1] if ranked else None
        if previous_rule_id in self.rule_by_id and (rule is None or self._is_followup(question)):
            rule = self.rule_by_id[previous_rule_id]
        if rule is not None:
            return self._from_rule(rule, analysis, program)
        return self._fallback(question, analysis, program)

    def _readable(self, question: str) -> bool:
        words = re.findall(r"[A-Za-z]+", question[:MAX_CHARS])
        if not words:
            return False
        known = sum(1 for w in words if len(w) <= 2 or w.lower() in self.matcher.known or self.lem.is_known(w.lower()))
        return known >= 2 and known / len(words) >= 0.4

    @staticmethod
    def _is_followup(question: str) -> bool:
        q = question.strip().lower()
        return len(q.split()) <= 14 and bool(re.match(r"^(what|how) about|^and if|^what if|^if |^even if|^but if|^and |^what about", q))

    def _variant(self, rule: Rule, analysis: Analysis) -> Variant | None:
        hits = analysis.hits
        for v in rule.variants:
            if v.when and not all(c in hits.positive for c in v.when):
                continue
            if v.when_not and any(c in hits.all for c in v.when_not):
                continue
            if v.when_qtype and v.when_qtype != analysis.qtype:
                continue
            return v
        return None

    def cite(self, c) -> Citation:
        src = self.sources.get(c.source)
        sec = src.section(c.section) if src else None
        return Citation(c.source, sec.title if sec else c.section, c.quote)

    def _from_rule(self, rule: Rule, analysis: Analysis, program: str | None) -> Answer:
        variant = self._variant(rule, analysis)
        verdict = variant.verdict if variant else rule.verdict
        text = (variant.answer if variant else rule.answer).strip()
        raw = (variant.citations if variant and variant.citations else None) or rule.citations
        # keep the rule's other citations after the variant's own
        if variant and variant.citations:
            raw = list(raw) + [c for c in rule.citations if c not in raw]
        citations = [self.cite(c) for c in raw]
        condition = (variant.condition if variant and variant.condition else rule.condition) if verdict == "depends" else None
        if program:
            text = self._program_note(rule, program) + text
            citations.sort(key=lambda c: self._relevance(rule, c.source, program))
        kind = "not_covered" if verdict == "not_covered" else "rule"
        return Answer(verdict, " ".join(text.split()), citations, rule.id, kind=kind, condition=condition, program=program)

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
            parts.append(f"For {PROGRAM_LABEL[program]}: " + "; ".join(
                f"{self.sources[p.source].title} ({p.source}): {p.note}" for p in mine) + ".")
        if others:
            parts.append("Other programs: " + "; ".join(f"{p.source}: {p.note}" for p in others) + ".")
        return " ".join(parts) + " "

    def _fallback(self, question: str, analysis: Analysis, program: str | None) -> Answer:
        hits = self.retriever.search(question, k=3)
        related = [Citation(h.passage.source, h.passage.section, h.quote) for h in hits[:2]]
        query_terms = set(self.retriever.terms(question))
        top = hits[0] if hits else None
        strong = (top is not None and analysis.qtype == "factual" and len(top.overlap) >= 3
                  and len(top.overlap) >= 0.6 * len(query_terms) and top.score >= 8.0)
        if strong:
            src = self.sources[top.passage.source]
            text = (f"There is no specific rule for this, but {src.title} ({src.id}), section "
                    f"\"{top.passage.section}\", says: \"{top.quote}\" If that doesn't answer it, ask your "
                    f"supervisor or clinical consultant.")
            return Answer("info", text, [related[0]], None, kind="retrieval", program=program, related=related[1:])
        text = NOT_COVERED_TEXT
        if related and top is not None and len(top.overlap) >= 2:
            text += (f" The nearest passage ({related[0].source}, \"{related[0].section}\") does not decide it.")
        return Answer("not_covered", text, [], None, kind="not_covered", program=program, related=related)


@lru_cache(maxsize=4)
def _engine(root: str | None) -> Engine:
    return Engine(Path(root) if root else None)


def get_engine(knowledge_root: Path | None = None) -> Engine:
    """The shared engine (loaded once: ~2-3 s for spaCy and the data)."""
    return _engine(str(knowledge_root) if knowledge_root else None)


def answer(question: str, program: str | None = None, previous_rule_id: str | None = None) -> Answer:
    return get_engine().answer(question, program, previous_rule_id)
