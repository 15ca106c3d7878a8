"""spaCy pipeline components of the note checker, registered by name.

    peerscope_normalizer  lower-cased lookup lemmas (spacy-lookups-data + overrides)
    peerscope_sentences   sentence starts for notes (periods, new lines, table cells)
    peerscope_cues        every cue phrase in knowledge/note_checks (indexed sequence matcher)
    peerscope_actors      people mentioned, clauses, and who did what
    peerscope_rules       category rules -> candidate flags (span group "ps_targets")
    peerscope_context     medspaCy ConText (rules from context.yml), run per sentence:
                          negated / hypothetical / requested / reported / educational
    peerscope_decide      keeps the candidates that ConText did not cancel, one per
                          category and sentence

All behaviour comes from the YAML files; the components only interpret it.
"""



from bisect import bisect_left
from collections import defaultdict
from functools import lru_cache

import numpy
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc, Span

from .actors import CHILD, CLIENT, OTHER, STAFF, ActorIndex, Mention, OBJECT_FOLLOWERS
from .config import cached_data
from .patterns import SequenceMatcher, compile_phrases

TARGETS = "ps_targets"
DERIVED = ("STAFF", "CLIENT", "CHILD", "OTHER", "PERSON", "THEM", "STAFF_POSS", "CLIENT_POSS",
           "STAFF_ANY", "CLIENT_ANY")

for _name in ("ps_cues", "ps_actors", "ps_meta", "ps_modifiers", "ps_flags"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)


def _data(data_dir: str):
    return cached_data(data_dir or None)


# -- normaliser ------------------------------------------------------------------

@lru_cache(maxsize=1)
def _lookup_table():
    from spacy.lookups import load_lookups

    return load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")


class Normaliser:
    def __init__(self, overrides: dict):
        self.table = _lookup_table()
        self.overrides = {str(k).lower(): str(v) for k, v in (overrides or {}).items()}
        self._cache: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        low = text.lower()
        hit = self._cache.get(low)
        if hit is None:
            hit = self.overrides.get(low) or self.table.get(low, low)
            if len(self._cache) < 50000:
                self._cache[low] = hit
        return hit


@lru_cache(maxsize=4)
def _normaliser(data_dir: str) -> Normaliser:
    return Normaliser(_data(data_dir).lexicon["normalizer"].get("overrides"))


@Language.factory("peerscope_normalizer", default_config={"data_dir": ""})
def make_normalizer(nlp: Language, name: str, data_dir: str):
    norm = _normaliser(data_dir)

    def normalise(doc: Doc) -> Doc:
        for tok in doc:
            tok.lemma_ = tok.norm_ = norm(tok.text)
        return doc

    return normalise


def phrase_tokenizer(nlp: Language, data_dir: str):
    norm = _normaliser(data_dir)
    return lambda text: [norm(t.text) for t in nlp.tokenizer(text)]


# -- sentences --------------------------------------------------------------------

SENT_END = {".", "!", "?", "...", "…", "!!", "??", "?!"}
ABBREVIATIONS = {"dr.", "mr.", "mrs.", "ms.", "st.", "vs.", "mx.", "jr.", "sr.", "e.g.", "i.e.", "a.m.", "p.m."}


@Language.component("peerscope_sentences")
def sentences(doc: Doc) -> Doc:
    """Sentence starts after end punctuation, at line breaks and at table cells."""
    n = len(doc)
    if not n:
        return doc
    texts = [t.text for t in doc]
    spaces = [t.whitespace_ for t in doc]
    flags = numpy.full((n, 1), -1, dtype="int64")
    flags[0, 0] = 1
    for i in range(1, n):
        prev = texts[i - 1]
        cur = texts[i]
        if (
            prev in SENT_END
            or "\n" in spaces[i - 1]
            or (prev.isspace() and ("\n" in prev or "\t" in prev))
            or prev in ("|", "•")
            or cur in ("|", "•")
            or (len(prev) > 1 and prev[-1] == "." and cur[:1].isupper() and cur[1:2].islower()
                and prev.lower() not in ABBREVIATIONS)
        ):
            flags[i, 0] = 1
    doc.from_array([SENT_START], flags.astype("uint64"))
    return doc


