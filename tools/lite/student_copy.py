"""The student's copy of every notebook of the in-browser lecture (``make lite``), and what goes with it.

``tools/build_lite.py`` calls :func:`prepare` on its JupyterLite source folder before ``jupyter lite build`` and
:func:`finish` on the built site.  Each notebook the site serves (lectures and homework) is changed so that:

* **opening it changes nothing.**  JupyterLab writes the kernel's ``kernelspec`` and ``language_info`` into a
  notebook's metadata when the kernel starts; a notebook that held CPython's (``python3``) was therefore marked
  modified (●) the moment it opened, autosaved into the browser's storage, and from then on that private copy hid
  every version the course published later (and the browser asked "Leave site?" with nothing edited).  The copy
  carries the Pyodide kernel's own values instead.  Its code cells are marked trusted, as a Jupyter server marks
  the notebooks it serves, so the Notebook interface does not say "Not Trusted" about the course's own files;
* **test-only cells are left out** (tag ``test-only``: they move a demo's sliders for the tests, and are kept
  out of the static site, the app and the slides too).  The browser tests put them back where they were before
  running a notebook (``tests/lite/test_lite.py``), so they still run in Pyodide;
* **it knows its version**: ``metadata.course.version`` is a hash of the published copy, and
  ``course-versions.json`` at the site's root lists the version of every published notebook.  A student's own
  copy keeps the version it was made from, so the front end can say when the course has published a newer one.

The front end is the extension in ``tools/lite/extension`` (plain JavaScript, no build step): downloads that
take what is on the screen, folded solution cells that Run All and Shift+Enter pass over, and the notice of a
new version.  It replaces JupyterLab's cell executor, so that plugin is switched off here.
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
from pathlib import Path

EXTENSION = Path(__file__).resolve().parent / "extension"
EXTENSION_NAME = "lectures-lite-student"
VERSIONS_FILE = "course-versions.json"
LEFT_OUT_TAG = "test-only"
# What jupyterlite-pyodide-kernel 0.5.2 reports (its kernelspec, and `kernelInfoRequest` in its worker): the
# values JupyterLab writes into the metadata when the kernel starts. tests/lite/test_lite_student.py opens a
# notebook and checks that it stays unmodified, so a kernel that reports something else fails that test.
PYODIDE_KERNELSPEC = {"name": "python", "display_name": "Python (Pyodide)", "language": "python"}
PYODIDE_LANGUAGE_INFO = {
    "codemirror_mode": {"name": "python", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
    "version": "3.8",
}
# The extension provides the cell executor; JupyterLab's own would be a second provider of the same token.
DISABLED_PLUGINS = ["@jupyterlab/notebook-extension:cell-executor"]
SETTINGS = {
    # Saving goes to the browser's own storage (IndexedDB): cheap, so every 10 s rather than 120 s leaves less
    # to lose when a tab is closed without saving (the browser asks first whenever something is unsaved).
    "@jupyterlab/docmanager-extension:plugin": {"autosaveInterval": 10},
}


def student_copy(notebook: dict) -> dict:
    """The notebook as the site serves it to a student (a new dict; ``notebook`` is not changed).

    Parameters
    ----------
    notebook : dict
        A notebook in nbformat 4 (as ``json.load`` reads it).

    Returns
    -------
    dict
        The copy: no ``test-only`` cells, the Pyodide kernel's metadata, code cells trusted, and
        ``metadata.course.version`` (see :func:`version_of`).
    """
    if not isinstance(notebook, dict) or notebook.get("nbformat") != 4 or not isinstance(notebook.get("cells"), list):
        raise ValueError(f"notebook must be an nbformat-4 notebook (a dict with cells), got {str(notebook)[:80]!r}")
    nb = copy.deepcopy(notebook)
    nb["cells"] = [c for c in nb["cells"] if LEFT_OUT_TAG not in c.get("metadata", {}).get("tags", [])]
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell.setdefault("metadata", {})["trusted"] = True
    nb["metadata"].pop("course", None)
    nb["metadata"].update(kernelspec=dict(PYODIDE_KERNELSPEC), language_info=copy.deepcopy(PYODIDE_LANGUAGE_INFO))
    nb["metadata"]["course"] = {"version": version_of(nb)}
    return nb


def version_of(notebook: dict) -> str:
    """A short hash of the notebook's content (without its own ``metadata.course``): changes with any edit."""
    nb = dict(notebook, metadata={k: v for k, v in notebook.get("metadata", {}).items() if k != "course"})
    return hashlib.sha256(json.dumps(nb, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def write_student_copy(source: Path, dest: Path) -> None:
    """Write the student's copy of the notebook ``source`` to ``dest`` (which may be ``source``)."""
    nb = student_copy(json.loads(source.read_text(encoding="utf-8")))
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def prepare(lite_dir: Path, notebooks: list[Path]) -> list[Path]:
    """Before ``jupyter lite build``: the student's copies of ``notebooks`` (returned, in ``lite_dir/course``) and
    of every notebook already staged in ``lite_dir/extra`` (changed in place), the extension, and the settings."""
    staged = []
    for source in notebooks:
        staged.append(lite_dir / "course" / source.name)
        write_student_copy(source, staged[-1])
    for path in sorted((lite_dir / "extra").rglob("*.ipynb")):
        write_student_copy(path, path)
    # (not lite_dir/extensions: jupyterlite-core 0.5.1 never runs the copy task it makes for that folder)
    shutil.copytree(EXTENSION, lite_dir / "student-extension" / EXTENSION_NAME)
    _merge_json(lite_dir / "jupyter_lite_config.json",
                {"FederatedExtensionAddon": {"extra_labextensions_path": [str(lite_dir / "student-extension")]}})
    _merge_json(lite_dir / "overrides.json", SETTINGS)
    config = json.loads((lite_dir / "jupyter-lite.json").read_text())
    data = config["jupyter-config-data"]
    data["disabledExtensions"] = [*data.get("disabledExtensions", []), *DISABLED_PLUGINS]
    (lite_dir / "jupyter-lite.json").write_text(json.dumps(config, indent=1))
    return staged


def finish(site: Path) -> dict[str, dict]:
    """After the build: ``course-versions.json``, the version of every notebook the site serves, by path."""
    files = site / "files"
    versions = {}
    for path in sorted(files.rglob("*.ipynb")):
        course = json.loads(path.read_text(encoding="utf-8"))["metadata"].get("course")
        if course:
            versions[path.relative_to(files).as_posix()] = {"version": course["version"]}
    (site / VERSIONS_FILE).write_text(json.dumps(versions, indent=1, sort_keys=True) + "\n")
    return versions


def _merge_json(path: Path, settings: dict) -> None:
    current = json.loads(path.read_text()) if path.exists() else {}
    for plugin, values in settings.items():
        current[plugin] = {**current.get(plugin, {}), **values}
    path.write_text(json.dumps(current, indent=1))
