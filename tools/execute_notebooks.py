"""Run the lecture notebooks once, from fresh kernels, and keep the executed copies for the site and the slides.

    python tools/execute_notebooks.py                   # execute what changed into build/executed/
    python tools/execute_notebooks.py --jobs 2 NAME...  # only these notebooks (file names in notebooks/)

An executed copy is kept in ``build/executed/NN_name.ipynb`` with its outputs and its ipywidgets state, beside
``index.json``, which records for each copy the *key* it was made from: a hash of the notebook's cells (types,
sources, tags) and of everything the notebooks import or read from the repository (``lectures_lib``,
``ERRATA.md``).  ``make site`` runs a notebook again only when its key changed, and the slide decks are made
from the same copies, so every notebook runs once for both.  The browser tests store the notebooks that
JupyterLab ran and saved here too (``store``), so ``make test`` builds the site without running them again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
CACHE = REPO / "build" / "executed"
# What the notebooks import or read besides themselves: a change here runs every notebook again.
DEPENDENCIES = ("lectures_lib", "ERRATA.md", "pyproject.toml")


def notebook_paths(src: Path = NOTEBOOKS) -> list[Path]:
    """The lecture notebooks ``NN_name.ipynb`` of ``src``, in teaching order."""
    return sorted(src.glob("[0-9][0-9]_*.ipynb"))


def dependencies_digest() -> str:
    h = hashlib.sha256()
    for name in DEPENDENCIES:
        root = REPO / name
        files = sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts) \
            if root.is_dir() else [root]
        for path in files:
            h.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def cells_digest(nb) -> str:
    """A hash of what running a notebook depends on in the notebook itself: its cells, not its outputs."""
    cells = [(c.cell_type, c.source if isinstance(c.source, str) else "".join(c.source),
              sorted(c.get("metadata", {}).get("tags", []))) for c in nb.cells]
    return hashlib.sha256(json.dumps(cells, ensure_ascii=False).encode()).hexdigest()


def key_of(nb, dependencies: str | None = None) -> str:
    return hashlib.sha256(f"{cells_digest(nb)}:{dependencies or dependencies_digest()}".encode()).hexdigest()[:32]


def execute(path: Path, timeout: int = 900) -> tuple[nbformat.NotebookNode, float]:
    """Run a notebook from a fresh kernel in its own folder; the widget state is stored in its metadata."""
    from jupyter_client.manager import KernelManager
    from jupyter_core.paths import jupyter_runtime_dir
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    # the kernel talks over local sockets (ipc), not TCP: no "running over TCP without encryption" warning
    # (its socket files sit next to its connection file in Jupyter's runtime directory, not in the repository)
    connection = Path(jupyter_runtime_dir()) / f"kernel-site-{uuid.uuid4().hex[:12]}.json"
    connection.parent.mkdir(parents=True, exist_ok=True)
    km = KernelManager(kernel_name="python3", transport="ipc", connection_file=str(connection))
    client = NotebookClient(nb, km=km, timeout=timeout, kernel_name="python3", allow_errors=True,
                            store_widget_state=True, resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    finally:  # a kernel manager passed in is not shut down by nbclient
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    return nb, time.perf_counter() - start


def _execute_to_json(args: tuple[str, int]) -> tuple[str, float]:
    nb, seconds = execute(Path(args[0]), args[1])
    return nbformat.writes(nb), seconds


def errors_of(nb) -> list[str]:
    """The error outputs of an executed notebook, as 'cell N: Name: message'."""
    return [f"cell {i}: {out.get('ename')}: {out.get('evalue')}"
            for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
            for out in cell.get("outputs", []) if out.get("output_type") == "error"]


def _index(cache: Path) -> dict:
    try:
        return json.loads((cache / "index.json").read_text())
    except (OSError, ValueError):
        return {}


def store(name: str, nb, key: str, seconds: float | None, how: str, cache: Path = CACHE) -> None:
    """Keep an executed copy of notebook ``name`` made from ``key`` (``how``: who ran it)."""
    cache.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, cache / name)
    index = _index(cache)
    index[name] = {"key": key, "seconds": None if seconds is None else round(seconds, 1), "how": how,
                   "errors": errors_of(nb)}
    (cache / "index.json").write_text(json.dumps(index, indent=1, sort_keys=True) + "\n")


def executed(paths: list[Path], cache: Path = CACHE, jobs: int = 2, timeout: int = 900,
             log=print) -> dict[str, dict]:
    """Executed copies of ``paths``, from the cache where the key matches, else run now (``jobs`` at once).

    Returns name -> {"path": executed copy, "key", "seconds", "how", "errors"}.
    """
    dependencies = dependencies_digest()
    keys = {p.name: key_of(nbformat.read(p, as_version=4), dependencies) for p in paths}
    index = _index(cache)
    stale = [p for p in paths if index.get(p.name, {}).get("key") != keys[p.name] or not (cache / p.name).exists()]
    for p in paths:
        if p not in stale:
            log(f"execute: {p.name} unchanged, executed copy reused ({index[p.name]['how']})")
    if stale:
        with ProcessPoolExecutor(max_workers=max(1, min(jobs, len(stale)))) as pool:
            for p, (text, seconds) in zip(stale, pool.map(_execute_to_json, [(str(p), timeout) for p in stale]),
                                          strict=True):
                store(p.name, nbformat.reads(text, as_version=4), keys[p.name], seconds, "nbclient", cache)
                log(f"execute: {p.name} executed in {seconds:.1f} s")
    index = _index(cache)
    return {p.name: {"path": cache / p.name, **index[p.name]} for p in paths}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="notebook file names (default: all)")
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS)
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    args = parser.parse_args(argv)
    paths = [p for p in notebook_paths(args.notebooks) if not args.names or p.name in args.names]
    if not paths:
        print(f"execute: no notebooks NN_*.ipynb in {args.notebooks}", file=sys.stderr)
        return 2
    done = executed(paths, args.cache, args.jobs, args.timeout)
    bad = {name: info["errors"] for name, info in done.items() if info["errors"]}
    for name, errors in bad.items():
        print(f"execute: ERROR in {name}: " + "; ".join(errors), file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
