"""Build an ONNX graph of a BERT sentence encoder from its safetensors weights.

The graph is BERT's forward pass (embeddings, self-attention, feed-forward, layer
norms) followed by sentence-transformers' pooling: mean over the attention mask,
then L2 normalisation. Inputs ``input_ids`` and ``attention_mask`` (int64, batch x
tokens); output ``embedding`` (float32, batch x hidden). Built once at install time
so that inference needs only onnxruntime (no TensorFlow, no torch). The test
tests/unit/test_encoder.py checks it against the reference similarity of the
upstream model.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def build_onnx(model_dir: Path, out: Path, weights: dict | None = None) -> None:
    """Write the graph for the model in ``model_dir`` (config.json, model.safetensors) to ``out``.
    ``weights`` (name -> array) replaces the file's weights, e.g. after fine-tuning."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    cfg = json.loads((Path(model_dir) / "config.json").read_text(encoding="utf-8"))
    if weights is None:
        from safetensors.numpy import load_file

        weights = load_file(str(Path(model_dir) / "model.safetensors"))
    heads, hidden = cfg["num_attention_heads"], cfg["hidden_size"]
    head_dim = hidden // heads
    eps = float(cfg.get("layer_norm_eps", 1e-12))
    inits, nodes = [], []
    counter = iter(range(1 << 30))

    def w(name: str) -> np.ndarray:
        return np.asarray(weights.get(name, weights.get("bert." + name)), dtype=np.float32)

    def const(value, dtype=np.float32) -> str:
        name = f"c{next(counter)}"
        inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def op(kind: str, inputs: list[str], out_name: str | None = None, **attrs) -> str:
        name = out_name or f"t{next(counter)}"
        nodes.append(helper.make_node(kind, inputs, [name], **attrs))
        return name

    def linear(x: str, prefix: str) -> str:
        return op(
            "Add", [op("MatMul", [x, const(np.ascontiguousarray(w(prefix + "weight").T))]), const(w(prefix + "bias"))]
        )

    def layer_norm(x: str, prefix: str) -> str:
        return op(
            "LayerNormalization", [x, const(w(prefix + "weight")), const(w(prefix + "bias"))], axis=-1, epsilon=eps
        )

    i64 = np.int64
    seq_len = op("Unsqueeze", [op("Gather", [op("Shape", ["input_ids"]), const(1, i64)], axis=0), const([0], i64)])
    positions = op(
        "Slice", [const(w("embeddings.position_embeddings.weight")), const([0], i64), seq_len, const([0], i64)]
    )
    x = op("Gather", [const(w("embeddings.word_embeddings.weight")), "input_ids"])
    x = op("Add", [op("Add", [x, positions]), const(w("embeddings.token_type_embeddings.weight")[0])])
    x = layer_norm(x, "embeddings.LayerNorm.")
    mask = op("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    # 0 for real tokens, -10000 for padding, broadcast over heads and query positions
    attn_bias = op("Unsqueeze", [op("Mul", [op("Sub", [const(1.0), mask]), const(-10000.0)]), const([1, 2], i64)])
    split_heads = const([0, 0, heads, head_dim], i64)
    merge_heads = const([0, 0, hidden], i64)
    scale = const(1.0 / np.sqrt(head_dim))
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}."

        def to_heads(t: str, perm: list[int]) -> str:
            return op("Transpose", [op("Reshape", [t, split_heads])], perm=perm)

        q = to_heads(linear(x, p + "attention.self.query."), [0, 2, 1, 3])
        k = to_heads(linear(x, p + "attention.self.key."), [0, 2, 3, 1])
        v = to_heads(linear(x, p + "attention.self.value."), [0, 2, 1, 3])
        scores = op("Softmax", [op("Add", [op("Mul", [op("MatMul", [q, k]), scale]), attn_bias])], axis=-1)
        context = op("Reshape", [op("Transpose", [op("MatMul", [scores, v])], perm=[0, 2, 1, 3]), merge_heads])
        x = layer_norm(
            op("Add", [linear(context, p + "attention.output.dense."), x]), p + "attention.output.LayerNorm."
        )
        h = linear(x, p + "intermediate.dense.")
        # exact GELU: 0.5 * h * (1 + erf(h / sqrt(2)))
        h = op(
            "Mul",
            [op("Mul", [h, const(0.5)]), op("Add", [op("Erf", [op("Div", [h, const(np.sqrt(2.0))])]), const(1.0)])],
        )
        x = layer_norm(op("Add", [linear(h, p + "output.dense."), x]), p + "output.LayerNorm.")
    mask3 = op("Unsqueeze", [mask, const([2], i64)])
    summed = op("ReduceSum", [op("Mul", [x, mask3]), const([1], i64)], keepdims=0)
    count = op("ReduceSum", [mask3, const([1], i64)], keepdims=0)
    op("LpNormalization", [op("Div", [summed, count])], "embedding", axis=-1, p=2)

    graph = helper.make_graph(
        nodes,
        "sentence_encoder",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", hidden])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="peerscope")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(out))
