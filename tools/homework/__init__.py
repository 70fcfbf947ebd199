"""Build and grade the homework, offline; instructors: see homework/README.md.

    python -m tools.homework build [--out build/homework] [--check]       # make homework
    python -m tools.homework grade SUBMISSIONS [--out DIR] [limits ...]    # make grade SUBMISSIONS=...

Modules, by job: ``masters`` (reading the master notebooks, the leak check), ``build`` (otter assign, the hand-outs,
the solved notebooks), ``sandbox`` and ``driver`` (running a student's notebook in bubblewrap, and the driver that
runs inside it), ``slots`` (the uid, limits and control group of each job slot), ``wire`` (plain data across the
boundary), ``judge`` (the tests, run by the grader in its own process), ``grade`` (the batch), ``report``
(grades.csv, the Canvas export, feedback).
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOMEWORK = ROOT / "homework"
DEFAULT_OUT = Path("build") / "homework"
