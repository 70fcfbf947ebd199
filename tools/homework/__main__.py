"""Command line: ``python -m tools.homework build|grade`` (what ``make homework`` and ``make grade`` run)."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from . import DEFAULT_OUT
from . import __doc__ as PACKAGE_DOC
from .build import build
from .grade import check_solutions, grade


def _options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--build", type=Path, default=DEFAULT_OUT, help="the built homework (default build/homework)")
    p.add_argument("--time-limit", type=float, default=120, help="seconds per submission (default 120)")
    p.add_argument("--cell-time-limit", type=float, default=30, help="seconds per notebook cell (default 30)")
    p.add_argument("--test-time-limit", type=float, default=20,
                   help="seconds per call of a student function by a test (default 20)")
    p.add_argument("--memory-mb", type=int, default=2048, help="address space of the sandbox, MiB (default 2048)")
    p.add_argument("--jobs", type=int, default=2, help="submissions graded at once (default 2)")


def main(argv: list[str] | None = None) -> int:
    if importlib.util.find_spec("otter") is None:
        raise SystemExit("otter-grader is not installed here: .venv/bin/pip install otter-grader==7.0.0")
    parser = argparse.ArgumentParser(prog="python -m tools.homework", description=PACKAGE_DOC.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build every assignment (make homework)")
    b.add_argument("--out", type=Path, default=DEFAULT_OUT)
    b.add_argument("--check", action="store_true", help="then grade every solved notebook: full marks or exit 1")
    _options(b)
    g = sub.add_parser("grade", help="grade a folder of submitted notebooks (make grade)")
    g.add_argument("submissions", type=Path)
    g.add_argument("--out", type=Path, default=None, help="where to write (default <build>/grades)")
    _options(g)
    args = parser.parse_args(argv)
    args.jobs = min(max(1, args.jobs), 127)  # two uids per slot
    if args.command == "build":
        args.build = args.out.resolve()
        build(args.build)
        if args.check:
            args.out = args.build / "solution-check"
            return 0 if check_solutions(args) else 1
        return 0
    args.build = args.build.resolve()
    args.out = (args.out or args.build / "grades").resolve()
    grade(args.submissions, args)  # every file got a row: 0, whatever the submissions did
    return 0


if __name__ == "__main__":
    sys.exit(main())