# -- cues ------------------------------------------------------------------------

class CueMatcher:
    """Finds every cue phrase of knowledge/note_checks in the note."""

    def __init__(self, nlp: Language, data_dir: str):
        data = _data(data_dir)
        tokenize = phrase_tokenizer(nlp, data_dir)
        lists = data.lists
        self.matcher = SequenceMatcher()
        for label, phrases in data.all_cues().items():
            self.matcher.add(label, compile_phrases(phrases, lists, tokenize))
        actors = data.lexicon["actors"]
        for role in ("staff", "ambiguous_peer", "client", "child", "other"):
            self.matcher.add(f"@{role}", compile_phrases(actors[role], lists, tokenize))

    def __call__(self, doc: Doc) -> Doc:
        lemmas = [t.lemma_ for t in doc]
        orths = [t.text for t in doc]
        nums = [t.like_num for t in doc]
        doc._.ps_cues = self.matcher(lemmas, orths, nums)
        return doc


@Language.factory("peerscope_cues", default_config={"data_dir": ""})
def make_cues(nlp: Language, name: str, data_dir: str):
    return CueMatcher(nlp, data_dir)


# -- actors ----------------------------------------------------------------------

def _longest_non_overlapping(spans):
    """Greedy longest-first selection of non-overlapping (start, end, label)."""
    spans = sorted(spans, key=lambda s: (-(s[1] - s[0]), s[0]))
    taken: dict[int, bool] = {}
    out = []
    for s in spans:
        if any(taken.get(i) for i in range(s[0], s[1])):
            continue
        for i in range(s[0], s[1]):
            taken[i] = True
        out.append(s)
    return sorted(out)


