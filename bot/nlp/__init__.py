"""Shared language understanding: the sentence encoder and the trained classifiers.

``bot.nlp.encoder.get_encoder()`` is the one encoder of a process (all-MiniLM-L6-v2,
run offline with onnxruntime, files verified by sha256 before use). The policy
engine, the note checker and the risk check all embed text through it.
"""
