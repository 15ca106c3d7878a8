"""peerscope_sentences: sentence starts for progress notes (``sentences`` in lexicon.yml).

A sentence starts after end punctuation, at a line break or tab, at a table cell
or bullet mark, and after a word ending in "." followed by a capitalised word
("... at 3 p.m. Member ...") unless that word is an abbreviation ("Dr. Lin"). A closing
quote or bracket right after end punctuation ends the sentence it closes ('she said "I'm
fine." Then ...'): it is never a sentence of its own.
"""

import numpy
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc

from .shared import data_for


class SentenceSplitter:
    def __init__(self, nlp: Language, data_dir: str):
        cfg = data_for(data_dir).lexicon["sentences"]
        self.end_punctuation = frozenset(cfg["end_punctuation"])
        self.cell_marks = frozenset(cfg["cell_marks"])
        self.abbreviations = frozenset(w.lower() for w in cfg["abbreviations"])
        self.closing_marks = frozenset(cfg["closing_marks"])

    def starts_sentence(self, prev: str, prev_space: str, cur: str) -> bool:
        """Does the token ``cur`` start a sentence, after ``prev`` and its trailing whitespace?"""
        return (
            prev in self.end_punctuation
            or "\n" in prev_space
            or (prev.isspace() and ("\n" in prev or "\t" in prev))
            or prev in self.cell_marks
            or cur in self.cell_marks
            or (
                len(prev) > 1
                and prev[-1] == "."
                and cur[:1].isupper()
                and cur[1:2].islower()
                and prev.lower() not in self.abbreviations
            )
        )

    def __call__(self, doc: Doc) -> Doc:
        n = len(doc)
        if not n:
            return doc
        texts = [t.text for t in doc]
        spaces = [t.whitespace_ for t in doc]
        flags = numpy.full((n, 1), -1, dtype="int64")
        flags[0, 0] = 1
        carried = False  # a closing mark took the start of the sentence: the next token starts it
        for i in range(1, n):
            start = carried or self.starts_sentence(texts[i - 1], spaces[i - 1], texts[i])
            carried = start and texts[i] in self.closing_marks and not spaces[i - 1]
            if start and not carried:
                flags[i, 0] = 1
        doc.from_array([SENT_START], flags.astype("uint64"))
        return doc


@Language.factory(
    "peerscope_sentences",
    default_config={"data_dir": ""},
    assigns=["token.is_sent_start"],
)
def make_sentences(nlp: Language, name: str, data_dir: str):
    return SentenceSplitter(nlp, data_dir)