class ActorTagger:
    ROLE = {"@staff": STAFF, "@client": CLIENT, "@child": CHILD, "@other": OTHER}

    def __init__(self, nlp: Language, data_dir: str):
        data = _data(data_dir)
        self.lists = data.lists
        self.breaks = data.lexicon["clause_breaks"]
        self.subj = set(self.lists.get("SUBJ_PRONOUN", ()))
        self.obj = set(self.lists.get("OBJ_PRONOUN", ()))
        self.rel = set(self.lists.get("REL_PRONOUN", ()))
        self.names = NameFinder(data.lexicon, self.lists, self.breaks)

    def __call__(self, doc: Doc) -> Doc:
        cues = doc._.ps_cues
        raw = [(s, e, lab) for lab in ("@staff", "@ambiguous_peer", "@client", "@child", "@other")
               for (s, e) in cues.get(lab, ())]
        chosen = _longest_non_overlapping(raw)
        chosen, name_spans = self.names(doc, chosen)
        has_client = any(lab == "@client" for _, _, lab in chosen)
        has_staff = any(lab == "@staff" for _, _, lab in chosen)
        peer_role = STAFF if (has_client or not has_staff) else CLIENT
        lem = [t.lemma_ for t in doc]
        n = len(doc)
        mentions: list[Mention] = []
        covered = set()
        for s, e, lab in chosen + name_spans:
            role = peer_role if lab == "@ambiguous_peer" else self.ROLE[lab]
            roles = frozenset({STAFF, CLIENT}) if lem[s] == "we" and e - s == 1 else frozenset({role})
            poss = e < n and lem[e] == "'s"
            kind = "noun"
            if e - s == 1 and lem[s] in ("me", "myself"):
                kind = "obj_pron"
            mentions.append(Mention(s, e, roles, kind, poss))
            covered.update(range(s, e))
        for i, tok in enumerate(doc):
            if i in covered:
                continue
            low = lem[i]
            if low in self.subj:
                mentions.append(Mention(i, i + 1, frozenset({CLIENT}), "subj_pron"))
            elif low in ("my", "our"):
                mentions.append(Mention(i, i + 1, frozenset({STAFF}), "poss_det", True))
            elif low in ("his", "their"):
                mentions.append(Mention(i, i + 1, frozenset({CLIENT}), "poss_det", True))
            elif low in self.obj:
                nxt = lem[i + 1] if i + 1 < n else "."
                if low == "her" and nxt not in OBJECT_FOLLOWERS and not doc[i + 1].is_punct:
                    mentions.append(Mention(i, i + 1, frozenset({CLIENT}), "poss_det", True))
                else:
                    mentions.append(Mention(i, i + 1, frozenset({CLIENT}), "obj_pron"))
            elif low in self.rel and tok.lower_ in ("who", "which"):
                mentions.append(Mention(i, i + 1, frozenset(), "rel"))
        index = ActorIndex(doc, mentions, self.lists, self.breaks)
        doc._.ps_actors = index
        self._derived_cues(doc, index)
        return doc

    @staticmethod
    def _derived_cues(doc: Doc, index: ActorIndex) -> None:
        cues = doc._.ps_cues
        for key in DERIVED:
            cues[key] = []
        lemmas = index.lemmas
        # "with Tom", "alongside grandma", "for Gloria": any person served named
        # after these words counts, not only the phrases listed in the cues
        derived_preps = (("WITH_CLIENT", ("with", "alongside", "beside")), ("errands:FOR_PERSON", ("for",)))
        for label, preps in derived_preps:
            spans = list(cues.get(label, ()))
            for m in index.mentions:
                if (m.kind == "noun" and not m.possessive and m.start > 0 and STAFF not in m.roles
                        and (CLIENT in m.roles or CHILD in m.roles) and lemmas[m.start - 1] in preps):
                    spans.append((m.start - 1, m.end))
            cues[label] = sorted(set(spans))
        for m in index.mentions:
            span = (m.start, m.end + (1 if m.possessive and m.kind != "poss_det" else 0))
            if m.kind == "rel":
                continue
            is_staff = STAFF in m.roles
            is_client = CLIENT in m.roles or CHILD in m.roles
            if is_staff:
                cues["STAFF_ANY"].append(span)
            if is_client:
                cues["CLIENT_ANY"].append(span)
            if m.possessive:
                if is_staff:
                    cues["STAFF_POSS"].append(span)
                if is_client:
                    cues["CLIENT_POSS"].append(span)
                continue
            if m.kind == "subj_pron":
                continue
            if is_staff and m.kind == "noun":
                cues["STAFF"].append(span)
            if CLIENT in m.roles and m.kind == "noun":
                cues["CLIENT"].append(span)
            if CHILD in m.roles:
                cues["CHILD"].append(span)
            if OTHER in m.roles:
                cues["OTHER"].append(span)
            if m.kind == "obj_pron" and doc[m.start].lower_ == "them":
                cues["THEM"].append(span)
            elif (is_client and not is_staff) or m.kind == "obj_pron" and m.roles == frozenset({CLIENT}):
                cues["PERSON"].append(span)
        for key in DERIVED:
            cues[key].sort()


