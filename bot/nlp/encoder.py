"""The shared sentence encoder: all-MiniLM-L6-v2 on onnxruntime, loaded once per process.

    from bot.nlp.encoder import get_encoder
    vectors = get_encoder().encode(["can I give my client a ride?"])   # (1, 384), unit length

Files are checked against their pinned sha256 before the model is loaded
(bot/nlp/weights.py); a mismatch raises ``ModelFileError`` with a one-line reason.
One intra-op thread by default (``PEERSCOPE_ENCODER_THREADS``): the servers run
several processes on few cores. Texts are never logged.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import Sequence

import numpy as np

from bot.nlp.weights import ONNX_NAME, ModelFileError, encoder_dir, verify

MAX_TOKENS = 256
CACHE_SIZE = 2048
CACHE_VERSION = "single"  # how encode_cached's vectors were computed (one text per run)


def encoder_threads(env=None) -> int:
    """PEERSCOPE_ENCODER_THREADS (default 1); bot.settings.SettingError if not a whole number >= 1."""
    from bot.settings import load

    return load(env).encoder_threads


class Encoder:
    def __init__(self, directory: Path | None = None, threads: int | None = None):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.directory = Path(directory or encoder_dir())
        verify(self.directory)
        self.tokenizer = Tokenizer.from_file(str(self.directory / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or encoder_threads()
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(
            str(self.directory / ONNX_NAME), options, providers=["CPUExecutionProvider"]
        )
        self.dim = int(self.session.get_outputs()[0].shape[-1])
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def _run(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), width), dtype=np.int64)
        mask = np.zeros((len(texts), width), dtype=np.int64)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
        return self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]

    def encode(self, texts: Sequence[str], batch_size: int = 1) -> np.ndarray:
        """Unit-length embeddings, one row per text (empty text gives the [CLS]/[SEP] vector).
        One text per run by default: the int8 graph quantises activations over the whole
        batch, so a text's vector would depend on its neighbours (cosine 0.99); alone, it is
        a function of the text, the same in training and in use, and with no padding a
        note's sentences are also faster (26 against 32 ms for 22 sentences)."""
        texts = [t if isinstance(t, str) else "" for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        todo: dict[str, list[int]] = {}
        with self._lock:
            for i, text in enumerate(texts):
                hit = self._cache.get(text)
                if hit is not None:
                    self._cache.move_to_end(text)
                    out[i] = hit
                else:
                    todo.setdefault(text, []).append(i)
        unique = sorted(todo, key=len)  # similar lengths share a batch: less padding
        for start in range(0, len(unique), batch_size):
            chunk = unique[start : start + batch_size]
            vectors = self._run(chunk)
            with self._lock:
                for text, vec in zip(chunk, vectors):
                    for i in todo[text]:
                        out[i] = vec
                    self._cache[text] = vec
                    if len(self._cache) > CACHE_SIZE:
                        self._cache.popitem(last=False)
        return out


_shared: Encoder | None = None
_shared_lock = threading.Lock()


def get_encoder() -> Encoder:
    """The process's encoder (verified and loaded on first use, about half a second)."""
    global _shared
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                _shared = Encoder()
    return _shared


__all__ = ["Encoder", "ModelFileError", "get_encoder"]


def encode_cached(texts: Sequence[str], cache_file: Path | None = None) -> np.ndarray:
    """Embeddings for many texts (training), reusing those computed before for the same
    encoder files. The cache holds vectors keyed by a hash of each text, never the text."""
    import hashlib

    from bot.nlp.weights import encoder_tag
    from bot.paths import var_dir

    encoder = get_encoder()
    tag = encoder_tag(encoder.directory)
    cache_file = cache_file or var_dir() / "cache" / f"embeddings-{tag}-{CACHE_VERSION}.npz"
    keys = [hashlib.sha256(t.encode("utf-8")).hexdigest()[:32] for t in texts]
    known: dict[str, np.ndarray] = {}
    if cache_file.is_file():
        with np.load(cache_file) as data:
            known = dict(zip(data["keys"].tolist(), data["vectors"]))
    missing = sorted({k: t for k, t in zip(keys, texts) if k not in known}.items())
    if missing:
        vectors = encoder.encode([t for _, t in missing])
        known.update({k: v for (k, _), v in zip(missing, vectors)})
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(list(known)), vectors=np.stack(list(known.values())))
        tmp.replace(cache_file)
    return np.stack([known[k] for k in keys]).astype(np.float32)
