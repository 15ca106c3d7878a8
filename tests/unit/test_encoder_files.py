"""The sentence encoder's files: pinned hashes checked before every load, a changed or
missing file refused with a one-line message (on a copy: the real files are untouched)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.nlp.encoder import Encoder
from bot.nlp.weights import PINNED, ModelFileError, encoder_dir, verify


@pytest.fixture
def copy(tmp_path):
    target = tmp_path / "encoder"
    shutil.copytree(encoder_dir(), target)
    return target


def test_installed_files_match_the_pins():
    manifest = verify()
    assert manifest["package"]
    assert PINNED["model.safetensors"] == "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
    assert PINNED["tokenizer.json"] == "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"


def test_a_corrupted_weight_file_is_refused(copy):
    with open(copy / "model.safetensors", "r+b") as fh:
        fh.seek(1000)
        fh.write(b"\x00\x01\x02\x03")
    with pytest.raises(ModelFileError) as err:
        Encoder(copy)
    message = str(err.value)
    assert "model.safetensors" in message and "pinned sha256" in message and "\n" not in message


def test_a_missing_tokenizer_is_refused(copy):
    (copy / "tokenizer.json").unlink()
    with pytest.raises(ModelFileError, match="tokenizer.json is missing"):
        Encoder(copy)


def test_the_cli_says_so_in_one_line(copy, tmp_path):
    (copy / "tokenizer.json").write_text("{}")
    env = {"PEERSCOPE_MODELS_DIR": str(copy.parent), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "models", "verify"],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).parents[2],
    )
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "tokenizer.json" in lines[0], result.stderr


SENTENCES = [
    "The new movie is awesome",
    "The new movie is so great",
    "can I give the mom I work with a ride to her son's IEP meeting?",
    "Writer picked up member's refill at Walgreens.",
    "she said she has the pills counted out and wrote letters to her kids",
    "Mbr declined the gift card; we talked about boundaries instead.",
]


@pytest.fixture(scope="module")
def float_dir(tmp_path_factory):
    """The encoder's graph with float weights, built from the pinned files (no manifest pins)."""
    from bot.nlp.onnx_build import build_onnx

    target = tmp_path_factory.mktemp("float")
    build_onnx(encoder_dir(), target / "encoder.onnx")
    for name in ("tokenizer.json", "config.json"):
        shutil.copy(encoder_dir() / name, target / name)
    (target / "manifest.json").write_text('{"files": {}}')
    return target


def test_the_float_graph_matches_the_upstream_model(float_dir):
    """The graph built from the pinned weights gives the upstream model's similarity."""
    a, b = Encoder(float_dir).encode(SENTENCES[:2])
    assert abs(float(a @ b) - 0.894) < 0.01


def test_the_int8_encoder_stays_close_to_the_float_graph(float_dir):
    """The installed encoder (int8 weights) gives nearly the float graph's vectors."""
    exact = Encoder(float_dir).encode(SENTENCES)
    int8 = Encoder().encode(SENTENCES)
    assert (exact * int8).sum(axis=1).min() >= 0.97
    a, b = int8[:2]
    assert abs(float(a @ b) - 0.894) < 0.03


def test_an_encoder_of_an_older_build_is_refused(copy):
    import json

    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["build"] = "onnx-float32"
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelFileError, match="older PeerScope"):
        Encoder(copy)