class NameFinder:
    """Plain first names as people ("brought Tom to ...", "Maria's door").

    A capitalised word is a name only when its context says so (see `names` in
    lexicon.yml): followed by "'s", right after a person-taking word, or a
    clause's subject followed by a verb from the list. Other occurrences of a
    name found that way are names too. A name right after a title or a person
    word ("Ms. Ortiz", "her son Caleb") extends that mention instead.
    """

    CLAUSE_OPENERS = frozenset("and but so then when because after before while since once , ; : ( - – —".split())

    def __init__(self, lexicon: dict, lists: dict, breaks: dict):
        cfg = lexicon.get("names") or {}
        self.role = {"client": "@client", "child": "@child", "other": "@other"}[cfg.get("role", "client")]
        self.not_names = {str(w).lower() for w in lexicon.get("not_names") or ()}
        self.before = set(cfg.get("before") or ()) | set(lists.get("HELP_VERB", ())) \
            | set(lists.get("OBJECT_VERB", ())) | set(lists.get("SPEECH_VERB", ())) | {"up", "off"}
        self.after = set(cfg.get("after") or ())
        self.org_heads = {str(w).lower() for w in cfg.get("org_heads") or ()}
        self.openers = self.CLAUSE_OPENERS | set(breaks.get("words", ()))
        self.table = _lookup_table()

    def _word(self, text: str) -> bool:
        if len(text) < 2 or not text.isalpha() or not text[0].isupper() or not text[1:].islower():
            return False
        low = text.lower()
        if low in self.not_names:
            return False
        lemma = self.table.get(low)
        return not (lemma and lemma != low and low.endswith(("ed", "ing")))

    def _inflected(self, text: str) -> bool:
        low = text.lower()
        lemma = self.table.get(low)
        return bool(lemma) and lemma != low

    def __call__(self, doc: Doc, chosen: list):
        n = len(doc)
        if not n:
            return chosen, []
        texts = [t.text for t in doc]
        lem = [t.lemma_ for t in doc]
        starts = [t.is_sent_start for t in doc]
        owner = {}
        for k, (s, e, lab) in enumerate(chosen):
            for i in range(s, e):
                owner[i] = k
        runs = []
        i = 0
        while i < n:
            if i in owner or not self._word(texts[i]) or (starts[i] and self._inflected(texts[i])):
                i += 1     # "Brought Tom ...": a sentence-initial verb form is no name
                continue
            j = i + 1
            while j < n and j not in owner and self._word(texts[j]) and not starts[j]:
                j += 1
            runs.append((i, j))
            i = j
        if not runs:
            return chosen, []
        extend = {}
        found: set[str] = set()
        accepted = []
        for i, j in runs:
            words = [texts[k].lower() for k in range(i, j)]
            if any(w in self.org_heads for w in words):
                continue
            p = i - 1
            if j - i > 1 and not (p >= 0 and p in owner and chosen[owner[p]][1] == i):
                continue   # "Rite Aid", "Trader Joe's": several capitalised words name a place
            if p >= 0 and not starts[i] and texts[p][:1].isupper() and texts[p].isalpha() and p not in owner \
                    and not starts[p]:
                continue   # inside a longer proper noun ("Rite Aid", "Trader Joe")
            nxt = lem[j] if j < n else ""
            prev = lem[p] if p >= 0 and not starts[i] else ""
            ok = False
            if p >= 0 and p in owner and not starts[i] and chosen[owner[p]][1] == i \
                    and chosen[owner[p]][2] != "@staff":
                extend[owner[p]] = j          # "Ms. Ortiz", "her son Caleb"
                continue
            if nxt == "'s":
                ok = True
            elif prev in self.before:
                if prev in ("and", "&"):
                    ok = p - 1 >= 0 and (p - 1 in owner or any(a[1] == p for a in accepted))
                else:
                    ok = True
            elif (starts[i] or prev in self.openers or (p >= 0 and doc[p].is_punct)) and nxt in self.after:
                ok = True
            if ok:
                accepted.append((i, j))
                found.add(" ".join(words))
        if found:
            taken = {a[0] for a in accepted}
            for i, j in runs:
                if i not in taken and " ".join(texts[k].lower() for k in range(i, j)) in found:
                    accepted.append((i, j))
        if extend:
            chosen = [(s, extend.get(k, e), lab) for k, (s, e, lab) in enumerate(chosen)]
        return chosen, [(i, j, self.role) for i, j in sorted(accepted)]


@Language.factory("peerscope_actors", default_config={"data_dir": ""})
def make_actors(nlp: Language, name: str, data_dir: str):
    return ActorTagger(nlp, data_dir)


# -- rules -----------------------------------------------------------------------

