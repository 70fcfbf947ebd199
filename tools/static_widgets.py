"""Interactive demos as plain HTML, for pages without a kernel (the course website, the slide decks).

The ipywidgets state that nbclient (``store_widget_state``) or JupyterLab (``saveState``) stores in an executed
notebook is turned into HTML: the figure as an ``<img>``, the summary, and the sliders as disabled range inputs
showing their values.  No widget JavaScript is needed, so a page never loads require.js or the widget manager
(from a CDN, as myst-nb and nbconvert would).  Cells tagged ``test-only`` (they move a demo's sliders for the
tests) are left out of every page.
"""

from __future__ import annotations

import base64
import html

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
TEST_ONLY = "test-only"  # the tag of cells that exist only for the tests (hidden in JupyterLab, left out here)
DEFAULT_NOTE = ("Interactive demo shown as it was after the run. Move its sliders in JupyterLab "
                "(<code>make lab</code>) or in the app (<code>make app</code>).")
NO_STATE_NOTE = "Interactive demo: run this notebook in JupyterLab (<code>make lab</code>) to see it."


def widget_models(nb) -> dict:
    return nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})


def _ref(value) -> str | None:
    return value[len("IPY_MODEL_"):] if isinstance(value, str) and value.startswith("IPY_MODEL_") else None


def _buffer(model: dict, key: str) -> bytes | None:
    for buf in model.get("buffers", []):
        if buf.get("path") == [key]:
            return base64.b64decode(buf["data"]) if buf.get("encoding", "base64") == "base64" else None
    value = model.get("state", {}).get(key)
    if isinstance(value, str):  # some managers inline the bytes as base64
        try:
            return base64.b64decode(value)
        except ValueError:
            return None
    return None


def _fmt(value, spec: str | None, integer: bool) -> str:
    spec = (spec or ("d" if integer else ".2f")).lstrip("~")
    try:
        return format(int(value) if integer else float(value), spec)
    except (TypeError, ValueError):
        return html.escape(str(value))


def widget_html(model_id: str, models: dict, depth: int = 0) -> str:
    """Plain HTML for a widget and its children, from the saved widget state (no JavaScript)."""
    model = models.get(model_id)
    if model is None or depth > 20:
        return ""
    name, st = model.get("model_name", ""), model.get("state", {})
    layout = models.get(_ref(st.get("layout")) or "", {}).get("state", {})
    desc = html.escape(st.get("description", "") or "")
    if name in ("VBoxModel", "HBoxModel", "BoxModel", "GridBoxModel", "AccordionModel", "TabModel"):
        kind = "hbox" if name == "HBoxModel" else "vbox"
        inner = "".join(widget_html(_ref(c) or "", models, depth + 1) for c in st.get("children", []))
        return f'<div class="static-widget static-{kind}">{inner}</div>' if inner else ""
    if name == "ImageModel":
        data = _buffer(model, "value")
        if not data:
            return ""
        fmt = html.escape(st.get("format", "png"))
        alt = html.escape(st.get("tooltip") or "Figure of the interactive demo, as it was after the run.")
        width = f' style="width: {html.escape(layout["width"])}"' if layout.get("width") else ""
        src = f"data:image/{'svg+xml' if fmt == 'svg' else fmt};base64,{base64.b64encode(data).decode()}"
        return f'<img class="static-figure" alt="{alt}" src="{src}"{width}>'
    if name in ("HTMLModel", "HTMLMathModel"):  # our own summaries: trusted HTML
        return f'<div class="static-html">{st.get("value", "")}</div>' if st.get("value") else ""
    if name == "LabelModel":
        return f'<div class="static-label">{html.escape(st.get("value", ""))}</div>'
    if name in ("FloatSliderModel", "IntSliderModel", "FloatLogSliderModel"):
        integer = name == "IntSliderModel"
        lo, hi = st.get("min", 0), st.get("max", 100 if integer else 10)
        value, step = st.get("value", lo), st.get("step", 1 if integer else 0.1)
        shown = _fmt(10 ** value if name == "FloatLogSliderModel" else value, st.get("readout_format"), integer)
        return (f'<div class="static-slider"><label>{desc}</label>'
                f'<input type="range" disabled min="{lo}" max="{hi}" step="{step}" value="{value}" '
                f'aria-label="{desc}"><output>{shown}</output></div>')
    if name == "PlayModel":
        return ('<div class="static-play"><button disabled aria-label="Play (works when the notebook runs)" '
                'title="Play works when the notebook runs">▶</button></div>')
    if name in ("CheckboxModel", "ToggleButtonModel") and isinstance(st.get("value"), bool):
        checked = " checked" if st["value"] else ""
        return f'<div class="static-check"><label><input type="checkbox" disabled{checked}> {desc}</label></div>'
    if name == "ButtonModel":
        return f'<button class="static-button" disabled>{desc}</button>'
    if "value" in st and not isinstance(st["value"], dict | list):
        return f'<div class="static-value"><label>{desc}</label> {html.escape(str(st["value"]))}</div>'
    return ""


def staticize_widgets(nb, note: str = DEFAULT_NOTE) -> int:
    """Replace every widget output by its static HTML (with ``note`` under it); drop the widget state.

    A widget output whose model is not in the saved state was closed before the save (a finished tqdm
    progress bar, say): JupyterLab shows nothing for it, and neither does the page.  Returns the number of
    widgets rendered.
    """
    models, replaced = widget_models(nb), 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if WIDGET_VIEW not in data:
                kept.append(out)
                continue
            model_id = data[WIDGET_VIEW].get("model_id", "")
            body = widget_html(model_id, models)
            if body:
                out["data"] = {"text/html": f'<div class="static-demo">{body}<p class="static-note">{note}</p></div>'}
                replaced += 1
            elif not models:  # saved without widget state: say so instead of showing 'VBox(children=...)'
                out["data"] = {"text/html": f'<p class="static-note">{NO_STATE_NOTE}</p>'}
            elif model_id in models:  # a widget this page cannot draw: its text form
                out["data"] = {k: v for k, v in data.items() if k == "text/plain"}
            else:
                continue  # closed before the save
            kept.append(out)
        cell.outputs = kept
    nb.metadata.pop("widgets", None)
    return replaced


def drop_test_cells(nb) -> int:
    """Remove the cells tagged ``test-only`` (they check that a demo reacts, for the tests): a student reading
    a page or a slide never sees them.  Returns how many were removed."""
    before = len(nb.cells)
    nb.cells = [c for c in nb.cells if TEST_ONLY not in c.get("metadata", {}).get("tags", [])]
    return before - len(nb.cells)
