"""`import lectures_lib` stays light: SymPy, SciPy, matplotlib and the widgets load only with the modules that use
them (each costs seconds in the browser's Python; `python -X importtime -c "import lectures_lib"` shows the rest)."""

import subprocess
import sys


def test_import_lectures_lib_loads_none_of_the_heavy_packages():
    code = ("import sys, lectures_lib\n"
            "print(sorted(m for m in ('scipy', 'sympy', 'matplotlib', 'ipywidgets', 'sklearn', 'tqdm') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
