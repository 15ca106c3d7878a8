"""Linear text classifiers over the shared encoder, with character and word n-grams.

Features of a text: its sentence embedding (bot.nlp.encoder), and TF-IDF of its
character n-grams (within words) and word uni/bigrams. The n-grams carry what a
sentence embedding blurs: negation ("did not drive"), exact words and numbers.
A logistic regression (one per label for ``multilabel``) is trained on top.
Models are saved with skops (no pickle), so loading a model file cannot run code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

_MONEY = re.compile(r"\$\s?(\d[\d,]*(?:\.\d+)?)|(\d[\d,]*(?:\.\d+)?)\s?(?:dollars|bucks)\b", re.I)


def prepare(text: str) -> str:
    """Lower-cased text for the n-gram features, with amounts of money as size tokens
    ("$200" -> "$200 moneybig") so that a model can learn what counts as valuable."""
    def size(m: re.Match) -> str:
        raw = (m.group(1) or m.group(2) or "0").replace(",", "")
        try:
            value = float(raw)
        except ValueError:
            return m.group(0)
        tag = "moneysmall" if value < 25 else "moneymid" if value < 100 else "moneybig"
        return f"{m.group(0)} {tag}"
    return _MONEY.sub(size, text or "").lower()


@dataclass
class FeatureConfig:
    embedding_weight: float = 1.0
    char_weight: float = 1.0
    word_weight: float = 1.0
    char_range: tuple = (2, 5)
    word_range: tuple = (1, 2)
    min_df: int = 2
    max_features: int = 40000


@dataclass
class TextClassifier:
    """``multiclass``: one label per text; ``multilabel``: a 0/1 column per label."""
    labels: list[str]
    mode: str = "multiclass"
    C: float = 4.0
    features: FeatureConfig = field(default_factory=FeatureConfig)
    class_weight: str | None = "balanced"
    tol: float = 1e-4
    _char = None
    _word = None
    _models: list = field(default_factory=list)

    # -- features ------------------------------------------------------------------
    def _fit_vectorizers(self, texts: Sequence[str]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        f = self.features
        self._char = TfidfVectorizer(analyzer="char_wb", ngram_range=f.char_range, min_df=f.min_df,
                                     sublinear_tf=True, max_features=f.max_features, dtype=np.float32)
        self._word = TfidfVectorizer(analyzer="word", ngram_range=f.word_range, min_df=f.min_df, sublinear_tf=True,
                                     token_pattern=r"(?u)\b\w[\w'$]*\b", max_features=f.max_features,
                                     dtype=np.float32)
        prepared = [prepare(t) for t in texts]
        self._char.fit(prepared)
        self._word.fit(prepared)

    def featurize(self, texts: Sequence[str], embeddings: np.ndarray | None = None):
        from scipy import sparse

        f = self.features
        prepared = [prepare(t) for t in texts]
        blocks = []
        if f.embedding_weight:
            if embeddings is None:
                from bot.nlp.encoder import get_encoder

                embeddings = get_encoder().encode(texts)
            blocks.append(sparse.csr_matrix(np.asarray(embeddings, dtype=np.float32) * f.embedding_weight))
        if f.char_weight:
            blocks.append(self._char.transform(prepared) * f.char_weight)
        if f.word_weight:
            blocks.append(self._word.transform(prepared) * f.word_weight)
        return sparse.hstack(blocks, format="csr")

    # -- training and prediction ---------------------------------------------------------
    def fit(self, texts: Sequence[str], y, embeddings: np.ndarray | None = None, sample_weight=None):
        self._fit_vectorizers(texts)
        return self.fit_matrix(self.featurize(texts, embeddings), y, sample_weight)

    def fit_matrix(self, X, y, sample_weight=None):
        """Fit the regression on features already computed (cross-validation reuses them)."""
        from sklearn.linear_model import LogisticRegression

        y = np.asarray(y)
        if self.mode == "multiclass":
            # one-vs-rest with liblinear: as accurate as multinomial here, and faster on sparse data
            model = LogisticRegression(C=self.C, solver="liblinear", tol=self.tol, class_weight=self.class_weight)
            idx = np.array([self.labels.index(v) for v in y])
            model.fit(X, idx, sample_weight=sample_weight)
            self._models = [model]
        else:
            self._models = []
            for j in range(len(self.labels)):
                model = LogisticRegression(C=self.C, solver="liblinear", tol=self.tol, class_weight=self.class_weight)
                model.fit(X, y[:, j], sample_weight=sample_weight)
                self._models.append(model)
        return self

    def predict_proba(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        return self.proba_matrix(self.featurize(texts, embeddings))

    def proba_matrix(self, X) -> np.ndarray:
        if self.mode == "multiclass":
            model = self._models[0]
            out = np.zeros((X.shape[0], len(self.labels)), dtype=np.float32)
            out[:, model.classes_] = model.predict_proba(X)
            return out
        return np.stack([m.predict_proba(X)[:, 1] for m in self._models], axis=1)

    def held_out(self, texts: Sequence[str], y, folds: Sequence[np.ndarray],
                 embeddings: np.ndarray | None = None) -> np.ndarray:
        """Held-out probabilities: each fold predicted by a regression fitted on the others.
        The n-gram vocabulary is built once from all texts (it uses no labels)."""
        self._fit_vectorizers(texts)
        X = self.featurize(texts, embeddings)
        y = np.asarray(y)
        out = None
        for test in folds:
            train = np.setdiff1d(np.arange(len(texts)), test)
            part = self.fit_matrix(X[train], y[train]).proba_matrix(X[test])
            if out is None:
                out = np.zeros((len(texts), part.shape[1]), dtype=np.float32)
            out[test] = part
        return out

    # -- persistence -------------------------------------------------------------------
    def save(self, path: Path) -> None:
        import skops.io as sio

        state = {"labels": list(self.labels), "mode": self.mode, "C": self.C,
                 "features": vars(self.features).copy(), "class_weight": self.class_weight,
                 "char": self._char, "word": self._word, "models": list(self._models)}
        state["features"]["char_range"] = list(self.features.char_range)
        state["features"]["word_range"] = list(self.features.word_range)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        sio.dump(state, str(path))

    @classmethod
    def load(cls, path: Path) -> "TextClassifier":
        import skops.io as sio

        state = sio.load(str(path), trusted=TRUSTED)
        feats = dict(state["features"])
        feats["char_range"] = tuple(feats["char_range"])
        feats["word_range"] = tuple(feats["word_range"])
        clf = cls(labels=list(state["labels"]), mode=state["mode"], C=state["C"],
                  features=FeatureConfig(**feats), class_weight=state["class_weight"])
        clf._char, clf._word, clf._models = state["char"], state["word"], list(state["models"])
        return clf


# The only types a model file may contain (skops refuses anything else).
TRUSTED = [
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "numpy.float32", "numpy.float64", "numpy.int64", "builtins.slice", "scipy.sparse._csr.csr_matrix",
]
