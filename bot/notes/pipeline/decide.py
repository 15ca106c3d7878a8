"""peerscope_decide: which candidate flags become flags.

A candidate (a rule hit from peerscope_rules) is dropped when:

1. a ConText modifier found by peerscope_context cancels its category
   (``blocks`` in context.yml: NEGATED_EXISTENCE and HYPOTHETICAL cancel every
   category, REQUEST by someone else all but risk, and so on), except that a
   request counts again when the writer agreed to it right after ("Member asked
   for a ride; writer agreed": an AGREE cue done by the writer, not negated, in
   the same or the next sentence);
2. or, with nothing cancelling it, someone other than the writer offered or
   asked and the writer declined later in the sentence ("Client asked writer out;
   writer declined": a DECLINE cue done by the writer). Never for risk.

Of the candidates left, the first of each category in a sentence is the flag
(its rule id is reported). The result is ``doc._.ps_flags``:
[(category, sentence index, rule id)], in the order of the rules.
"""

from bisect import bisect_left

from spacy.language import Language
from spacy.tokens import Doc

from .actor_index import STAFF, ActorIndex
from .rules import word_before
from .shared import TARGETS, data_for, grammar

REQUEST, AGREE, DECLINE = "REQUEST", "AGREE", "DECLINE"  # context.yml category, lexicon.yml cues
NEVER_DECLINED = "risk"  # a risk passage stays a flag whatever the writer declined


class Decider:
    def __init__(self, nlp: Language, data_dir: str):
        data = data_for(data_dir)
        self.negation = grammar(data_dir).negation
        # ConText category -> the flag categories it cancels (None: all of them)
        self.blocks = {}
        for mod_cat, blocked in data.context["blocks"].items():
            self.blocks[mod_cat] = None if blocked == "all" else set(blocked)

    def __call__(self, doc: Doc) -> Doc:
        index: ActorIndex = doc._.ps_actors
        candidates = doc.spans[TARGETS]
        modifiers = doc._.ps_modifiers or [set() for _ in candidates]
        flags = []
        seen = set()
        for span, rule_id, found in zip(candidates, doc._.ps_meta or [], modifiers):
            if self.cancelled(doc, index, span, found):
                continue
            sentence = index.sentence_of(span.start)
            if (span.label_, sentence) in seen:
                continue  # one flag per category and sentence
            seen.add((span.label_, sentence))
            flags.append((span.label_, sentence, rule_id))
        doc._.ps_flags = flags
        return doc

    def cancelled(self, doc: Doc, index: ActorIndex, span, found: set) -> bool:
        """Is this candidate not a flag? ``found``: the ConText categories that modify it."""
        blocking = self.blocking(span, found)
        if blocking == {REQUEST} and self.agreed_after(doc, index, span.end):
            blocking = set()  # someone else asked, and the writer then agreed
        if blocking:
            return True
        return self.declined_after(doc, index, span)

    def blocking(self, span, found: set) -> set[str]:
        """The ConText categories among ``found`` that cancel this span's category."""
        out = set()
        for cat in found:
            cancels = self.blocks.get(cat, set())
            if cancels is None or span.label_ in cancels:
                out.add(cat)
        return out

    def agreed_after(self, doc: Doc, index: ActorIndex, end: int) -> bool:
        """Did the writer agree (an AGREE cue, not negated) after token ``end``,
        in the same or the next sentence?"""
        cues = doc._.ps_cues.get(AGREE, [])
        s = index.sentence_of(min(end, len(doc) - 1))
        last = index.sents[min(s + 1, len(index.sents) - 1)].end
        k = bisect_left(cues, (end, -1))
        while k < len(cues) and cues[k][0] < last:
            a0 = cues[k][0]
            k += 1
            if word_before(index.lemmas, a0, 0, self.negation):
                continue
            roles, _ = index.doer(a0)
            if STAFF in roles:
                return True
        return False

    def declined_after(self, doc: Doc, index: ActorIndex, span) -> bool:
        """Someone else offered or asked, and the writer turned it down later in
        the sentence: "Client asked writer out; writer declined"."""
        if span.label_ == NEVER_DECLINED or STAFF in index.doer(span.start)[0]:
            return False
        cues = doc._.ps_cues.get(DECLINE, [])
        sent = index.sents[index.sentence_of(span.start)]
        k = bisect_left(cues, (span.end, -1))
        while k < len(cues) and cues[k][0] < sent.end:
            if STAFF in index.doer(cues[k][0])[0]:
                return True
            k += 1
        return False


@Language.factory(
    "peerscope_decide",
    default_config={"data_dir": ""},
    requires=["doc.spans", "doc._.ps_meta", "doc._.ps_modifiers", "doc._.ps_actors", "doc._.ps_cues"],
    assigns=["doc._.ps_flags"],
)
def make_decider(nlp: Language, name: str, data_dir: str):
    return Decider(nlp, data_dir)
