"""Benchmark bringing your own policies: adding a long PDF, and `peerscope ask` before and after.

    PYTHONPATH=. .venv/bin/python scripts/bench_knowledge.py [--pages 200] [--runs 3]

Works on a copy of knowledge/ and a var/ of its own in a temporary directory (nothing in
the project changes). Builds a PDF of --pages pages (numbered sections; sentences drawn
from the five policy documents), then measures:

- `peerscope knowledge add big.pdf --yes`: wall time, as a separate process;
- `peerscope ask QUESTION --json` as a separate process (what a user waits for), median of
  --runs, for a question a rule answers and one no rule answers, without and with the added
  document (two copies of knowledge/, asked in turn so that the load other work puts on the
  machine falls on both alike);
- the same answers inside one warm process (what the chat server spends per message).

Prints the figures; asserts nothing. The targets: adding under a minute, and asking no
more than 20% slower.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

QUESTIONS = {
    "rule": "Can I drive my client to the doctor in my own car?",
    "no rule": "What is the mileage reimbursement rate for home visits?",
}
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


def sentences() -> list[str]:
    from bot.knowledge.sources import load_sources

    out = []
    for src in load_sources(ROOT / "knowledge" / "sources").values():
        for sec in src.sections:
            out += [s for s in re.split(r"(?<=[.;])\s+", sec.plain) if len(s.split()) >= 6]
    return out


def build_pdf(path: Path, pages: int, seed: int = 0) -> int:
    """A long policy manual: numbered chapter and section headings, paragraphs of 4-9
    sentences. Returns the number of pages written."""
    from fpdf import FPDF

    rng = random.Random(seed)
    pool = sentences()
    pdf = FPDF()
    pdf.set_auto_page_break(True, margin=15)
    if FONT.is_file() and BOLD.is_file():
        pdf.add_font("Body", "", str(FONT))
        pdf.add_font("Body", "B", str(BOLD))
        family, clean = "Body", str
    else:
        family = "Helvetica"
        clean = lambda t: t.encode("latin-1", "replace").decode("latin-1")  # noqa: E731
    pdf.add_page()
    chapter = 0
    while pdf.page_no() < pages or pdf.get_y() < 250:
        chapter += 1
        pdf.set_font(family, "B", 13)
        pdf.multi_cell(
            0,
            8,
            f"{chapter}. {clean(rng.choice(pool).split(',')[0][:50].strip(' .;:').title())}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        for part in range(1, rng.randint(3, 6)):
            pdf.set_font(family, "B", 11)
            title = " ".join(rng.choice(pool).split()[:5]).strip(" .;:,").title()
            pdf.multi_cell(0, 7, f"{chapter}.{part} {clean(title)}", new_x="LMARGIN", new_y="NEXT")
            pdf.set_font(family, "", 10)
            for _ in range(rng.randint(2, 4)):
                pdf.multi_cell(
                    0, 5, clean(" ".join(rng.sample(pool, rng.randint(4, 9)))), new_x="LMARGIN", new_y="NEXT"
                )
                pdf.ln(2)
            if pdf.page_no() >= pages and pdf.get_y() > 200:
                break
    pdf.output(str(path))
    return pdf.page_no()


def run(env: dict, *args: str) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "bot.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"peerscope {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return elapsed


def ask_times(envs: list[dict], runs: int) -> list[dict[str, float]]:
    """Median `peerscope ask` time per question for each environment, asked in turn."""
    times: list[dict[str, list[float]]] = [{k: [] for k in QUESTIONS} for _ in envs]
    for env in envs:
        run(env, "ask", "warm up the caches", "--json")
    for _ in range(runs):
        for kind, q in QUESTIONS.items():
            for n, env in enumerate(envs):
                times[n][kind].append(run(env, "ask", q, "--json"))
    return [{k: statistics.median(v) for k, v in t.items()} for t in times]


def warm_times(env: dict, runs: int) -> dict[str, float]:
    """Per-answer time inside one process after warm-up (as the chat server answers)."""
    code = (
        "import json, sys, time\n"
        "from bot.knowledge.engine import get_engine\n"
        "e = get_engine(); qs = json.loads(sys.argv[1]); n = int(sys.argv[2])\n"
        "for q in qs.values(): e.answer(q)\n"
        "out = {}\n"
        "for k, q in qs.items():\n"
        "    t = time.perf_counter()\n"
        "    for _ in range(n): e.answer(q)\n"
        "    out[k] = (time.perf_counter() - t) / n\n"
        "print(json.dumps(out))\n"
    )
    import json

    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(QUESTIONS), str(max(5, runs * 3))],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5, help="repetitions per `peerscope ask` figure (median)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="peerscope-bench-"))
    try:
        envs = []
        for name in ("without", "with"):
            shutil.copytree(ROOT / "knowledge", tmp / name / "knowledge")
            envs.append(
                dict(
                    os.environ,
                    PEERSCOPE_KNOWLEDGE_DIR=str(tmp / name / "knowledge"),
                    PEERSCOPE_VAR_DIR=str(tmp / name / "var"),
                    PEERSCOPE_DATABASE_URL=f"sqlite:///{tmp / name / 'peerscope.db'}",
                    PYTHONPATH=str(ROOT),
                    RASA_TELEMETRY_ENABLED="false",
                )
            )
        env = envs[1]
        pdf = tmp / "agency-manual.pdf"
        t = time.perf_counter()
        pages = build_pdf(pdf, args.pages)
        print(
            f"built a {pages}-page PDF ({pdf.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.0f} s "
            f"(not part of the figures)",
            flush=True,
        )

        added = run(
            env,
            "knowledge",
            "add",
            str(pdf),
            "--id",
            "agency-manual",
            "--title",
            "Agency manual",
            "--program",
            "both",
            "--yes",
        )
        from bot.knowledge.sources import parse_source

        src = parse_source((tmp / "with" / "knowledge" / "sources" / "agency-manual.md").read_text(encoding="utf-8"))
        words = sum(len(s.plain.split()) for s in src.sections)
        before, after = ask_times(envs, args.runs)
        warm_before, warm_after = warm_times(envs[0], args.runs), warm_times(envs[1], args.runs)

        print(
            f"\nknowledge add, {pages} pages ({words} words, {len(src.sections)} sections): {added:.1f} s"
            f"  (target: under 60 s)"
        )
        print("peerscope ask, one process per question (median of %d):" % args.runs)
        for kind in QUESTIONS:
            change = (after[kind] / before[kind] - 1) * 100
            print(
                f"  {kind:<8} without {before[kind]:.2f} s   with {after[kind]:.2f} s   {change:+.0f}%"
                f"  (target: at most +20%)"
            )
        print("answer time inside a warm process (the chat server):")
        for kind in QUESTIONS:
            change = (warm_after[kind] / warm_before[kind] - 1) * 100
            print(
                f"  {kind:<8} without {warm_before[kind] * 1000:.0f} ms  with {warm_after[kind] * 1000:.0f} ms  "
                f"{change:+.0f}%"
            )
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
