"""Watch it learn your digit: on the Train page, pick a drawing (the last one made on the Draw page,
or one drawn here) and, while a run trains, see that drawing's ten probabilities after every epoch,
from the network being trained: bars for the epoch just shown and a line per digit over the run.

The page never touches the model being trained: the job is started with the drawing as its probe
(TrainingJob(..., probe=...)), its training process runs the drawing through the model at the end of
each epoch and sends the ten numbers as plain floats (Snapshot.probe), and this module draws them,
epoch by epoch, in step with the curves (the Train page's polls and catch-up replay).
"""
from __future__ import annotations

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from digitlab.canvas_drawing import preprocessed
from digitlab.jobs import Snapshot, TrainingJob
from digitlab.plots import grid_picture
from digitlab.plots.watch import set_watch, watch_bars, watch_lines
from digitlab.ui import presentation
from digitlab.ui.keys import LAST_DRAWING_KEY
from digitlab.ui.live_chart import live_chart

SOURCE_KEY = "watch_source"
CANVAS_HERE_KEY = "watch_canvas"
HERE_SIZE = 220  # px, this canvas's side
CLEARED_HERE_KEY = "watch_canvas_cleared"  # Clear presses: part of this canvas's key, as on the Draw page
PROBE_KEY = "_watch_probe"  # the features Train will watch, or None
FIGURES_KEY = "_watch_figures"  # {job id: (bars, lines)}, updated in place at every poll
FROM_DRAW_PAGE, DRAW_HERE = "My last drawing on the Draw page", "A drawing made here"
NOTHING_TO_WATCH = "Draw a digit on the Draw page or here to watch it being learned."
PICTURE = 26  # pixels per cell of the small 8x8 pictures


def probe() -> np.ndarray | None:
    """The drawing the next run will watch (64 raw 0-16 values), or None: for start_job."""
    return st.session_state.get(PROBE_KEY)


def _input(strokes: dict | None, size: int) -> np.ndarray | None:
    """This page's canvas drawing (its json_data) as the model's 8x8 input, drawn and preprocessed
    as the Draw page reads its canvas; None for a blank or unreadable one."""
    try:
        pre = preprocessed(strokes, size)
    except ValueError:
        return None
    return None if pre is None or pre.empty else pre.features


def draw_page_drawing() -> np.ndarray | None:
    """The last digit drawn on the Draw page, as its 8x8 input (the Draw page keeps it under
    LAST_DRAWING_KEY: its canvas's own value is dropped when another page runs). A blank or cleared
    canvas does not erase it: it stays the last drawing made."""
    return st.session_state.get(LAST_DRAWING_KEY)


@st.fragment
def chooser() -> None:
    """Which drawing to watch, drawn here or taken from the Draw page, and how the network will
    see it (8x8). A fragment: a stroke on this canvas reruns only this."""
    from_draw_page = draw_page_drawing()
    # On a projector the curves come first: the chooser is folded away (opened by a click, no hover).
    presenting = presentation.active()
    box = st.expander("Watch it learn your digit") if presenting else st.container(border=True, key="watch_chooser")
    with box:
        if not presenting:
            st.markdown("**Watch it learn your digit**")
        pick, canvas_col, seen_col = st.columns([1.3, 1, 1], gap="medium")
        with pick:
            # The Draw page's drawing unless a person asks for a canvas here: a second canvas costs
            # every visit a component to load, and with nothing drawn yet the note says what to do.
            source = st.radio("Drawing to watch", [FROM_DRAW_PAGE, DRAW_HERE], key=SOURCE_KEY)
            st.caption("While it trains, see after every epoch how sure the network is of each digit for this "
                       "drawing. The drawing is fixed when you press Train.")
        with canvas_col:
            if source == DRAW_HERE:
                cleared = st.session_state.get(CLEARED_HERE_KEY, 0)
                # The Draw page's brush-to-box ratio. Not smaller: the canvas's hover toolbar covers its top ~35 px.
                canvas = st_canvas(stroke_width=16, stroke_color="#000000", background_color="#FFFFFF",
                                   width=HERE_SIZE, height=HERE_SIZE, drawing_mode="freedraw",
                                   update_streamlit=True, key=f"{CANVAS_HERE_KEY}_{cleared}")
                st.button("Clear", icon=":material/ink_eraser:", key="watch_clear", on_click=_clear_here)
                chosen = _input(canvas.json_data, HERE_SIZE)
            else:
                chosen = from_draw_page
        st.session_state[PROBE_KEY] = chosen
        with seen_col:
            if chosen is None:
                st.info(NOTHING_TO_WATCH, icon=":material/draw:")
            else:
                st.image(grid_picture(chosen, PICTURE), caption="What the network will see (8×8)")


def _clear_here() -> None:
    st.session_state[CLEARED_HERE_KEY] = st.session_state.get(CLEARED_HERE_KEY, 0) + 1


def show(job: TrainingJob | None, snap: Snapshot | None = None, visible: int | None = None,
         epochs: int | None = None) -> None:
    """The watched drawing's probabilities after each of the first `visible` epochs (all) of the
    job's run: the job's own probe, which may differ from the one chosen now. Before any run
    (job None), empty charts for the drawing chosen, so they are on the page (and in view) when the
    first epoch arrives."""
    watched = job.probe if job is not None else probe()
    if watched is None:  # before a run the chooser says what to do; after one, say why nothing is shown
        if job is not None:
            st.caption("This run watched no drawing. " + NOTHING_TO_WATCH)
        return
    figures = st.session_state.setdefault(FIGURES_KEY, {})
    job_id = job.id if job is not None else None
    if job_id not in figures:
        figures.clear()
        figures[job_id] = watch_bars(), watch_lines(epochs if job is None else job.config.epochs)
    rows = snap.probe[:visible] if snap is not None else ()
    epoch_numbers = [m.epoch for m in snap.history[:len(rows)]] if snap is not None else []
    bars, lines = set_watch(*figures[job_id], rows, epoch_numbers)
    with st.container(key="watch_progress"):
        st.markdown("**Your digit, as the network learns it**")
        picture, bar_col, line_col = st.columns([0.6, 1.2, 1.8], gap="medium", vertical_alignment="center")
        with picture:
            if job is None:  # the chooser above shows the drawing already
                st.caption("Press **Train**: this drawing's ten probabilities appear here after every epoch.")
            else:
                st.image(grid_picture(watched, PICTURE // 2 + 4), caption="the watched drawing (8×8)")
        with bar_col:
            live_chart(bars, key="watch_bars")
        with line_col:
            live_chart(lines, key="watch_lines")
