"""peerscope_normalizer: every token's lemma and norm, lower-cased.

The lemma comes from spacy-lookups-data's English lookup table, with the fixes in
``normalizer.overrides`` (lexicon.yml). Cue phrases are compiled with the same
normaliser, so "drove" in a phrase matches "drives" in a note.
"""

from spacy.language import Language
from spacy.tokens import Doc

from .shared import normaliser


@Language.factory(
    "peerscope_normalizer",
    default_config={"data_dir": ""},
    assigns=["token.lemma", "token.norm"],
)
def make_normalizer(nlp: Language, name: str, data_dir: str):
    norm = normaliser(data_dir)

    def normalise(doc: Doc) -> Doc:
        for tok in doc:
            tok.lemma_ = tok.norm_ = norm(tok.text)
        return doc

    return normalise
