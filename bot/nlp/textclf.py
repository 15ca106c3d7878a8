"""Linear text classifiers over the shared encoder, with character and word n-grams.

Features of a text: its sentence embedding (bot.nlp.encoder), and TF-IDF of its
character n-grams (within words) and word uni/bigrams. The n-grams carry what a
sentence embedding blurs: negation ("did not drive"), exact words and numbers.
A logistic regression (one per label for ``multilabel``) is trained on top.
Models are saved as plain arrays (no pickle), so loading a model file cannot run code.
"""

from __future__ import annotations

import json
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
    def _vectorizers(self, char_vocab: dict | None = None, word_vocab: dict | None = None):
        """The (character, word) TF-IDF vectorizers this classifier uses (None when its
        weight is 0); with vocabularies, as they were fitted."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        f = self.features
        char = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=f.char_range,
            min_df=f.min_df,
            sublinear_tf=True,
            max_features=f.max_features,
            dtype=np.float32,
            vocabulary=char_vocab,
        )
        word = TfidfVectorizer(
            analyzer="word",
            ngram_range=f.word_range,
            min_df=f.min_df,
            sublinear_tf=True,
            token_pattern=r"(?u)\b\w[\w'$]*\b",
            max_features=f.max_features,
            dtype=np.float32,
            vocabulary=word_vocab,
        )
        return (char if f.char_weight else None), (word if f.word_weight else None)

    def _fit_vectorizers(self, texts: Sequence[str]) -> None:
        self._char, self._word = self._vectorizers()
        prepared = [prepare(t) for t in texts]
        for vec in (self._char, self._word):
            if vec is not None:
                vec.fit(prepared)
                vec.stop_words_ = None  # every term cut by min_df/max_features: only for introspection

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
        if self._char is not None:
            blocks.append(self._char.transform(prepared) * f.char_weight)
        if self._word is not None:
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

    def held_out(
        self, texts: Sequence[str], y, folds: Sequence[np.ndarray], embeddings: np.ndarray | None = None
    ) -> np.ndarray:
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
        """One .npz of plain arrays (no pickle: loading a model file cannot run code):
        the settings as JSON, each n-gram vocabulary with its IDF weights, and each
        regression's coefficients."""
        import json

        settings = {
            "labels": [_plain(v) for v in self.labels],
            "mode": self.mode,
            "C": self.C,
            "features": vars(self.features).copy(),
            "class_weight": self.class_weight,
            "models": len(self._models),
        }
        arrays = {"settings": np.array(json.dumps(settings))}
        for name, vec in (("char", self._char), ("word", self._word)):
            if vec is not None:
                terms = sorted(vec.vocabulary_, key=vec.vocabulary_.get)
                arrays[f"{name}_terms"] = np.array(terms, dtype=str)
                arrays[f"{name}_idf"] = vec.idf_.astype(np.float64)
        for i, m in enumerate(self._models):
            arrays[f"coef_{i}"], arrays[f"intercept_{i}"], arrays[f"classes_{i}"] = m.coef_, m.intercept_, m.classes_
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            np.savez(fh, **arrays)

    @classmethod
    def load(cls, path: Path) -> "TextClassifier":
        import json

        from sklearn.linear_model import LogisticRegression

        with np.load(path, allow_pickle=False) as data:
            settings = json.loads(str(data["settings"]))
            feats = dict(settings["features"])
            feats["char_range"], feats["word_range"] = tuple(feats["char_range"]), tuple(feats["word_range"])
            clf = cls(
                labels=list(settings["labels"]),
                mode=settings["mode"],
                C=settings["C"],
                features=FeatureConfig(**feats),
                class_weight=settings["class_weight"],
            )
            vocab = {
                name: {t: i for i, t in enumerate(data[f"{name}_terms"].tolist())}
                for name in ("char", "word")
                if f"{name}_terms" in data
            }
            clf._char, clf._word = clf._vectorizers(vocab.get("char"), vocab.get("word"))
            for name, vec in (("char", clf._char), ("word", clf._word)):
                if vec is not None:
                    vec.idf_ = data[f"{name}_idf"]
            clf._models = []
            for i in range(settings["models"]):
                m = LogisticRegression(C=clf.C, solver="liblinear", class_weight=clf.class_weight)
                m.coef_, m.intercept_, m.classes_ = data[f"coef_{i}"], data[f"intercept_{i}"], data[f"classes_{i}"]
                clf._models.append(m)
        return clf


def _plain(value):
    """Labels as JSON values (numpy integers become int)."""
    return value.item() if isinstance(value, np.generic) else value


def write_meta(directory: Path, meta: dict) -> None:
    """A model directory's meta.json, with the tag of the encoder whose vectors it learned from."""
    from bot.nlp.weights import encoder_tag

    meta = dict(meta, encoder=encoder_tag())
    (Path(directory) / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


def read_meta(directory: Path, fmt: int, what: str) -> dict:
    """A model directory's meta.json, refused when another version of the code wrote it or
    it learned from another encoder's vectors."""
    from bot.nlp.weights import encoder_tag

    meta = json.loads((Path(directory) / "meta.json").read_text(encoding="utf-8"))
    if meta.get("format") != fmt:
        raise ValueError(f"the {what} model was trained by another version; run `peerscope train`")
    try:
        current = encoder_tag()
    except OSError:
        current = None
    if meta.get("encoder") != current:
        raise ValueError(f"the {what} model was trained with another sentence encoder; run `peerscope train`")
    return meta