class RuleEngine:
    """Turns cue matches into candidate flags, one target span per rule hit."""

    def __init__(self, nlp: Language, data_dir: str):
        data = _data(data_dir)
        self.rules = [r for cat in data.categories.values() for r in cat.rules]
        # a rule's own category cues are stored as "<category>:<LABEL>"
        self.local = {cat.name: set(cat.cues) for cat in data.categories.values()}
        self.be = set(data.lists.get("BE", ())) | {"be"}

    @staticmethod
    def _first_at_or_after(spans, pos):
        k = bisect_left(spans, (pos, -1))
        return spans[k] if k < len(spans) else None

    @staticmethod
    def _any_in(spans, start, end):
        k = bisect_left(spans, (start, -1))
        return k < len(spans) and spans[k][0] < end

    def _scope(self, index: ActorIndex, scope: str, anchor: int, target_end: int, doc: Doc):
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

    @staticmethod
    def _negated_before(lemmas, start, floor):
        for k in range(max(floor, start - 4), start):
            if lemmas[k] in ("not", "never", "without", "no", "nor"):
                return True
        return False

    @staticmethod
    def _deferred_before(lemmas, start, floor):
        """An in-scope context put off until later ("cut it in half until he
        can see Dr. Lin") does not cancel what was done now."""
        for k in range(max(floor, start - 4), start):
            if lemmas[k] in ("until", "till", "til"):
                return True
        return False

    def _actor_ok(self, rule, index, anchor, cues, local):
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
            return self._any_in(cues.get("STAFF", []), cstart, cend) or \
                self._any_in(cues.get("STAFF_POSS", []), cstart, cend)
        return False

    def _forward(self, rule, lab, cues, index, a_start, a_end):
        """The rule's cues in order from the anchor: (start, end, doer_at) or None."""
        s, c, cstart, cend = index.clause_of(a_start)
        sent = index.sents[s]
        end = a_end
        doer_at = a_start
        for pos, label in enumerate(rule.match[1:], 1):
            nxt = self._first_at_or_after(cues.get(lab(label), []), end if end > a_start else a_start)
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
                nxt = self._first_at_or_after(cues.get(lab(label), []), end)
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
            if not all(self._any_in(cues.get(lab(x), []), rs, re_) for x in rule.requires):
                return False
        if rule.unless and not (rule.force and any(
                self._any_in(cues.get(lab(x), []), sent.start, sent.end) for x in rule.force)):
            for item in rule.unless:
                x, _, scope = item.partition("@")   # "EMPLOY@sentence": own scope
                scope = scope or rule.unless_scope
                us, ue = self._scope(index, scope, a_start, end, doc)
                for (u0, u1) in cues.get(lab(x), []):
                    if scope == "overlap":
                        if u0 < ue and u1 > us:
                            return False
                        continue
                    if us <= u0 < ue and not self._negated_before(lemmas, u0, us) \
                            and not self._deferred_before(lemmas, u0, us):
                        return False
        return True

    def __call__(self, doc: Doc) -> Doc:
        cues = doc._.ps_cues
        index: ActorIndex = doc._.ps_actors
        targets, meta = [], []
        seen = set()
        for rule in self.rules:
            local = self.local[rule.category]
            lab = lambda x: f"{rule.category}:{x}" if x in local else x  # noqa: E731
            anchors = cues.get(lab(rule.match[0]), [])
            last_anchor = -1
            for a_start, a_end in anchors:
                if a_start == last_anchor:
                    continue   # several lengths of the same cue: keep the first
                sent = index.sents[index.sentence_of(a_start)]
                hit = self._forward(rule, lab, cues, index, a_start, a_end)
                t_start = a_start
                if hit is not None:
                    _, end, doer_at = hit
                    if not self._actor_ok(rule, index, doer_at, cues, local):
                        hit = None
                if hit is None and rule.passive and len(rule.match) > 1:
                    p = self._passive(rule, lab, cues, index, a_start, a_end)
                    agent = index.passive_agent(a_start) if p else None
                    if agent is None or STAFF not in agent:
                        continue
                    t_start, end = p
                elif hit is None:
                    continue
                if not self._accept(rule, lab, cues, index, doc, a_start, end, sent):
                    continue
                key = (rule.category, t_start, end)
                if key in seen:
                    continue
                seen.add(key)
                last_anchor = a_start
                targets.append(Span(doc, t_start, end, label=rule.category))
                meta.append(rule.id)
        doc.spans[TARGETS] = targets
        doc._.ps_meta = meta
        return doc


@Language.factory("peerscope_rules", default_config={"data_dir": ""})
def make_rules(nlp: Language, name: str, data_dir: str):
    return RuleEngine(nlp, data_dir)


# -- context ---------------------------------------------------------------------

