"""peerscope_actors: the people a note mentions, its clauses, and who did what.

1. People words: the longest non-overlapping matches of the ``actors`` cues
   (lexicon.yml), plus first names found by ``NameFinder`` (names.py). "peer" is
   the specialist when the note also names the person served, else the person served.
2. Pronouns (``lists`` and ``grammar`` in lexicon.yml): she/he/they, my/our,
   his/their, her (possessive or object, by the word after it), who/which.
3. ``ActorIndex`` (actor_index.py) builds clauses and resolves the doer of any token.
4. Derived cues that rules can use (``DERIVED_CUES`` in config.py): STAFF, CLIENT,
   PERSON, STAFF_POSS... and WITH_CLIENT / errands:FOR_PERSON for a person served
   named after "with" / "for".
"""

from spacy.language import Language
from spacy.tokens import Doc

from ..schema import ACTOR_ROLES, DERIVED_CUES
from .actor_index import CHILD, CLIENT, OTHER, STAFF, ActorIndex, Mention
from .names import NameFinder
from .shared import data_for, grammar


def longest_non_overlapping(spans):
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
    ROLE = {f"@{role}": role for role in (STAFF, CLIENT, CHILD, OTHER)}

    def __init__(self, nlp: Language, data_dir: str):
        data = data_for(data_dir)
        self.grammar = grammar(data_dir)
        self.labels = tuple(f"@{role}" for role in ACTOR_ROLES)
        self.names = NameFinder(data.lexicon, data.lists, data.lexicon["clause_breaks"], self.grammar)

    def __call__(self, doc: Doc) -> Doc:
        g = self.grammar
        cues = doc._.ps_cues
        raw = [(s, e, lab) for lab in self.labels for (s, e) in cues.get(lab, ())]
        chosen = longest_non_overlapping(raw)
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
            one_word = e - s == 1
            roles = frozenset({STAFF, CLIENT}) if one_word and lem[s] in g.staff_and_client else frozenset({role})
            poss = e < n and lem[e] in g.possessive
            kind = "obj_pron" if one_word and lem[s] in g.staff_object else "noun"
            mentions.append(Mention(s, e, roles, kind, poss))
            covered.update(range(s, e))
        for i, tok in enumerate(doc):
            if i in covered:
                continue
            low = lem[i]
            if low in g.subj_pronouns:
                mentions.append(Mention(i, i + 1, frozenset({CLIENT}), "subj_pron"))
            elif low in g.staff_possessive:
                mentions.append(Mention(i, i + 1, frozenset({STAFF}), "poss_det", True))
            elif low in g.client_possessive:
                mentions.append(Mention(i, i + 1, frozenset({CLIENT}), "poss_det", True))
            elif low in g.obj_pronouns:
                nxt = lem[i + 1] if i + 1 < n else "."
                if low in g.possessive_or_object and nxt not in g.object_followers and not doc[i + 1].is_punct:
                    mentions.append(Mention(i, i + 1, frozenset({CLIENT}), "poss_det", True))
                else:
                    mentions.append(Mention(i, i + 1, frozenset({CLIENT}), "obj_pron"))
            elif low in g.rel_pronouns and tok.lower_ in g.relative:
                mentions.append(Mention(i, i + 1, frozenset(), "rel"))
        index = ActorIndex(doc, mentions, g)
        doc._.ps_actors = index
        self._derived_cues(doc, index)
        return doc

    def _derived_cues(self, doc: Doc, index: ActorIndex) -> None:
        g = self.grammar
        cues = doc._.ps_cues
        for key in DERIVED_CUES:
            cues[key] = []
        lemmas = index.lemmas
        # "with Tom", "alongside grandma", "for Gloria": any person served named
        # after these words counts, not only the phrases listed in the cues
        for label, preps in (("WITH_CLIENT", g.with_person), ("errands:FOR_PERSON", g.for_person)):
            spans = list(cues.get(label, ()))
            for m in index.mentions:
                if (
                    m.kind == "noun"
                    and not m.possessive
                    and m.start > 0
                    and STAFF not in m.roles
                    and (CLIENT in m.roles or CHILD in m.roles)
                    and lemmas[m.start - 1] in preps
                ):
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
        for key in DERIVED_CUES:
            cues[key].sort()


@Language.factory(
    "peerscope_actors",
    default_config={"data_dir": ""},
    requires=["token.lemma", "token.is_sent_start", "doc._.ps_cues"],
    assigns=["doc._.ps_actors", "doc._.ps_cues"],
)
def make_actors(nlp: Language, name: str, data_dir: str):
    return ActorTagger(nlp, data_dir)
