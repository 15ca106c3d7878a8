"""Writing an answer from a decision (bot/knowledge/engine.py decides): the rule's or
variant's text, the citations in the order that suits the user's program, the numbers
compared with their limits, and, where no rule answers, not_covered with the nearest
passages, or a passage of an added document that clearly answers a factual question.
``AnswerWriter`` is the part of ``Engine`` that does this."""

from __future__ import annotations

from bot.knowledge.answers import (
    CLEAR_OVERLAP,
    CLEAR_SHARE,
    CLEAR_SIMILARITY,
    NO_RULE_TEXT,
    NOT_COVERED_TEXT,
    PICK_VERDICT,
    PROGRAM_LABEL,
    RELATED_SIMILARITY,
    SOMETHING_ELSE,
    Answer,
    Decision,
    Option,
)
from bot.knowledge.model import NOT_COVERED
from bot.knowledge.reading import asks_permission, focus
from bot.knowledge.rules import Rule
from bot.knowledge.sources import Citation

PROGRAM_CONDITION = "which program's rule applies"  # the condition when the programs' figures differ
RANGE_CONDITION = "whether the number stays within the limit"  # a range stated across a limit ("10 to 15 people")


class AnswerWriter:
    """Answer building for ``Engine`` (which provides ``rule_by_id``, ``sources``,
    ``imported``, ``mentions``, ``quantities_for`` and ``_readable``)."""

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
        if d.verdict == "depends" and variant is None and rule.verdict != "depends":  # the programs' figures differ
            body, condition = f"It depends on which program's rule applies to you. {body}", PROGRAM_CONDITION
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
        lines, outcomes, across_any = [], set(), False
        for t in d.thresholds:
            q = found[t.quantity]
            outcome, across = t.outcome(q.value, q.low), t.across(q.value, q.low)
            place = "partly within it" if across else "within it" if outcome == t.inside else "outside it"
            outcomes.add(outcome)
            across_any = across_any or across
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
        stages = [t.stage for t in d.thresholds if t.stage]
        condition = next((t.condition for t in d.thresholds if t.condition), PROGRAM_CONDITION)
        if across_any:
            condition = RANGE_CONDITION
            head = f"It depends on {condition}" if d.verdict == "depends" else head
        elif d.verdict == "depends" and len(outcomes) > 1:
            head = "It depends on which program's rule applies to you"
            if stages:
                condition = "whether you are " + " or ".join(self.mentions["stage_says"][st] for st in stages)
                head = f"It depends on {condition}"
        variant = rule.variant(d.verdict)
        if variant is not None and d.verdict not in outcomes:  # a stated condition settled it
            head = " ".join(variant.answer.split())
        body = f"{head} (you mentioned {said}). " + " ".join(lines)
        if d.others:
            body += " Other programs: " + "; ".join(f'{t.source} sets {t.label} ("{t.quote}")' for t in d.others) + "."
        citations = [t.to_citation() for t in d.thresholds] + [t.to_citation() for t in d.others]
        citations += [self.cite(c) for c in rule.citations]
        return Answer(
            d.verdict,
            body,
            _dedupe(citations),
            rule.id,
            kind="threshold",
            condition=condition if d.verdict == "depends" else None,
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
        clear = hits[0] if hits and self._clearly_answers(hits[0], text) else None
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
                clarify=clarify,
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
