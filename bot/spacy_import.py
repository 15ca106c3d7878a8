"""Import spaCy without TensorFlow.

thinc (under spaCy) probes for TensorFlow at import, and Rasa installs it: that costs
seconds and memory in every process that only wants spaCy's rule-based parts. While
spaCy is first imported, ``import tensorflow`` is made to fail; TensorFlow stays
importable afterwards for any code that really needs it.
"""

from __future__ import annotations

import sys


def import_spacy():
    if "spacy" in sys.modules or "tensorflow" in sys.modules:
        import spacy

        return spacy
    sys.modules["tensorflow"] = None  # makes `import tensorflow` fail inside thinc
    try:
        import spacy
    finally:
        if sys.modules.get("tensorflow", 0) is None:
            del sys.modules["tensorflow"]
    return spacy
