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


def test_the_encoder_works_on_the_verified_files():
    a, b = Encoder().encode(["The new movie is awesome", "The new movie is so great"])
    assert abs(float(a @ b) - 0.894) < 0.01
