"""`make stripped`: the notebooks as committed carry no outputs (nbstripout --verify).

    python tools/check_stripped.py notebooks/*.ipynb

What is checked is each notebook as git holds it (the index: what was committed, or staged for the next
commit), not the file in the working tree.  A student who opens a notebook, runs it and saves it (JupyterLab
autosaves, with outputs) changes only the working file, so `make test` stays green for them; a contributor
who stages a notebook with outputs fails here (the pre-commit hook strips it first).  Outside a git
checkout (an unpacked archive) the files themselves are checked.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

BIN = Path(sys.executable).parent


def staged_text(path: Path) -> str | None:
    """The notebook as the git index holds it, or None outside a git checkout / for an untracked file."""
    done = subprocess.run(["git", "show", f":./{path.name}"], cwd=path.parent, capture_output=True)
    return done.stdout.decode("utf-8") if done.returncode == 0 else None


def main(paths: list[str]) -> int:
    if not paths:
        print("check_stripped: no notebooks given", file=sys.stderr)
        return 2
    nbstripout = str(BIN / "nbstripout")
    bad, working = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for name in paths:
            path = Path(name).resolve()
            text = staged_text(path)
            if text is None:
                target = path
            else:
                target = Path(tmp) / path.name
                target.write_text(text, encoding="utf-8")
                if path.read_text(encoding="utf-8") != text:
                    working.append(name)
            if subprocess.run([nbstripout, "--verify", str(target)], capture_output=True).returncode != 0:
                bad.append(name)
    if working:
        print(f"check_stripped: {len(working)} notebook(s) changed in the working tree (your own outputs or edits "
              f"are fine; what git holds is checked): {', '.join(working)}")
    if bad:
        print("check_stripped: committed with outputs (run .venv/bin/nbstripout on them, then git add): "
              + ", ".join(bad), file=sys.stderr)
        return 1
    print(f"check_stripped: {len(paths)} notebooks stored without outputs")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
