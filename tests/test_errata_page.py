"""ERRATA.md is complete and consistent: every erratum is shown in its notebook and proved by a test.

For each row: the notebook named in "Shown in" exists and has a "⚠ Slide erratum <id>" box; the
test named in "Proved by" exists as a test function.  Conversely, every erratum box in a
notebook has a row.  (The tests themselves run with the rest of the suite.)
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ROWS = [line for line in (ROOT / "ERRATA.md").read_text(encoding="utf-8").splitlines() if re.match(r"\| E\d", line)]
BOX = re.compile(r"Slide erratum (E\d\d\.\d+)")


def _cells(path: Path) -> str:
    return "\n".join("".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"])


def _row(line: str) -> dict:
    cols = [c.strip() for c in line.strip().strip("|").split("|")]
    return {"id": cols[0], "shown": cols[-2], "proved": cols[-1]}


def test_there_are_errata_and_ids_are_unique():
    ids = [_row(r)["id"] for r in ROWS]
    assert ids and len(ids) == len(set(ids))
    assert ids == sorted(ids, key=lambda i: tuple(int(x) for x in i[1:].split("."))), "rows sorted by id"


@pytest.mark.parametrize("line", ROWS, ids=lambda r: _row(r)["id"])
def test_row_points_at_a_notebook_box_and_a_test(line):
    row = _row(line)
    notebook = re.search(r"notebooks/\S+\.ipynb", row["shown"])
    assert notebook, f"{row['id']}: no notebook in 'Shown in'"
    assert row["id"] in BOX.findall(_cells(ROOT / notebook.group(0))), f"{row['id']} has no box in {notebook.group(0)}"
    nodes = re.findall(r"(tests/\S+\.py)::(\w+)", row["proved"])
    assert nodes, f"{row['id']}: no test node id in 'Proved by'"
    for path, name in nodes:
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        assert name in {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}, f"{path}::{name}"


def test_every_box_in_a_notebook_has_a_row():
    listed = {_row(r)["id"] for r in ROWS}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        missing = set(BOX.findall(_cells(path))) - listed
        assert not missing, f"{path.name} shows errata missing from ERRATA.md: {sorted(missing)}"
