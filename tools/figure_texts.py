"""Sweep every figure the notebooks draw for text defects (found by the walkthrough: docs/walkthrough/README.md).

    python tools/figure_texts.py [NOTEBOOK ...]     # default: notebooks/0[0-8]_*.ipynb

Each notebook runs from a fresh kernel with one cell put in front that wraps matplotlib's Agg ``draw``
(used by the inline backend and by the demos' canvases alike): after each draw, every visible text of
the figure is measured.  Printed per notebook:

* ``raw``: ``_`` or ``^`` outside ``$...$`` (a label that shows ``p_g`` instead of mathtext);
* ``mixed``: a title or label with mathtext and, outside it, ``=`` or a bracketed formula;
* ``clipped``: text that reaches outside the figure (cut off in the PNG);
* ``overlap``: two texts of one figure whose boxes overlap by more than a quarter of the smaller one.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

HOOK = r'''
import json as _json, os as _os, re as _re
from matplotlib.backends.backend_agg import FigureCanvasAgg as _Agg
_orig_draw, _log = _Agg.draw, _os.environ["FIGURE_TEXTS_LOG"]

def _outside_math(s):
    return "".join(part for i, part in enumerate(_re.split(r"(?<!\\)\$", s)) if i % 2 == 0)

def _texts_after_draw(self, *args, **kwargs):
    out = _orig_draw(self, *args, **kwargs)
    fig, renderer = self.figure, self.get_renderer()
    width, height = renderer.width, renderer.height
    texts = list(fig.texts) + [t for t in (getattr(fig, "_suptitle", None),) if t is not None]
    for leg in fig.legends:
        texts += [*leg.get_texts(), leg.get_title()]
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for axis in (ax.xaxis, ax.yaxis) if ax.axison else ():  # (ax.axis("off") hides ticks and labels)
            for tick in axis._update_ticks():  # the ticks inside the view limits (the ones drawn)
                texts += [tick.label1, tick.label2]
            texts += [axis.label, axis.offsetText]
        texts += [ax.title, ax._left_title, ax._right_title, *ax.texts]
        if ax.get_legend() is not None:
            texts += [*ax.get_legend().get_texts(), ax.get_legend().get_title()]
    found, seen = [], set()
    for t in texts:
        s = t.get_text()
        if id(t) in seen or not s.strip() or not t.get_visible():
            continue
        seen.add(id(t))
        try:
            b = t.get_window_extent(renderer)
        except Exception:
            continue
        found.append((s, b))
    rec = []
    for s, b in found:
        plain = _outside_math(s)
        if _re.search(r"[A-Za-z0-9)\]}][_^]", plain):
            rec.append(["raw", s])
        if "$" in s and _re.search(r"=|[a-zA-Z]\([a-z]", plain):
            rec.append(["mixed", s])
        if b.x0 < -1 or b.y0 < -1 or b.x1 > width + 1 or b.y1 > height + 1:
            rec.append(["clipped", s, [round(b.x0), round(b.y0), round(b.x1), round(b.y1)], [width, height]])
    for i, (s1, b1) in enumerate(found):
        for s2, b2 in found[i + 1:]:
            w = min(b1.x1, b2.x1) - max(b1.x0, b2.x0)
            h = min(b1.y1, b2.y1) - max(b1.y0, b2.y0)
            small = min(b1.width * b1.height, b2.width * b2.height)
            if w > 0 and h > 0 and small > 0 and w * h > 0.25 * small:
                rec.append(["overlap", s1, s2])
    if rec:
        with open(_log, "a") as f:
            for r in rec:
                f.write(_json.dumps(r) + "\n")
    return out

_Agg.draw = _texts_after_draw
'''


def sweep(path: Path) -> dict[str, list]:
    import nbformat  # the lab extra (not in make test-oldest, which tests only the detector)
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(HOOK))
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as log:
        pass
    os.environ["FIGURE_TEXTS_LOG"] = log.name
    NotebookClient(nb, timeout=900, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    found: dict[str, list] = {}
    for line in Path(log.name).read_text().splitlines():
        kind, *rest = json.loads(line)
        if rest not in found.setdefault(kind, []):
            found[kind].append(rest)
    os.unlink(log.name)
    return found


def main(argv: list[str]) -> None:
    paths = [Path(a) for a in argv] or sorted((REPO / "notebooks").glob("0[0-8]_*.ipynb"))
    for path in paths:
        found = sweep(path.resolve())
        print(f"== {path.name}: " + (", ".join(f"{k} {len(v)}" for k, v in found.items()) or "nothing found"))
        for kind, items in found.items():
            for item in items:
                print(f"  {kind}: {json.dumps(item, ensure_ascii=False)}")
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
