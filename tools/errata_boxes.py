"""Fold the slide-erratum notes of the notebooks: one visible line, the detail a click away.

    python tools/errata_boxes.py          # fold every erratum box that is not folded yet (idempotent)
    python tools/errata_boxes.py --check  # exit 1 if a box is not folded (tests/test_errata_boxes.py runs this)

An erratum box is a Markdown quote whose first line holds "⚠ Slide erratum Exx.n".  It is wrapped, lines
unchanged, in ``<details class="erratum"><summary>⚠ Slide erratum Exx.n: one line</summary> ... </details>``
(HTML that JupyterLab, nbconvert and Voila all render, folded), so the section's own story reads on and
the erratum stays one click away.  Where a Markdown cell is only the erratum (the box first) and its
explanation, the explanation is folded with it.  The one-line summaries are in ``SUMMARIES``.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
BOX = re.compile(r"^> \*\*⚠ Slide erratum (E\d\d\.\d+)\*\*")
OPEN = '<details class="erratum"><summary>⚠ <b>Slide erratum {id}</b>: {summary}</summary>'
CLOSE = "</details>"

#: what each erratum is about, in one line (the box itself says what the slide has and what is right)
SUMMARIES = {
    "E01.1": "the discriminator's loss has a minus sign where a plus belongs",
    "E01.2": "the fake term is printed as a never-ending fraction",
    "E01.3": "$n$ names both the data set and the noise batch",
    "E01.4": "\"contiguous\" samples should read \"continuous\"",
    "E01.5": "the derivative that fails is $\\partial\\mathbf v_t/\\partial\\theta$, not $\\partial D/\\partial K_t$",
    "E01.6": "re-parameterising a discrete sample does not, alone, give a gradient",
    "E02.1": "the inverse-CDF line is missing a minus sign",
    "E02.2": "the scale $\\beta$ must divide the exponent, not the exponential",
    "E03.1": "a CDF of the maximum is called a density",
    "E03.2": "a repeated line and a mismatched bracket in the proof",
    "E03.3": "the constant $C$ is never defined",
    "E03.4": "one shared Gumbel $\\mathcal G$ for all categories always returns $\\arg\\max\\mu$",
    "E03.5": "the sampling recipe draws one $U$ and mixes up $K$ and $L$",
    "E04.1": "the Monte Carlo estimate is missing its $1/N$",
    "E04.2": "the integral runs over an undefined set $Y$",
    "E04.3": "the Gaussian is missing a factor 2 in its exponent",
    "E04.4": "the trajectory density has one transition too many",
    "E04.5": "$\\nabla_\\theta p$ is never a density, not merely \"in general\"",
    "E04.6": "the score function is not always the noisier estimator",
    "E05.1": "the change-of-variables formulas hold only for increasing $T$",
    "E05.2": "$x\\,\\sigma^2(\\theta)$ should be $\\sigma(\\theta)\\,x$",
    "E05.3": "the toy problem says $\\arg\\max$ where it must be $\\arg\\min$",
    "E05.4": "the chain rule drops the factor $a = \\partial\\mu/\\partial\\theta$",
    "E05.5": "the mean is written $a\\theta + b\\theta$ instead of $a\\theta + b$",
    "E05.6": "$x$ appears where $z$ is meant",
    "E05.7": "$x\\,\\sigma^2(\\theta)$ should be $\\sigma(\\theta)\\,x$ (again)",
    "E05.8": "the map is written $q(x, \\theta)$ where $g(x, \\theta)$ is meant",
    "E06.1": "a line of the derivation is repeated where a step is missing",
    "E06.2": "minimising $-$ELBO does not always minimise the KL to the posterior",
    "E06.3": "$\\operatorname{tr}\\{I_\\sigma\\}$ should be $\\operatorname{tr}\\{I_d\\} = d$",
    "E06.4": "\"$\\mu_2 = 1$\" should be $\\mu_2 = 0$",
    "E06.5": "the sum writes $\\Sigma(X)$ where its diagonal entries $\\sigma_k^2$ are meant",
    "E06.6": "the decoder is labelled as the encoder",
    "E06.7": "the prior $N(0, 1)$ should be $N(0, I_d)$, and $k$ names two things",
    "E06.8": "the regulariser pulls $Q$ towards the prior $\\mathcal N(0, I)$, not towards \"Gaussian\"",
    "E06.9": "a linear encoder can be exact: a network is needed because the decoder is one",
    "E07.1": "the uniform's law is labelled as the law of $\\mathcal G$",
    "E07.2": "the summation index $k$ clashes with the free index $k$",
    "E07.3": "the Concrete density's constant uses an undefined $n$",
    "E07.4": "the slide's $\\tau = 1$ density is constant in $x$; the true one is not",
    "E07.5": "the temperature divides the exponential instead of the exponent",
}


def _source(cell) -> str:
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def _set_source(cell, text: str) -> None:
    cell["source"] = text if isinstance(cell["source"], str) else text.splitlines(keepends=True)


def fold(text: str) -> tuple[str, list[str]]:
    """``text`` with every unfolded erratum box wrapped; also the ids folded."""
    lines, out, done, i = text.split("\n"), [], [], 0
    while i < len(lines):
        m = BOX.match(lines[i])
        if not m or (out and out[-1].startswith('<details class="erratum"')) or (i >= 2 and lines[i - 2].startswith(
                '<details class="erratum"')):
            out.append(lines[i])
            i += 1
            continue
        end = i
        while end + 1 < len(lines) and lines[end + 1].startswith(">"):
            end += 1
        if i == 0 and not any(re.match(r"#{1,6} ", line) for line in lines[end + 1:]):
            end = len(lines) - 1  # the cell is the erratum and its explanation: fold it all
            while end > i and not lines[end].strip():
                end -= 1
        summary = SUMMARIES.get(m.group(1), "what the slide has, and what is right")
        out += [OPEN.format(id=m.group(1), summary=summary), "", *lines[i:end + 1], "", CLOSE]
        done.append(m.group(1))
        i = end + 1
    return "\n".join(out), done


def main(argv: list[str]) -> int:
    check = "--check" in argv
    unfolded = []
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        text = path.read_text(encoding="utf-8")
        nb, changed = json.loads(text), False
        for cell in nb["cells"]:
            if cell["cell_type"] != "markdown":
                continue
            new, ids = fold(_source(cell))
            if ids:
                unfolded += [f"{path.name}: {i}" for i in ids]
                if not check:
                    _set_source(cell, new)
                    changed = True
        if changed:
            path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    if unfolded:
        print(("not folded: " if check else "folded: ") + ", ".join(unfolded))
    return 1 if check and unfolded else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
