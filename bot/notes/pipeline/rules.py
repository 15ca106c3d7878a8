"""peerscope_rules: each category's rules turn cue matches into candidate flags.

A rule (``rules`` in a category file; the keys are documented in
knowledge/note_checks/README.md) fires at each match of its first cue, the anchor,
when:

1. its other cues follow in order, each within ``gap`` tokens (default: in the
   same clause), and whoever does the ``anchor`` cue fits ``actor``; or, for a
   ``passive`` rule, the same cues read "<objects> was/were <verb> by <staff>";
2. every cue of ``requires`` is found within ``requires_scope``;
3. no cue of ``unless`` is found within ``unless_scope`` (a cue right after a
   negation or a deferral word, ``grammar`` in lexicon.yml, does not count;
   ``force`` in the sentence switches ``unless`` off).

Each hit becomes a span in ``doc.spans["ps_targets"]`` labelled with the category;
``doc._.ps_meta`` holds the rule id of each span.
"""

from bisect import bisect_left

from spacy.language import Language
from spacy.tokens import Doc, Span

from .actor_index import CHILD, CLIENT, OTHER, STAFF, ActorIndex
from .shared import TARGETS, data_for, grammar

LOOKBACK = 4  # tokens before a cue in which a negation or deferral word cancels it


def any_in(spans, start: int, end: int) -> bool:
    """Does any of the sorted (start, end) ``spans`` start in [start, end)?"""
    k = bisect_left(spans, (start, -1))
    return k < len(spans) and spans[k][0] < end


def first_at_or_after(spans, pos: int):
    """The first of the sorted ``spans`` that starts at or after ``pos``, or None."""
    k = bisect_left(spans, (pos, -1))
    return spans[k] if k < len(spans) else None


def word_before(lemmas, start: int, floor: int, words) -> bool:
    """Is one of ``words`` among the LOOKBACK lemmas before ``start`` (not before ``floor``)?"""
    for k in range(max(floor, start - LOOKBACK), start):
        if lemmas[k] in words:
            return True
    return False


