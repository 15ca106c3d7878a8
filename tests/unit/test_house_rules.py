"""House rules from DESIGN.md that the code must keep."""

from __future__ import annotations

import re
import subprocess
import sys

from bot.paths import PROJECT_ROOT

IMPORT_RASA = re.compile(r"^\s*(from|import)\s+rasa(_sdk)?\b", re.M)


def test_bot_never_imports_rasa_in_source():
    offenders = [
        str(p.relative_to(PROJECT_ROOT))
        for p in (PROJECT_ROOT / "bot").rglob("*.py")
        if IMPORT_RASA.search(p.read_text())
    ]
    assert offenders == []


def test_importing_every_bot_module_loads_no_rasa():
    """In a fresh interpreter, so other tests' imports don't count."""
    code = (
        "import importlib, pkgutil, sys, bot\n"
        "for m in pkgutil.walk_packages(bot.__path__, 'bot.'):\n"
        "    if '.migrations' not in m.name: importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('rasa', 'rasa_sdk'))\n"
        "print(bad[:5]); sys.exit(1 if bad else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]


MAX_LINES = 400


def test_no_module_in_bot_or_actions_is_over_400_lines():
    """Issue 18: a module a newcomer can read in one sitting; split by concern past 400 lines."""
    long = {
        p.relative_to(PROJECT_ROOT).as_posix(): n
        for folder in ("bot", "actions")
        for p in sorted((PROJECT_ROOT / folder).rglob("*.py"))
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}, long


def test_actions_reach_the_database_only_through_a_service():
    """Issue 18: an action reads the tracker, calls one service function and turns its result
    into replies and events; no database session, query or ORM model in actions/."""
    import ast

    found = []
    for p in sorted((PROJECT_ROOT / "actions").glob("*.py")):
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "bot.store.access":
                # the access errors a service raises are fine to catch; nothing else from it
                errors = ("AccessDenied", "NotFound")
                found += [f"{p.name}: imports {a.name}" for a in node.names if a.name not in errors]
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                found += [f"{p.name}: imports {n}" for n in names if n.startswith(("bot.store", "sqlalchemy"))]
            elif isinstance(node, ast.Name) and node.id in ("session_scope", "select"):
                found.append(f"{p.name}:{node.lineno}: {node.id}")
    assert found == []
