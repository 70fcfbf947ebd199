"""The Markdown a student reads has its LaTeX intact, in every notebook and every homework master.

A LaTeX command typed into a non-raw Python string loses its backslash to an escape: ``\\theta`` becomes a tab
and ``heta``, ``\\frac`` a form feed and ``rac``, ``\\big`` a backspace and ``ig``, ``\\nabla`` a line break and
``abla`` (homework 5 shipped all four).  The maths then renders as garbage, and no notebook test notices, because
Markdown is not executed.  So: no control characters, no command stems left without their backslash, and every
inline ``$...$`` closed on its own line (one sentence per line: an inline formula never spans two).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "homework").glob("[0-9][0-9]_*/*.ipynb"))
# what is left of \theta, \text, \tau, \frac, \nabla, \big, \bar, \beta, \right, \rho once \t, \f, \n, \b, \r are eaten
STEMS = re.compile(r"(?<![\\A-Za-z])(heta|ext\{|au\b|rac\{|abla|ig[(\[\\|]|ar\{|eta\b|ight[)\]|.]|ho\b)")


def _markdown(path: Path) -> list[tuple[int, str]]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [(i, "".join(c["source"])) for i, c in enumerate(cells) if c["cell_type"] == "markdown"]


def problems(text: str) -> list[str]:
    found = [f"control character {ch!r}" for ch in sorted(set(text)) if ord(ch) < 32 and ch != "\n"]
    prose = re.sub(r"`[^`\n]*`", "", re.sub(r"\$\$.*?\$\$", "", text, flags=re.S))     # no display maths, no code
    inline = re.findall(r"(?<!\\)\$(.*?)(?<!\\)\$", prose)
    found += [f"command without its backslash: {m.group(0)!r}" for span in inline for m in STEMS.finditer(span)]
    found += [f"unclosed $ on: {line[:60]!r}" for line in prose.splitlines()
              if len(re.findall(r"(?<!\\)\$", line)) % 2]
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_markdown_latex_is_intact(path):
    bad = {i: problems(text) for i, text in _markdown(path)}
    assert not {i: b for i, b in bad.items() if b}, f"{path.relative_to(ROOT)}: {bad}"


def test_the_check_catches_escapes_that_ate_a_backslash():
    written = "The score is $\\frac{\\partial}{\\partial\\theta} \\log p$ and we want $\\nabla_\\theta E$."
    assert problems(written) == []
    eaten = written.replace("\\f", "\f").replace("\\t", "\t").replace("\\n", "\n")     # what "..." (not r"...") does
    assert len(problems(eaten)) >= 3
    assert problems("a $\\big(x\\big)$ b") == [] and problems("a $\big(x\big)$ b")     # \b: backspace
