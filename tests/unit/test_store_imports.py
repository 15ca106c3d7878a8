"""The store owns tables and queries and imports nothing from the features: a feature's
rules reach it as arguments from the feature's service (bot/<feature>/service.py)."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.paths import PROJECT_ROOT

FEATURES = ("bot.notes", "bot.wrsp", "bot.onboarding", "bot.review", "bot.safety")
STORE = PROJECT_ROOT / "bot" / "store"


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import in the file, at any depth (function bodies too);
    ``from bot import wrsp`` counts as ``bot.wrsp``."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
            out += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            out.append((node.lineno, str(node.args[0].value)))
    return out


def feature_imports(path: Path) -> list[str]:
    return [
        f"{path.relative_to(PROJECT_ROOT)}:{line} imports {module}"
        for line, module in imported_modules(path)
        if any(module == f or module.startswith(f + ".") for f in FEATURES)
    ]


def test_the_store_imports_no_feature():
    files = sorted(STORE.rglob("*.py"))
    assert len(files) > 10  # the store is where we think it is
    assert [bad for path in files for bad in feature_imports(path)] == []


def test_the_check_sees_every_kind_of_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import bot.notes.risk\nfrom bot import wrsp\n"
        "def f():\n    from bot.onboarding.content import load\n"
        "    importlib.import_module('bot.review.service')\n"
        "from bot.store import audit\nfrom bot.wrspx import y\n"
    )
    found = [m for _, m in imported_modules(sample) if any(m == f or m.startswith(f + ".") for f in FEATURES)]
    assert found == [
        "bot.notes.risk",
        "bot.wrsp",
        "bot.onboarding.content",
        "bot.onboarding.content.load",
        "bot.review.service",
    ]
