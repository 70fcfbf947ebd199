"""Build-time steps of `make lite` that make the in-browser lecture start faster (issue 21), kept out of
build_lite.py so that the two evolve apart:

* ``fix_font_cache``: Pyodide 0.27.7's matplotlib 3.8.4 wheel ships a font cache (``matplotlib/fontlist.json``)
  written by another matplotlib version (format 390, where 3.8.4 reads 330), so matplotlib rebuilds it at every
  first import in the browser, a second or more, and prints "Matplotlib is building the font cache" in a red box.
  We let matplotlib itself build the right one, in Pyodide under Node.js (the npm package ``make lite`` already
  installs), and put it into the wheel;
* ``content_tag``: every wheel whose bytes we made or changed (lectures_lib, the slimmed sympy, the matplotlib with
  its font cache) gets its sha256 in its file name (a wheel build tag), so that a browser may keep every package
  file for a year (``serve_lite.cache_control``) and still never mixes an old file with a new lock;
* ``add_kernel_packages`` and ``kernel_options``: the Pyodide kernel installs its own packages one after the other
  at every start (micropip, then piplite, then ssl, sqlite3, ipykernel, comm, pyodide_kernel, ipython, each an
  await), about 4 s of an 8-second start after Pyodide itself; listed in ``loadPyodideOptions.packages`` they load
  in one batch while Pyodide starts (the kernel skips what is already there);
* ``write_headers``: the same caching rules as a ``_headers`` file, which static hosts such as Netlify and
  Cloudflare Pages apply (GitHub Pages ignores it and revalidates, which is correct too, only slower).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

LITE = Path(__file__).resolve().parent
NODE_PYODIDE = LITE / "node_modules" / "pyodide" / "pyodide.mjs"

# Run in Node.js: load matplotlib from the assembled package folder, let it build its font cache, print it.
_FONT_CACHE_JS = """
import { loadPyodide } from %(pyodide)s;
const py = await loadPyodide({ indexURL: %(index)s, stdout: () => {}, stderr: () => {} });
await py.loadPackage(["matplotlib"], { messageCallback: () => {} });
process.stdout.write(py.runPython(`
import json, matplotlib
from pathlib import Path
from matplotlib import font_manager
path = Path(matplotlib.__file__).parent / "fontlist.json"
cache = json.loads(path.read_text())
assert cache["_version"] == font_manager.FontManager.__version__, (cache["_version"], path)
json.dumps(cache, indent=2)
`));
"""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def font_cache_version(wheel: Path) -> tuple[int, int]:
    """(the format matplotlib reads, the format of the cache its wheel ships)."""
    with zipfile.ZipFile(wheel) as z:
        source = z.read("matplotlib/font_manager.py").decode()
        shipped = json.loads(z.read("matplotlib/fontlist.json"))["_version"]
    reads = int(re.search(r"^\s+__version__ = (\d+)", source, re.M).group(1))
    return reads, int(shipped)


def build_font_cache(index: Path, cache: Path, key: str) -> bytes:
    """matplotlib's own font cache, built in Pyodide under Node.js (cached in ``cache`` by ``key``)."""
    stored = cache / f"fontlist-{key[:16]}.json"
    if stored.exists():
        return stored.read_bytes()
    node = shutil.which("node")
    if node is None or not NODE_PYODIDE.exists():
        raise RuntimeError("matplotlib's font cache needs Node.js and tools/lite/node_modules (make lite installs it)")
    script = cache / "fontlist.mjs"
    cache.mkdir(parents=True, exist_ok=True)
    script.write_text(_FONT_CACHE_JS % {"pyodide": json.dumps(NODE_PYODIDE.as_uri()),
                                       "index": json.dumps(str(index.resolve()) + "/")})
    done = subprocess.run([node, str(script)], capture_output=True, text=True, timeout=600)
    if done.returncode or not done.stdout.startswith("{"):
        raise RuntimeError("building matplotlib's font cache in Pyodide failed:\n"
                           f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
    data = (done.stdout + "\n").encode()
    stored.write_bytes(data)
    return data


def rewrite_wheel(wheel: Path, replace: dict[str, bytes]) -> None:
    """Replace files of a wheel (and their lines of its RECORD), in place."""
    tmp = wheel.with_suffix(".tmp")
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        record = next(n for n in src.namelist() if n.endswith(".dist-info/RECORD"))
        for info in src.infolist():
            data = replace.get(info.filename, src.read(info))
            if info.filename == record:
                lines = []
                for line in data.decode().splitlines():
                    name = line.split(",")[0]
                    if name in replace:
                        digest = base64.urlsafe_b64encode(hashlib.sha256(replace[name]).digest()).rstrip(b"=")
                        line = f"{name},sha256={digest.decode()},{len(replace[name])}"
                    lines.append(line)
                data = ("\n".join(lines) + "\n").encode()
            dst.writestr(info, data)
    tmp.replace(wheel)


def fix_font_cache(dest: Path, packages: dict, cache: Path) -> bool:
    """Give the matplotlib wheel in ``dest`` the font cache its matplotlib reads; True if it needed one."""
    entry = packages.get("matplotlib")
    if entry is None:
        return False
    wheel = dest / entry["file_name"]
    reads, shipped = font_cache_version(wheel)
    if reads == shipped:
        return False
    rewrite_wheel(wheel, {"matplotlib/fontlist.json": build_font_cache(dest, cache, entry["sha256"])})
    return True


def content_tag(dest: Path, entry: dict) -> None:
    """Rename a wheel we made or changed to carry its sha256 (as build tag), and update its lock entry."""
    old = dest / entry["file_name"]
    data = old.read_bytes()
    digest = sha256(data)
    parts = old.name[: -len(".whl")].split("-")
    if len(parts) == 6:  # an earlier build tag: replace it
        del parts[2]
    name = "-".join([*parts[:2], f"0{digest[:12]}", *parts[2:]]) + ".whl"  # a build tag starts with a digit
    old.rename(dest / name)
    entry.update(file_name=name, sha256=digest)


def finish_packages(dest: Path, lock: dict, ours: set[str], cache: Path) -> list[str]:
    """The start-up steps on an assembled package folder whose ``pyodide-lock.json`` holds ``lock``; the lock is
    written again with the new file names and hashes.  Returns the names of the packages changed."""
    packages, changed = lock["packages"], set(ours)
    add_kernel_packages(dest, packages, kernel_pypi_folder())
    if fix_font_cache(dest, packages, cache / "fontcache"):
        changed.add("matplotlib")
    for name in sorted(changed):
        if name in packages and packages[name]["file_name"].endswith(".whl"):
            content_tag(dest, packages[name])
    (dest / "pyodide-lock.json").write_text(json.dumps(lock, indent=1, sort_keys=True))
    return sorted(changed)


#: what the kernel (jupyterlite-pyodide-kernel 0.5) installs when it starts, under the names it checks for
KERNEL_PACKAGES = ["micropip", "piplite", "ssl", "sqlite3", "ipykernel", "comm", "pyodide_kernel", "ipython"]
#: the kernel's own wheels (not in Pyodide's lock), from the kernel extension's pypi/ folder: name -> depends
KERNEL_WHEELS = {"piplite": ["micropip"], "ipykernel": [],
                 "pyodide-kernel": ["ipykernel", "comm", "ipython", "ssl", "sqlite3", "piplite"]}


def kernel_pypi_folder() -> Path:
    """The kernel extension's pypi/ folder in the JupyterLite build environment (.venv-lite)."""
    import sys

    return Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "@jupyterlite" / "pyodide-kernel-extension" / \
        "static" / "pypi"


def add_kernel_packages(dest: Path, packages: dict, pypi: Path) -> None:
    """Put the kernel's own wheels into the package folder and the lock, so that Pyodide can preload them."""
    for name, depends in KERNEL_WHEELS.items():
        (wheel,) = pypi.glob(f"{name.replace('-', '_')}-*.whl")
        shutil.copy2(wheel, dest / wheel.name)
        packages[name] = {"name": name, "version": wheel.name.split("-")[1], "file_name": wheel.name,
                          "install_dir": "site", "sha256": sha256(wheel.read_bytes()), "package_type": "package",
                          "imports": [name.replace("-", "_")], "depends": depends, "unvendored_tests": False,
                          "shared_library": False}


def kernel_options() -> dict:
    """``loadPyodideOptions`` for the kernel's settings: its packages, preloaded in one batch."""
    return {"loadPyodideOptions": {"packages": KERNEL_PACKAGES}}


def write_headers(site: Path, rules) -> Path:
    """``_headers`` (Netlify / Cloudflare Pages syntax) with ``rules(relative path)`` for every file of the site."""
    groups: dict[str, list[str]] = {}
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        rel = path.relative_to(site).as_posix()
        groups.setdefault(rules(rel), []).append(rel)
    lines = ["# Cache-Control of every file (tools/serve_lite.py serves the same); see tools/lite/startup.py"]
    for policy, files in groups.items():
        for rel in files:
            lines += [f"/{rel}", f"  Cache-Control: {policy}"]
    out = site / "_headers"
    out.write_text("\n".join(lines) + "\n")
    return out