class SentenceContext:
    """medspaCy ConText, run sentence by sentence on the sentences that hold a
    candidate flag (ConText compares every pair of modifiers in a doc, so this
    keeps long notes linear). Modifiers inside a candidate do not modify it."""

    def __init__(self, nlp: Language, data_dir: str):
        from medspacy.context import ConText, ConTextRule

        data = _data(data_dir)
        tokenize = phrase_tokenizer(nlp, data_dir)
        # ConText matches literal phrases with a PhraseMatcher on NORM, which the
        # normaliser sets to the lemma (fast);
        # phrases with wildcards stay token patterns.
        import spacy

        literal_nlp = spacy.blank("en", vocab=nlp.vocab)
        literal_nlp.add_pipe("peerscope_normalizer", config={"data_dir": data_dir})
        self.context = ConText(literal_nlp, name="medspacy_context", rules=None, input_span_type="group",
                               span_group_name=TARGETS, span_attrs=None, phrase_matcher_attr="NORM")
        rules = []
        for r in data.context["rules"]:
            blocked = data.context["blocks"].get(r["category"])
            allowed = r.get("only") or (None if blocked in (None, "all") else blocked)
            common = dict(category=r["category"], direction=r["direction"].upper(),
                          max_scope=r.get("max_scope"),
                          allowed_types={a.upper() for a in allowed} if allowed else None)
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
            sub = doc[info.start:info.end].as_doc()
            subs = [Span(sub, targets[k].start - info.start, min(targets[k].end, info.end) - info.start,
                         label=targets[k].label_) for k in ks]
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
    from itertools import product

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


@Language.factory("peerscope_context", default_config={"data_dir": ""})
def make_context(nlp: Language, name: str, data_dir: str):
    return SentenceContext(nlp, data_dir)


# -- decision ----------------------------------------------------------------------

class Decider:
    """Drops candidates that ConText marked as negated, hypothetical, requested
    by someone else, reported or educational, and keeps one per category and
    sentence. A request is honoured again when the writer then agreed."""

    def __init__(self, nlp: Language, data_dir: str):
        data = _data(data_dir)
        self.blocks = {}
        for mod_cat, blocked in data.context["blocks"].items():
            self.blocks[mod_cat] = None if blocked == "all" else set(blocked)

    def _blocked_by(self, span, categories) -> set[str]:
        out = set()
        for cat in categories:
            allowed = self.blocks.get(cat, set())
            if allowed is None or span.label_ in allowed:
                out.add(cat)
        return out

    def _agreed_after(self, doc, index, end) -> bool:
        cues = doc._.ps_cues.get("AGREE", [])
        s = index.sentence_of(min(end, len(doc) - 1))
        last = index.sents[min(s + 1, len(index.sents) - 1)].end
        k = bisect_left(cues, (end, -1))
        while k < len(cues) and cues[k][0] < last:
            a0 = cues[k][0]
            k += 1
            if RuleEngine._negated_before(index.lemmas, a0, max(0, a0 - 4)):
                continue
            roles, _ = index.doer(a0)
            if STAFF in roles:
                return True
        return False

    def _declined_after(self, doc, index, span) -> bool:
        """Someone else offered or asked, and the writer turned it down later in
        the sentence: "Client asked writer out; writer declined"."""
        if span.label_ == "risk" or STAFF in index.doer(span.start)[0]:
            return False
        cues = doc._.ps_cues.get("DECLINE", [])
        sent = index.sents[index.sentence_of(span.start)]
        k = bisect_left(cues, (span.end, -1))
        while k < len(cues) and cues[k][0] < sent.end:
            if STAFF in index.doer(cues[k][0])[0]:
                return True
            k += 1
        return False

    def __call__(self, doc: Doc) -> Doc:
        index: ActorIndex = doc._.ps_actors
        flags = []
        seen = set()
        mods = doc._.ps_modifiers or [set() for _ in doc.spans[TARGETS]]
        for span, rule_id, cats in zip(doc.spans[TARGETS], doc._.ps_meta or [], mods):
            blocked = self._blocked_by(span, cats)
            if blocked == {"REQUEST"} and self._agreed_after(doc, index, span.end):
                blocked = set()
            if not blocked and self._declined_after(doc, index, span):
                blocked = {"DECLINED"}
            if blocked:
                continue
            s = index.sentence_of(span.start)
            key = (span.label_, s)
            if key in seen:
                continue
            seen.add(key)
            flags.append((span.label_, s, rule_id))
        doc._.ps_flags = flags
        return doc


@Language.factory("peerscope_decide", default_config={"data_dir": ""})
def make_decider(nlp: Language, name: str, data_dir: str):
    return Decider(nlp, data_dir)
