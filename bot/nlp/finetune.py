"""Fine-tune the top layers of the sentence encoder on labelled example banks.

Used at train time (`peerscope train`) for the note checker and the risk check: the
frozen encoder blurs exactly the differences those tasks turn on (who did it, whether
it is current, whether it was declined), and fine-tuning on the banks sharpens them.

The BERT forward pass is written here in TensorFlow from the same safetensors weights
the ONNX graph is built from (bot/nlp/onnx_build.py), so no model code is downloaded
or imported from elsewhere. The lower layers stay frozen: their outputs are computed
once per example and cached, and only the top ``train_layers`` layers and a linear
head are trained. The tuned weights are written back as a new ONNX graph (same
tokenizer), which bot/nlp/encoder.Encoder loads like the base model.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from bot.nlp.weights import MANIFEST, ONNX_NAME, encoder_dir, sha256_of, verify

MAX_TOKENS = 64


def _tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    return tf


def _weights(directory: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    raw = load_file(str(directory / "model.safetensors"))
    return {k[5:] if k.startswith("bert.") else k: np.asarray(v, dtype=np.float32) for k, v in raw.items()}


class _Layer:
    """One BERT encoder layer as TF variables, initialised from the weights."""

    NAMES = ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
             "intermediate.dense", "output.dense")
    NORMS = ("attention.output.LayerNorm", "output.LayerNorm")

    def __init__(self, tf, weights: dict, index: int, heads: int, trainable: bool):
        self.tf, self.heads, self.prefix = tf, heads, f"encoder.layer.{index}."
        self.vars: dict[str, object] = {}
        for name in self.NAMES:
            self.vars[name + ".weight"] = tf.Variable(weights[self.prefix + name + ".weight"].T, trainable=trainable)
            self.vars[name + ".bias"] = tf.Variable(weights[self.prefix + name + ".bias"], trainable=trainable)
        for name in self.NORMS:
            self.vars[name + ".weight"] = tf.Variable(weights[self.prefix + name + ".weight"], trainable=trainable)
            self.vars[name + ".bias"] = tf.Variable(weights[self.prefix + name + ".bias"], trainable=trainable)

    def _dense(self, x, name):
        return self.tf.matmul(x, self.vars[name + ".weight"]) + self.vars[name + ".bias"]

    def _norm(self, x, name):
        tf = self.tf
        mean, var = tf.nn.moments(x, axes=[-1], keepdims=True)
        return (x - mean) * tf.math.rsqrt(var + 1e-12) * self.vars[name + ".weight"] + self.vars[name + ".bias"]

    def __call__(self, x, bias):
        tf = self.tf
        batch, width = tf.shape(x)[0], tf.shape(x)[1]
        hidden = x.shape[-1]
        size = hidden // self.heads

        def split(t):
            return tf.transpose(tf.reshape(t, (batch, width, self.heads, size)), (0, 2, 1, 3))

        q = split(self._dense(x, "attention.self.query"))
        k = split(self._dense(x, "attention.self.key"))
        v = split(self._dense(x, "attention.self.value"))
        scores = tf.nn.softmax(tf.matmul(q, k, transpose_b=True) / float(np.sqrt(size)) + bias, axis=-1)
        context = tf.reshape(tf.transpose(tf.matmul(scores, v), (0, 2, 1, 3)), (batch, width, hidden))
        x = self._norm(self._dense(context, "attention.output.dense") + x, "attention.output.LayerNorm")
        h = self._dense(x, "intermediate.dense")
        h = 0.5 * h * (1.0 + tf.math.erf(h / float(np.sqrt(2.0))))
        return self._norm(self._dense(h, "output.dense") + x, "output.LayerNorm")

    def export(self) -> dict[str, np.ndarray]:
        out = {}
        for name, var in self.vars.items():
            dense_weight = name.endswith(".weight") and name.rsplit(".", 1)[0] in self.NAMES
            out[self.prefix + name] = var.numpy().T if dense_weight else var.numpy()
        return out


def _embed(weights: dict, ids: np.ndarray) -> np.ndarray:
    x = weights["embeddings.word_embeddings.weight"][ids] + weights["embeddings.position_embeddings.weight"][
        : ids.shape[1]][None] + weights["embeddings.token_type_embeddings.weight"][0][None, None]
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return ((x - mean) / np.sqrt(var + 1e-12) * weights["embeddings.LayerNorm.weight"]
            + weights["embeddings.LayerNorm.bias"]).astype(np.float32)


def finetune(texts: Sequence[str], y: np.ndarray, known: np.ndarray, out_dir: Path, *, train_layers: int = 3,
             epochs: int = 3, batch_size: int = 32, lr: float = 5e-5, seed: int = 0,
             echo: Callable[[str], None] = print) -> Path:
    """Fine-tune on multi-label targets ``y`` (n x tasks, 0/1); ``known`` (n x tasks) is 1
    where a label is known (a risk line says nothing about note categories). Writes an
    encoder directory (ONNX graph, tokenizer, manifest) to ``out_dir``."""
    tf = _tf()
    from tokenizers import Tokenizer

    base = encoder_dir()
    verify(base)
    config = json.loads((base / "config.json").read_text(encoding="utf-8"))
    heads, n_layers = config["num_attention_heads"], config["num_hidden_layers"]
    frozen_n = n_layers - train_layers
    weights = _weights(base)
    tf.keras.utils.set_random_seed(seed)
    tokenizer = Tokenizer.from_file(str(base / "tokenizer.json"))
    tokenizer.enable_truncation(MAX_TOKENS)
    encodings = [e.ids for e in tokenizer.encode_batch(list(texts))]
    frozen = [_Layer(tf, weights, i, heads, trainable=False) for i in range(frozen_n)]
    top = [_Layer(tf, weights, i, heads, trainable=True) for i in range(frozen_n, n_layers)]
    started = time.monotonic()

    # lower layers once: cache each example's hidden states after the frozen layers
    order = np.argsort([len(e) for e in encodings])
    cached: list[np.ndarray] = [None] * len(encodings)  # type: ignore[list-item]
    for start in range(0, len(order), 64):
        chunk = order[start:start + 64]
        ids, mask = _pad([encodings[i] for i in chunk])
        x = tf.constant(_embed(weights, ids))
        bias = tf.constant(((1.0 - mask) * -10000.0)[:, None, None, :].astype(np.float32))
        for layer in frozen:
            x = layer(x, bias)
        x = x.numpy()
        for row, i in enumerate(chunk):
            cached[i] = x[row, : len(encodings[i])]
    echo(f"  encoder fine-tuning: frozen layers cached for {len(texts)} examples "
         f"({time.monotonic() - started:.0f} s)")

    tasks = y.shape[1]
    head_w = tf.Variable(tf.random.normal((config["hidden_size"], tasks), stddev=0.02, seed=seed))
    head_b = tf.Variable(tf.zeros((tasks,)))
    body_vars = [v for layer in top for v in layer.vars.values()]
    opt_body = tf.keras.optimizers.Adam(lr)
    opt_head = tf.keras.optimizers.Adam(1e-3)
    pos = np.clip(y * known, 0, 1).sum(0)
    neg = np.clip((1 - y) * known, 0, 1).sum(0)
    pos_weight = tf.constant(np.clip(neg / np.maximum(pos, 1), 0.5, 4.0).astype(np.float32))

    @tf.function(input_signature=[tf.TensorSpec((None, None, config["hidden_size"]), tf.float32),
                                  tf.TensorSpec((None, None), tf.float32),
                                  tf.TensorSpec((None, tasks), tf.float32), tf.TensorSpec((None, tasks), tf.float32)])
    def step(x, mask, target, weight):
        with tf.GradientTape() as tape:
            bias = ((1.0 - mask) * -10000.0)[:, None, None, :]
            h = x
            for layer in top:
                h = layer(h, bias)
            pooled = tf.reduce_sum(h * mask[..., None], 1) / tf.reduce_sum(mask, 1, keepdims=True)
            pooled = tf.math.l2_normalize(pooled, axis=1)
            logits = tf.matmul(pooled * 10.0, head_w) + head_b
            losses = tf.nn.weighted_cross_entropy_with_logits(target, logits, pos_weight)
            loss = tf.reduce_sum(losses * weight) / tf.maximum(tf.reduce_sum(weight), 1.0)
        grads = tape.gradient(loss, body_vars + [head_w, head_b])
        opt_body.apply_gradients(zip(grads[:-2], body_vars))
        opt_head.apply_gradients(zip(grads[-2:], [head_w, head_b]))
        return loss

    rng = np.random.default_rng(seed)
    lengths = np.array([len(e) for e in encodings])
    for epoch in range(epochs):
        # batches of similar length (less padding), in random order
        order = np.argsort(lengths + rng.random(len(lengths)) * 4)
        batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
        rng.shuffle(batches)
        total = 0.0
        for chunk in batches:
            width = max(len(cached[i]) for i in chunk)
            x = np.zeros((len(chunk), width, config["hidden_size"]), dtype=np.float32)
            mask = np.zeros((len(chunk), width), dtype=np.float32)
            for row, i in enumerate(chunk):
                x[row, : len(cached[i])] = cached[i]
                mask[row, : len(cached[i])] = 1.0
            total += float(step(x, mask, y[chunk].astype(np.float32), known[chunk].astype(np.float32)))
        echo(f"  encoder fine-tuning: epoch {epoch + 1}/{epochs}, loss {total / len(batches):.4f} "
             f"({time.monotonic() - started:.0f} s)")

    merged = dict(weights)
    for layer in top:
        merged.update(layer.export())
    return write_encoder(merged, out_dir)


def write_encoder(weights: dict[str, np.ndarray], out_dir: Path) -> Path:
    """An encoder directory (ONNX graph built from ``weights``, the base tokenizer and
    config, and a manifest of hashes) that bot.nlp.encoder.Encoder can load."""
    from bot.nlp.onnx_build import build_onnx

    base = encoder_dir()
    out_dir = Path(out_dir)
    staging = out_dir.with_name(out_dir.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name in ("tokenizer.json", "config.json"):
        shutil.copyfile(base / name, staging / name)
    build_onnx(base, staging / ONNX_NAME, weights=weights)
    files = {name: sha256_of(staging / name) for name in (ONNX_NAME, "tokenizer.json", "config.json")}
    (staging / MANIFEST).write_text(json.dumps({"base": "all-minilm-l6-v2 (fine-tuned)", "files": files},
                                               indent=2) + "\n", encoding="utf-8")
    shutil.rmtree(out_dir, ignore_errors=True)
    staging.rename(out_dir)
    return out_dir


def _pad(seqs: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    width = max(len(s) for s in seqs)
    ids = np.zeros((len(seqs), width), dtype=np.int64)
    mask = np.zeros((len(seqs), width), dtype=np.float32)
    for row, s in enumerate(seqs):
        ids[row, : len(s)] = s
        mask[row, : len(s)] = 1.0
    return ids, mask
