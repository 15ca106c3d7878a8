"""peerscope_cues: every cue phrase of knowledge/note_checks, found in the note.

Cue phrases (lexicon.yml ``cues``, each category's ``cues``, and the people words of
``actors``) are compiled with the phrase syntax of bot/notes/patterns.py and matched
on the lemmas. A category's own cues are labelled ``<category>:<LABEL>``, the
people words ``@staff``, ``@client``...
"""

from spacy.language import Language
from spacy.tokens import Doc

from ..patterns import SequenceMatcher, compile_phrases
from ..schema import ACTOR_ROLES
from .shared import data_for, phrase_tokenizer


class CueMatcher:
    def __init__(self, nlp: Language, data_dir: str):
        data = data_for(data_dir)
        tokenize = phrase_tokenizer(nlp, data_dir)
        lists = data.lists
        self.matcher = SequenceMatcher()
        for label, phrases in data.all_cues().items():
            self.matcher.add(label, compile_phrases(phrases, lists, tokenize))
        actors = data.lexicon["actors"]
        for role in ACTOR_ROLES:
            self.matcher.add(f"@{role}", compile_phrases(actors[role], lists, tokenize))

    def __call__(self, doc: Doc) -> Doc:
        lemmas = [t.lemma_ for t in doc]
        orths = [t.text for t in doc]
        nums = [t.like_num for t in doc]
        doc._.ps_cues = self.matcher(lemmas, orths, nums)
        return doc


@Language.factory(
    "peerscope_cues",
    default_config={"data_dir": ""},
    requires=["token.lemma"],
    assigns=["doc._.ps_cues"],
)
def make_cues(nlp: Language, name: str, data_dir: str):
    return CueMatcher(nlp, data_dir)
