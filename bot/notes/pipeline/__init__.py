"""The note checker's spaCy pipeline: seven components, one module each, registered
by name with what each requires and assigns, all configured from knowledge/note_checks
(``data_dir``: another copy of that folder, "" for the default).

    peerscope_normalizer  normalizer.py  lower-cased lookup lemmas (spacy-lookups-data + overrides)
    peerscope_sentences   sentences.py   sentence starts for notes (periods, new lines, table cells)
    peerscope_cues        cues.py        every cue phrase in knowledge/note_checks
    peerscope_actors      actors.py      people mentioned, clauses, and who did what
    peerscope_rules       rules.py       category rules -> candidate flags (span group "ps_targets")
    peerscope_context     context.py     medspaCy ConText (context.yml), per sentence: negated /
                                         hypothetical / requested / reported / educational
    peerscope_decide      decide.py      the candidates nothing cancelled, one per category and sentence

All behaviour comes from the YAML files (knowledge/note_checks/README.md documents
them); the components only interpret it.
"""

from bot.spacy_import import import_spacy

import_spacy()  # before spaCy is first imported below: keeps TensorFlow out

from . import actors, context, cues, decide, normalizer, rules, sentences  # noqa: E402,F401  (registers)
from .shared import TARGETS  # noqa: E402

COMPONENTS = (
    "peerscope_normalizer",
    "peerscope_sentences",
    "peerscope_cues",
    "peerscope_actors",
    "peerscope_rules",
    "peerscope_context",
    "peerscope_decide",
)

__all__ = ["COMPONENTS", "TARGETS"]
