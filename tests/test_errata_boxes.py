"""Slide errata read as an aside: every erratum box is folded (one visible line, the detail a click away).

``tools/errata_boxes.py`` folds the boxes; this test fails if a notebook has an erratum box outside a
``<details class="erratum">`` whose summary names the same erratum, or a fold without its box.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
sys.path.insert(0, str(ROOT / "tools"))
import errata_boxes  # noqa: E402


def _markdown(path: Path) -> list[str]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_every_erratum_box_is_folded_under_a_one_line_summary(path):
    for text in _markdown(path):
        boxes = re.findall(r"^> \*\*⚠ Slide erratum (E\d\d\.\d+)\*\*", text, flags=re.M)
        folds = re.findall(r'<details class="erratum"><summary>⚠ <b>Slide erratum (E\d\d\.\d+)</b>: ([^<\n]+)</summary>'
                           r'\n\n> \*\*⚠ Slide erratum (E\d\d\.\d+)\*\*', text)
        assert [f[0] for f in folds] == [f[2] for f in folds] == boxes, f"{path.name}: unfolded or mismatched {boxes}"
        assert all(len(f[1]) < 100 for f in folds), "the visible line is one short line"
        assert text.count("<details") == text.count("</details>")


def test_the_fold_tool_has_nothing_left_to_do_and_a_summary_for_every_erratum():
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "errata_boxes.py"), "--check"], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stdout
    listed = {line.split("|")[1].strip() for line in (ROOT / "ERRATA.md").read_text(encoding="utf-8").splitlines()
              if re.match(r"\| E\d", line)}
    assert listed <= set(errata_boxes.SUMMARIES)


def test_folding_is_idempotent_and_keeps_the_box_lines():
    text = "Intro.\n\n> **⚠ Slide erratum E01.1** — slide.\n> The slide says: x.\n\nMore."
    once, ids = errata_boxes.fold(text)
    assert ids == ["E01.1"] and errata_boxes.fold(once) == (once, [])
    assert "> The slide says: x." in once and once.index("<details") < once.index("> **") < once.index("</details>")
