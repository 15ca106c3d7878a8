"""What the pipeline components share: the checker's data, the lemma table,
the normaliser, the word sets of ``grammar`` (lexicon.yml) and the Doc extensions.

The components pass their findings to each other on the Doc:

    doc._.ps_cues       {cue label: sorted [(start, end)] token spans}     peerscope_cues, peerscope_actors
    doc._.ps_actors     ActorIndex: people, clauses, who did what          peerscope_actors
    doc.spans[TARGETS]  candidate flags, labelled with their category      peerscope_rules
    doc._.ps_meta       the rule id of each candidate                      peerscope_rules
    doc._.ps_modifiers  the ConText categories that modify each candidate  peerscope_context
    doc._.ps_flags      [(category, sentence index, rule id)]              peerscope_decide
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from spacy.tokens import Doc

from ..config import NoteCheckData, cached_data
from ..schema import GRAMMAR_KEYS

TARGETS = "ps_targets"  # the span group of candidate flags

for _name in ("ps_cues", "ps_actors", "ps_meta", "ps_modifiers", "ps_flags"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)


def data_for(data_dir: str) -> NoteCheckData:
    """The validated data of knowledge/note_checks (or of ``data_dir``), read once."""
    return cached_data(data_dir or None)


@lru_cache(maxsize=1)
def lookup_table():
    """spacy-lookups-data's English lemma table (installed, never downloaded)."""
    from spacy.lookups import load_lookups

    return load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")


class Normaliser:
    """Lower-cased lookup lemma of a word, with the fixes of ``normalizer.overrides``."""

    def __init__(self, overrides: dict):
        self.table = lookup_table()
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
def normaliser(data_dir: str) -> Normaliser:
    return Normaliser(data_for(data_dir).lexicon["normalizer"].get("overrides"))


def phrase_tokenizer(nlp, data_dir: str):
    """text -> normalised lemmas, tokenized as notes are (for compiling cue phrases)."""
    norm = normaliser(data_dir)
    return lambda text: [norm(t.text) for t in nlp.tokenizer(text)]


@dataclass(frozen=True)
class Grammar:
    """The word sets of lexicon.yml that the actor index and the rules read."""

    prep: frozenset
    help_verbs: frozenset
    object_verbs: frozenset
    speech_verbs: frozenset
    subj_pronouns: frozenset
    obj_pronouns: frozenset
    rel_pronouns: frozenset
    be_rules: frozenset  # lists.BE: a passive auxiliary before a rule's verb
    be_actors: frozenset  # lists.BE + grammar.be: a passive for the actor index
    break_punct: frozenset
    break_words: frozenset
    staff_possessive: frozenset
    client_possessive: frozenset
    staff_object: frozenset
    staff_and_client: frozenset
    possessive_or_object: frozenset
    relative: frozenset
    staff_pronouns: frozenset
    object_followers: frozenset
    determiners: frozenset
    coordinators: frozenset
    subject_joiners: frozenset
    agent: frozenset
    possessive: frozenset
    negation: frozenset
    deferral: frozenset
    with_person: frozenset
    for_person: frozenset
    clause_openers: frozenset
    name_particles: frozenset
    name_joiners: frozenset


@lru_cache(maxsize=4)
def grammar(data_dir: str) -> Grammar:
    data = data_for(data_dir)
    lists, g, breaks = data.lists, data.lexicon["grammar"], data.lexicon["clause_breaks"]

    def words(values) -> frozenset:
        return frozenset(values or ())

    return Grammar(
        prep=words(lists.get("PREP")),
        help_verbs=words(lists.get("HELP_VERB")),
        object_verbs=words(lists.get("OBJECT_VERB")),
        speech_verbs=words(lists.get("SPEECH_VERB")),
        subj_pronouns=words(lists.get("SUBJ_PRONOUN")),
        obj_pronouns=words(lists.get("OBJ_PRONOUN")),
        rel_pronouns=words(lists.get("REL_PRONOUN")),
        be_rules=words(lists.get("BE")),
        be_actors=words(lists.get("BE")) | words(g["be"]),
        break_punct=words(breaks.get("punctuation")),
        break_words=words(breaks.get("words")),
        **{key: words(g[key]) for key in GRAMMAR_KEYS if key != "be"},
    )
