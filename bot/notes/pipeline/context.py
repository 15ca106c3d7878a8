"""peerscope_context: medspaCy ConText over the candidate flags (context.yml).

ConText marks a candidate as negated ("did not drive"), hypothetical ("if she
needs a ride"), requested by someone else, reported speech, the writer's own
disclosure or education. ``blocks`` in context.yml says which categories each
modifier cancels; peerscope_decide applies that.

ConText compares every pair of modifiers in a doc, so it runs sentence by
sentence, only on the sentences that hold a candidate: long notes stay linear.
Modifiers inside a candidate do not modify it.
"""

from collections import defaultdict
from itertools import product

from spacy.language import Language
from spacy.tokens import Doc, Span

from ..patterns import compile_phrases
from .actor_index import ActorIndex
from .shared import TARGETS, data_for, phrase_tokenizer


class SentenceContext:
    def __init__(self, nlp: Language, data_dir: str):
        from medspacy.context import ConText, ConTextRule

        data = data_for(data_dir)
        tokenize = phrase_tokenizer(nlp, data_dir)
        # ConText matches literal phrases with a PhraseMatcher on NORM, which the
        # normaliser sets to the lemma (fast);
        # phrases with wildcards stay token patterns.
        import spacy

        literal_nlp = spacy.blank("en", vocab=nlp.vocab)
        literal_nlp.add_pipe("peerscope_normalizer", config={"data_dir": data_dir})
        self.context = ConText(
            literal_nlp,
            name="medspacy_context",
            rules=None,
            input_span_type="group",
            span_group_name=TARGETS,
            span_attrs=None,
            phrase_matcher_attr="NORM",
        )
        rules = []
        for r in data.context["rules"]:
            blocked = data.context["blocks"].get(r["category"])
            allowed = r.get("only") or (None if blocked in (None, "all") else blocked)
            common = dict(
                category=r["category"],
                direction=r["direction"].upper(),
                max_scope=r.get("max_scope"),
                allowed_types={a.upper() for a in allowed} if allowed else None,
            )
            for n, pattern in enumerate(compile_phrases([r["phrase"]], data.lists, tokenize)):
                literals = _literals(pattern)
                if literals is None:
                    rules.append(ConTextRule(literal=f"{r['phrase']}#{n}", pattern=pattern, **common))
                else:
                    rules.extend(ConTextRule(literal=lit, **common) for lit in literals)
        self.context.add(rules)

    def __call__(self, doc: Doc) -> Doc:
        index: ActorIndex = doc._.ps_actors
        targets = list(doc.spans[TARGETS])
        found = [set() for _ in targets]
        by_sent = defaultdict(list)
        for k, t in enumerate(targets):
            by_sent[index.sentence_of(t.start)].append(k)
        for s, ks in by_sent.items():
            info = index.sents[s]
            sub = doc[info.start : info.end].as_doc()
            subs = [
                Span(
                    sub,
                    targets[k].start - info.start,
                    min(targets[k].end, info.end) - info.start,
                    label=targets[k].label_,
                )
                for k in ks
            ]
            sub.spans[TARGETS] = subs
            self.context(sub)
            for k, span in zip(ks, sub.spans[TARGETS]):
                for mod in span._.modifiers or ():
                    m0, m1 = mod.modifier_span
                    if span.start <= m0 and m1 <= span.end:
                        continue
                    found[k].add(mod.category)
        doc._.ps_modifiers = found
        return doc


def _literals(pattern, limit: int = 400):
    """The plain lemma sequences a wildcard-free pattern stands for, or None."""
    slots = []
    for spec in pattern:
        lemma = spec.get("LEMMA")
        if spec.get("OP") or lemma is None:
            return None
        slots.append(sorted(lemma["IN"]) if isinstance(lemma, dict) else [lemma])
    count = 1
    for slot in slots:
        count *= len(slot)
    if count > limit:
        return None
    return [" ".join(words) for words in product(*slots)]


@Language.factory(
    "peerscope_context",
    default_config={"data_dir": ""},
    requires=["doc.spans", "doc._.ps_actors"],
    assigns=["doc._.ps_modifiers"],
)
def make_context(nlp: Language, name: str, data_dir: str):
    return SentenceContext(nlp, data_dir)
