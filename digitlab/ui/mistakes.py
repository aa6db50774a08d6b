"""A clickable confusion matrix and the mistakes gallery it filters, shared by the Train page
(test split) and My drawings (your kept drawings). Click a cell: the gallery shows only the
examples of that true -> predicted pair, each with its 8x8 input and the model's top three."""
from __future__ import annotations

import numpy as np
import streamlit as st

from digitlab import plots
from digitlab.evaluate import Evaluation
from digitlab.mistakes import Cell, cell_from_selection, mistakes
from digitlab.model import MLP
from digitlab.plots.cell_targets import with_cell_targets
from digitlab.ui.live_chart import live_chart

CARD = 96  # pixels: each mistake's 8x8 input as shown (the cards' grid: digitlab/ui/style.py)


def clickable_matrix(confusion: np.ndarray, key: str, normalized: bool = False, height: int = 420) -> Cell | None:
    """Draw the confusion heat map with clickable cells; the cell last clicked (true, predicted), if
    any, until "Show all mistakes" (forget_click). A live chart, not st.plotly_chart: that one brings
    its own copy of plotly.js, megabytes the browser loads and runs when a page first shows a
    matrix (seconds of a frozen tab on a slow machine, just as a run's results appear)."""
    live_chart(matrix_spec(np.asarray(confusion), normalized, height), key=key, on_click=lambda: _pick(key))
    return st.session_state.get(_picked_key(key))


@st.cache_data(max_entries=64, show_spinner=False)
def matrix_spec(confusion: np.ndarray, normalized: bool, height: int) -> dict:
    """The clickable heat map as a figure spec, built once per matrix: plotly.py's figure objects
    validate every property, and the pages showing a matrix rerun at every click and edit while
    the matrix stays the same (building it was a sixth of the Train page's reruns after a run)."""
    fig = plots.confusion_heatmap(confusion, normalized=normalized, height=height)
    return with_cell_targets(fig).to_plotly_json()


def _picked_key(matrix_key: str) -> str:
    return f"{matrix_key}_picked"


def _pick(matrix_key: str) -> None:
    """A click on the matrix: its point's x/y are the cell's predicted/true digit (a click off
    the cells picks nothing and keeps the last pick)."""
    point = getattr(st.session_state.get(matrix_key), "clicked", None)
    cell = cell_from_selection({"points": [point]})
    if cell is not None:
        st.session_state[_picked_key(matrix_key)] = cell


def forget_click(matrix_key: str) -> None:
    st.session_state.pop(_picked_key(matrix_key), None)


def gallery(model: MLP, x: np.ndarray, ev: Evaluation, cell: Cell | None, matrix_key: str, key: str, what: str,
            limit: int = 40) -> None:
    """The mistakes (all, or those of the cell clicked on the matrix drawn with `matrix_key`), most
    confident first."""
    shown, total = mistakes(model, x, ev, cell, limit)
    if cell is None:
        st.markdown(f"**Mistakes** — the {what} it got wrong, most confident first. "
                    "Click a cell of the confusion matrix to see only that pair.")
    else:
        true, predicted = cell
        head, clear = st.columns([4, 1], vertical_alignment="center")
        head.markdown(f"**Mistakes: true {true} → read as {predicted}** ({total} of {len(ev.wrong_index)} mistakes)")
        clear.button("Show all mistakes", key=f"{key}_clear", icon=":material/filter_alt_off:",
                     on_click=forget_click, args=(matrix_key,))
        if true == predicted:
            st.info(f"That cell holds the {what} read correctly as {true}: no mistakes there.")
            return
    if total == 0:
        st.success("No mistakes." if cell is None else f"No {cell[0]} among the {what} was read as {cell[1]}.")
        return
    st.html(cards_html(shown, key))
    if total > len(shown):
        st.caption(f"…and {total - len(shown)} more.")


def cards_html(shown: list, key: str) -> str:
    """Every card in one HTML element (a grid that wraps to the page's width): a gallery of 40
    cards as Streamlit columns, containers, images and markdown is some 170 elements for the browser to lay out, just
    as a run's results arrive. Only digits and percentages go into it, no user text."""
    cards = "".join(
        f'<div class="dl-mistake">'
        f'<img src="{plots.png_data_uri(plots.upscale(m.grid, CARD))}" width="{CARD}" height="{CARD}" '
        f'alt="a {m.true} read as {m.predicted}">'
        # Written out, not in a tooltip: a projector has no hover.
        f'<div>true <strong>{m.true}</strong> → <strong>{m.predicted}</strong><br>'
        + " · ".join(f"{d}: {p:.0%}" for d, p in m.top3) + "</div></div>"
        for m in shown)
    return f'<div class="dl-mistakes dl-{key}">{cards}</div>'
