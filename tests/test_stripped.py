"""`make stripped` checks what git holds, so a student's executed-and-saved notebook leaves `make test` green.

The first test does what a student does: runs a notebook from a fresh kernel and saves it, with its outputs,
over the file in the working tree; `make stripped` must still pass.  The file is put back afterwards.  The
second test shows the check still catches outputs that are committed (in a scratch git repository).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "00_start_here.ipynb"
TOOL = ROOT / "tools" / "check_stripped.py"


def _in_git() -> bool:
    return subprocess.run(["git", "rev-parse", "--is-inside-work-tree"], cwd=ROOT, capture_output=True).returncode == 0


@pytest.mark.skipif(not _in_git(), reason="not a git checkout: the stripped check reads the files themselves")
@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_a_students_saved_outputs_leave_make_stripped_green():
    from nbclient import NotebookClient

    original = NOTEBOOK.read_bytes()
    try:
        nb = nbformat.read(NOTEBOOK, as_version=4)
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
        nbformat.write(nb, NOTEBOOK)  # what JupyterLab's autosave does
        assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), "the run produced outputs"
        file_check = subprocess.run([str(Path(sys.executable).parent / "nbstripout"), "--verify", str(NOTEBOOK)],
                                    capture_output=True)
        assert file_check.returncode != 0, "the saved file really has outputs (the old check would fail here)"
        done = subprocess.run(["make", "stripped"], cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "00_start_here.ipynb" in done.stdout and "changed in the working tree" in done.stdout
    finally:
        NOTEBOOK.write_bytes(original)
    assert NOTEBOOK.read_bytes() == original


def test_committed_outputs_still_fail(tmp_path):
    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1", execution_count=1, outputs=[
        nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)])])
    path = repo / "notebooks" / "x.ipynb"
    nbformat.write(nb, path)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "x"], cwd=repo, check=True)
    assert subprocess.run([sys.executable, str(TOOL), str(path)], capture_output=True).returncode == 1
    # strip it in the working tree only: git still holds the outputs, so the check still fails
    subprocess.run([str(Path(sys.executable).parent / "nbstripout"), str(path)], check=True)
    assert subprocess.run([sys.executable, str(TOOL), str(path)], capture_output=True).returncode == 1
    subprocess.run([*git, "add", "."], cwd=repo, check=True)  # staged stripped: now it passes
    assert subprocess.run([sys.executable, str(TOOL), str(path)], capture_output=True).returncode == 0
