"""COVERAGE.md accounts for every line of every slide, and is current.

The data is in tools/slide_coverage.py.  Every named test function and erratum must exist, every
erratum of ERRATA.md must be placed on a slide line, and, where the slides' text is available
(a copy in ``tests/data/slides/``, checked against ``../shared/seed/*.txt`` or ``$LECTURE_SEED`` where that is
present), every non-empty slide line must be accounted for, in slide order.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load():
    spec = importlib.util.spec_from_file_location("slide_coverage", ROOT / "tools" / "slide_coverage.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


COV = _load()
ERRATA_IDS = re.findall(r"^\| (E\d\d\.\d+) \|", (ROOT / "ERRATA.md").read_text(encoding="utf-8"), re.M)


# A copy of the slides' text (the lecture's seed), so that this check runs in every checkout and in CI;
# where the original is beside the repository (../shared/seed) or named by $LECTURE_SEED, the copy must equal it.
COPY = ROOT / "tests" / "data" / "slides"
ORIGINAL = Path(os.environ.get("LECTURE_SEED", ROOT.parent / "shared" / "seed"))


def _texts(folder: Path) -> dict[str, str]:
    return {f.name: f.read_text(encoding="utf-8") for f in sorted(folder.glob("*.txt"))} if folder.is_dir() else {}


def _seed_lines():
    files = _texts(COPY)
    assert files, f"the copy of the slides' text is missing from {COPY}"
    return [line.strip() for text in files.values() for line in text.splitlines() if line.strip()]


def test_copy_of_the_slides_is_the_original():
    original = _texts(ORIGINAL)
    if not original:
        pytest.skip(f"the original slides' text is not beside this checkout ({ORIGINAL}); the copy is used")
    assert _texts(COPY) == original, f"{COPY} differs from {ORIGINAL}: copy the slides' text again"


def test_coverage_md_is_current():
    assert (ROOT / "COVERAGE.md").read_text(encoding="utf-8") == COV.render(), \
        "COVERAGE.md is stale: run `python tools/slide_coverage.py`"


def test_every_named_test_and_erratum_exists():
    functions = {}
    for *_, verdicts in COV.items():
        for kind, what in verdicts:
            assert kind in {"verified", "erratum", "not checkable"}
            if kind == "verified":
                for node in what:
                    path, name = node.split("::")
                    if path not in functions:
                        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
                        functions[path] = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
                    assert name in functions[path], node
            elif kind == "erratum":
                assert set(what) <= set(ERRATA_IDS), what
            else:
                assert what[0].strip(), "a 'not checkable' verdict needs its reason"


def test_every_erratum_is_placed_on_a_slide_line():
    placed = {i for *_, verdicts in COV.items() for kind, what in verdicts if kind == "erratum" for i in what}
    assert placed == set(ERRATA_IDS)


def test_every_slide_line_is_accounted_for_in_order():
    expected = []
    for title, entries in COV.SLIDES:
        expected.append(("title", title))
        expected += [("item", key) for key, *_ in entries]
    lines = _seed_lines()
    assert len(lines) == len(expected), f"{len(lines)} slide lines, {len(expected)} titles and items"
    for line, (kind, text) in zip(lines, expected, strict=True):
        if kind == "title":
            assert line.startswith("#") and line.lstrip("#").strip() == text, (line, text)
        else:
            assert text in line, (line[:100], text)


def test_the_documented_command_regenerates_the_same_file():
    before = (ROOT / "COVERAGE.md").read_bytes()
    done = subprocess.run([sys.executable, "tools/slide_coverage.py"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (ROOT / "COVERAGE.md").read_bytes() == before
    check = subprocess.run([sys.executable, "tools/slide_coverage.py", "--check"], cwd=ROOT, capture_output=True)
    assert check.returncode == 0
