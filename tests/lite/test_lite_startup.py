"""The start-up work of `make lite` (tools/lite/startup.py): matplotlib's font cache in its wheel, content-tagged
wheels, the caching rules (serve_lite and the site's _headers), and no red box that a student reads as an error."""

from __future__ import annotations

import json
import re
import zipfile

import serve_lite  # tools/, put on the path by conftest.py
from lite import startup
from litelib import SITE

# Every stderr box of a notebook panel (the red ones): warnings too, which a student reads as errors.
STDERR_JS = """() => [...document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
    .map(o => o.textContent.slice(0, 300))"""


def red_boxes(page) -> list[str]:
    """The stderr outputs the page shows (called by test_lite after each Run All)."""
    return page.evaluate(STDERR_JS)


def _lock() -> dict:
    return json.loads((SITE / "static" / "pyodide" / "pyodide-lock.json").read_text())["packages"]


def test_matplotlib_wheel_carries_the_font_cache_its_matplotlib_reads():
    wheel = SITE / "static" / "pyodide" / _lock()["matplotlib"]["file_name"]
    reads, shipped = startup.font_cache_version(wheel)
    assert reads == shipped, f"matplotlib reads font cache format {reads}, its wheel ships {shipped}"
    with zipfile.ZipFile(wheel) as z:
        cache = json.loads(z.read("matplotlib/fontlist.json"))
        record = z.read(next(n for n in z.namelist() if n.endswith("RECORD"))).decode()
        size = len(z.read("matplotlib/fontlist.json"))
    assert any(f["name"] == "DejaVu Sans" for f in cache["ttflist"])
    assert not any(f["fname"].startswith("/") for f in cache["ttflist"]), "font paths must be relative to mpl-data"
    line = next(ln for ln in record.splitlines() if ln.startswith("matplotlib/fontlist.json,"))
    assert line.endswith(f",{size}"), "the wheel's RECORD must list the new file"
    assert "scikit-learn" not in _lock(), "scikit-learn is no longer used in the browser (6 MB)"


def test_wheels_we_change_carry_their_hash_in_their_name():
    lock = _lock()
    for name in ("lectures-lib", "sympy", "mpmath", "matplotlib"):
        entry = lock[name]
        build_tag = entry["file_name"].split("-")[2]
        assert build_tag == "0" + entry["sha256"][:12], (name, entry["file_name"])
    assert lock["numpy"]["file_name"].count("-") == 4  # an official file keeps its official name


def test_caching_rules_keep_what_cannot_change_and_revalidate_the_rest():
    rules = serve_lite.cache_control
    immutable = "public, max-age=31536000, immutable"
    assert rules("static/pyodide/" + _lock()["lectures-lib"]["file_name"]) == immutable
    assert rules("static/pyodide/numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl") == immutable
    for mutable in ("index.html", "lab/index.html", "jupyter-lite.json", "files/03_gumbel_max_trick.ipynb",
                    "static/pyodide/pyodide-lock.json", "static/pyodide/pyodide.asm.wasm",
                    "static/pyodide/python_stdlib.zip", "build/bootstrap.js"):
        assert rules(mutable) == "no-cache", mutable
    hashed = next(p for p in (SITE / "build").glob("*.js") if re.search(r"\.[0-9a-f]{7,}\.js$", p.name))
    assert rules(f"build/{hashed.name}") == immutable
    headers = (SITE / "_headers").read_text()
    files = [p.relative_to(SITE).as_posix() for p in SITE.rglob("*") if p.is_file() and p.name != "_headers"]
    for rel in files[::50]:  # the static hosts' copy of the rules says the same for every file
        assert f"/{rel}\n  Cache-Control: {rules(rel)}\n" in headers, rel
