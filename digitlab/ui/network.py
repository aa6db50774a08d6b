"""Inside the network, on the Draw page: what every layer does with the current drawing.

Called from inside the Draw page's fragment, so it updates with every stroke, while the page's
"Show inside the network" toggle is on (off, it costs nothing). One forward + backward pass
(digitlab.introspect) feeds all the figures; the what-if probe is one more batched forward pass.
The figures are live charts (digitlab.ui.live_chart): a stroke redraws them in place, and a blank
canvas shows the same views for blank paper, so they stay put. Each view's title and explanation
are one element (titled): the browser redraws every element of the fragment at every stroke, and
a text element costs it about as much as a chart it doesn't have to draw.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from digitlab import plots
from digitlab.introspect import Inside, look_inside, probe
from digitlab.model import MLP
from digitlab.ui.live_chart import live_chart

TOP_K = 12  # units per column in the diagram for wide layers
WEIGHT_TILES = 16  # first-layer weight images shown
SALIENCY_KINDS = {
    "input × gradient": "what your ink did: orange cells pushed for the prediction, blue cells against",
    "gradient": "where more ink would push for (orange) or against (blue) the prediction, ink or not",
}
SALIENCY_KEY = "inside_saliency_kind"
PROBE_ROW, PROBE_COL, PROBE_VALUE = "inside_probe_row", "inside_probe_col", "inside_probe_value"  # the sliders' keys
PROBE_SLIDERS = {PROBE_ROW: 3, PROBE_COL: 3, PROBE_VALUE: 0}  # key: its default
PROBE_GRID = "inside_probe_grid"  # the probe's clickable 8x8 grid


def titled(title: str, note: str) -> None:
    """A view's title and, under it, its explanation in small grey type: one element."""
    st.markdown(f"{title}  \n:gray[:small[{note}]]")


def inside_panel(model: MLP, features: np.ndarray | None) -> None:
    """The views for the current drawing (the Draw page calls this while its toggle is on)."""
    blank = features is None
    if blank:  # the same views for blank paper: the charts stay put and just redraw
        features = np.zeros(64, np.float32)
    inside = look_inside(model, features)
    # One line either way, so the charts below don't move when a drawing starts or is cleared.
    titled("#### Inside the network",
           "Nothing drawn yet: this is how the network responds to a blank canvas. Draw a digit to see how "
           "each layer responds to it." if blank else
           f"For your drawing, which the network reads as a {inside.predicted} ({inside.probs[inside.predicted]:.0%}).")
    diagram_col, saliency_col = st.columns([2.0, 1.0], gap="medium")
    with diagram_col:
        show_diagram(inside)
    with saliency_col:
        show_saliency(inside)
    act_col, weight_col = st.columns(2, gap="medium")
    with act_col:
        titled("**Hidden-layer activations**",
               "Every unit of every hidden layer, in order. Orange bars fire for this drawing; blue are negative.")
        live_chart(plots.activation_bars(inside), key="inside_activations")
    with weight_col:
        show_weights(inside)
    show_probe(model, inside)


def show_diagram(inside: Inside) -> None:
    wide = any(len(v) > TOP_K for v in inside.layer_values[:-1])
    titled("**The network, for this drawing**",
           "Each line is a weight × the activation feeding it: orange adds to the next unit, blue subtracts; "
           "thicker means a bigger push. Units are coloured by their value."
           + (f" Wide layers show only their {TOP_K} strongest units (inputs: the {TOP_K} cells with the "
              "biggest saliency), so most lines are hidden." if wide else ""))
    live_chart(plots.network_diagram(inside, top_k=TOP_K), key="inside_diagram")


def show_saliency(inside: Inside) -> None:
    shown = st.session_state.get(SALIENCY_KEY)  # the choice below, as it stands for this run
    kind = shown if shown in SALIENCY_KINDS else next(iter(SALIENCY_KINDS))
    titled(f"**What pushed the {inside.predicted}**" if inside.features.any() else
           "**What pushed the prediction** (no ink yet: nothing did)",
           f"{kind.capitalize()} of the score for {inside.predicted}: {SALIENCY_KINDS[kind]}.")
    st.radio("Saliency", list(SALIENCY_KINDS), key=SALIENCY_KEY, horizontal=True, label_visibility="collapsed")
    values = inside.saliency if kind == "input × gradient" else inside.gradient
    fig = plots.saliency_map(values, inside.features, inside.predicted, what="pushed" if kind != "gradient" else "slope")
    live_chart(fig, key="inside_saliency")


def show_weights(inside: Inside) -> None:
    width = len(inside.hidden[0])
    shown = min(WEIGHT_TILES, width)
    titled("**First-layer weights, most active units first**",
           f"Each square is one unit's 64 input weights as an 8×8 image ({shown} of {width} units, "
           "#unit · activation): orange cells excite it, blue inhibit it.")
    live_chart(plots.weight_images(inside, k=WEIGHT_TILES), key="inside_weights")


def show_probe(model: MLP, inside: Inside) -> None:
    # The sliders' values as they stand for this run (the same defaults as theirs), so the verdict
    # can share the title's element above them.
    row, col, value = (st.session_state.get(key, default) for key, default in PROBE_SLIDERS.items())
    cell = row * 8 + col
    changed = inside.features.copy()
    changed[cell] = value
    after = probe(model, inside.features, cell, [value])[0]
    top, was = int(after.argmax()), inside.predicted
    verdict = f"still a **{top}**" if top == was else f"now a **{top}** instead of a {was}"
    titled("**What if?** Change one cell of the 8×8 input and watch the ten probabilities move. Click a cell to pick it.",
           f"Cell (row {row}, column {col}) is {inside.features[cell]:.0f} in your drawing; at {value} the network "
           f"says {verdict} ({after[top]:.0%}; P({was}) {inside.probs[was]:.0%} → {after[was]:.0%}).")
    controls, grid_col, bars_col = st.columns([1.0, 0.8, 1.6], gap="medium")
    with controls:
        st.slider("Row", 0, 7, PROBE_SLIDERS[PROBE_ROW], key=PROBE_ROW)
        st.slider("Column", 0, 7, PROBE_SLIDERS[PROBE_COL], key=PROBE_COL)
        st.slider("New value", 0, 16, PROBE_SLIDERS[PROBE_VALUE], key=PROBE_VALUE,
                  help="0 is blank paper, 16 a fully inked 4×4 block.")
    with grid_col:
        live_chart(plots.probe_grid(changed, cell), key=PROBE_GRID, on_click=_pick_clicked_cell)
    with bars_col:
        live_chart(plots.probe_bars(inside.probs, after), key="inside_probe_bars")


def _pick_clicked_cell() -> None:
    """A click on the probe's 8x8 grid moves the Row and Column sliders there (heat map x = column, y = row)."""
    point = getattr(st.session_state.get(PROBE_GRID), "clicked", None)
    if isinstance(point, dict) and all(isinstance(point.get(a), int) and 0 <= point[a] <= 7 for a in ("x", "y")):
        st.session_state[PROBE_ROW], st.session_state[PROBE_COL] = point["y"], point["x"]