class RuleEngine:
    """Every category's rules, in file order; see the module docstring."""

    def __init__(self, nlp: Language, data_dir: str):
        data = data_for(data_dir)
        g = grammar(data_dir)
        self.rules = [r for cat in data.categories.values() for r in cat.rules]
        # a rule's own category cues are stored as "<category>:<LABEL>"
        self.local = {cat.name: set(cat.cues) for cat in data.categories.values()}
        self.be = g.be_rules
        self.negation = g.negation
        self.deferral = g.deferral

    def _scope(self, index: ActorIndex, scope: str, anchor: int, target_end: int, doc: Doc):
        """The token range [start, end) a ``requires_scope`` / ``unless_scope`` names around a hit:
        clause (reaching to the hit's end), sentence, context (with the sentence before),
        overlap (the hit itself) or note."""
        s, c, cstart, cend = index.clause_of(anchor)
        sent = index.sents[s]
        if scope == "clause":
            return cstart, max(cend, min(target_end, sent.end))
        if scope == "sentence":
            return sent.start, sent.end
        if scope == "context":
            prev = index.sents[s - 1].start if s > 0 else sent.start
            return prev, sent.end
        if scope == "overlap":
            return anchor, target_end
        return 0, len(doc)

    def _actor_ok(self, rule, index, anchor, cues):
        """Does whoever does the token at ``anchor`` fit the rule's ``actor``?"""
        if rule.actor == "any":
            return True
        roles, helper = index.doer(anchor)
        if rule.helped_counts and helper:
            roles = roles | helper
        if rule.actor == "staff":
            return STAFF in roles
        if rule.actor == "staff_and_client":
            return STAFF in roles and (CLIENT in roles or CHILD in roles)
        if rule.actor == "not_other":
            return OTHER not in roles
        if rule.actor == "staff_or_with_staff":
            if STAFF in roles:
                return True
            _, _, cstart, cend = index.clause_of(anchor)
            return any_in(cues.get("STAFF", []), cstart, cend) or any_in(cues.get("STAFF_POSS", []), cstart, cend)
        return False

    def _forward(self, rule, lab, cues, index, a_start, a_end):
        """The rule's cues in order from the anchor: (start, end, doer_at) or None."""
        s, c, cstart, cend = index.clause_of(a_start)
        sent = index.sents[s]
        end = a_end
        doer_at = a_start
        for pos, label in enumerate(rule.match[1:], 1):
            nxt = first_at_or_after(cues.get(lab(label), []), end if end > a_start else a_start)
            if nxt is None or nxt[0] >= sent.end:
                return None
            limit = (end + rule.gap) if rule.gap is not None else cend
            if nxt[0] > limit:
                return None
            end = max(end, nxt[1])
            if pos == rule.anchor:
                doer_at = nxt[0]
        end = min(end, sent.end) if end > a_start else a_end
        return a_start, end, doer_at

    def _passive(self, rule, lab, cues, index, a_start, a_end):
        """The same cues in passive order: "<X...> was/were/got <VERB> by <staff>".
        Returns (start, end) of the target, or None. The agent is checked by the caller."""
        lemmas = index.lemmas
        s, c, cstart, cend = index.clause_of(a_start)
        sent = index.sents[s]
        be = next((k for k in range(max(sent.start, a_start - 2), a_start) if lemmas[k] in self.be), None)
        if be is None:
            return None
        gap = rule.gap if rule.gap is not None else 6
        objects = rule.match[1:]
        # the first `split` cues come before "was <verb>", the rest after the verb:
        # "member's forms were dropped off by writer", "member was dropped off at ... by PSS"
        for split in range(len(objects), 0, -1):
            limit = start = be
            ok = True
            for label in reversed(objects[:split]):
                spans = cues.get(lab(label), [])
                k = bisect_left(spans, (limit + 1, -1)) - 1
                while k >= 0 and spans[k][1] > limit:
                    k -= 1
                if k < 0 or spans[k][0] < sent.start or limit - spans[k][1] > gap:
                    ok = False
                    break
                start = limit = spans[k][0]
            if not ok:
                continue
            end = a_end
            for label in objects[split:]:
                nxt = first_at_or_after(cues.get(lab(label), []), end)
                if nxt is None or nxt[0] >= sent.end or nxt[0] > end + gap:
                    ok = False
                    break
                end = nxt[1]
            if ok:
                return start, end
        return None

    def _accept(self, rule, lab, cues, index, doc, a_start, end, sent):
        """requires / unless checks for one candidate."""
        lemmas = index.lemmas
        if rule.requires:
            rs, re_ = self._scope(index, rule.requires_scope, a_start, end, doc)
            if not all(any_in(cues.get(lab(x), []), rs, re_) for x in rule.requires):
                return False
        if rule.unless and not (
            rule.force and any(any_in(cues.get(lab(x), []), sent.start, sent.end) for x in rule.force)
        ):
            for item in rule.unless:
                x, _, scope = item.partition("@")  # "EMPLOY@sentence": own scope
                scope = scope or rule.unless_scope
                us, ue = self._scope(index, scope, a_start, end, doc)
                for u0, u1 in cues.get(lab(x), []):
                    if scope == "overlap":
                        if u0 < ue and u1 > us:
                            return False
                        continue
                    if (
                        us <= u0 < ue
                        and not word_before(lemmas, u0, us, self.negation)
                        and not word_before(lemmas, u0, us, self.deferral)
                    ):
                        return False
        return True

    def _target(self, rule, lab, cues, index, a_start, a_end):
        """The (start, end) of the passage a rule hit at this anchor covers, or None.

        Active order first: the rule's cues follow the anchor and the doer of the
        ``anchor`` cue fits ``actor``. Else, for a ``passive`` rule, the passive order
        with a staff member as the "by" agent."""
        hit = self._forward(rule, lab, cues, index, a_start, a_end)
        if hit is not None:
            _, end, doer_at = hit
            if self._actor_ok(rule, index, doer_at, cues):
                return a_start, end
        if rule.passive and len(rule.match) > 1:
            passive = self._passive(rule, lab, cues, index, a_start, a_end)
            agent = index.passive_agent(a_start) if passive else None
            if agent is not None and STAFF in agent:
                return passive
        return None

    def __call__(self, doc: Doc) -> Doc:
        cues = doc._.ps_cues
        index: ActorIndex = doc._.ps_actors
        targets, meta = [], []
        seen = set()
        for rule in self.rules:
            local = self.local[rule.category]

            def lab(label, category=rule.category, local=local):
                """A cue label as stored: the rule's own category cues are "<category>:<LABEL>"."""
                return f"{category}:{label}" if label in local else label

            last_anchor = -1
            for a_start, a_end in cues.get(lab(rule.match[0]), []):
                if a_start == last_anchor:
                    continue  # several lengths of the same cue: keep the first
                target = self._target(rule, lab, cues, index, a_start, a_end)
                if target is None:
                    continue
                t_start, end = target
                sent = index.sents[index.sentence_of(a_start)]
                if not self._accept(rule, lab, cues, index, doc, a_start, end, sent):
                    continue
                if (rule.category, t_start, end) in seen:
                    continue  # another rule of the category already covers this passage
                seen.add((rule.category, t_start, end))
                last_anchor = a_start
                targets.append(Span(doc, t_start, end, label=rule.category))
                meta.append(rule.id)
        doc.spans[TARGETS] = targets
        doc._.ps_meta = meta
        return doc


@Language.factory(
    "peerscope_rules",
    default_config={"data_dir": ""},
    requires=["token.lemma", "doc._.ps_cues", "doc._.ps_actors"],
    assigns=["doc.spans", "doc._.ps_meta"],
)
def make_rules(nlp: Language, name: str, data_dir: str):
    return RuleEngine(nlp, data_dir)
