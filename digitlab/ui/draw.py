"""The Draw page: draw a digit, see what the network sees and what it thinks, live.

Everything that depends on the drawing lives in one fragment, so a stroke reruns only that
fragment: no page rerun, no model reload (cached), the probability chart is built once per session
and updated in place, and what the network sees is one picture (the 8x8 grid with its counts,
and the steps that made it), the cheapest thing for a browser to redraw per stroke.
"""
from __future__ import annotations


import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from digitlab import drawings, plots
from digitlab.canvas_drawing import preprocessed
from digitlab.model import is_unsure, predict_proba
from digitlab.preprocess import Preprocessed
from digitlab.store import ModelError
from digitlab.ui import identity
from digitlab.ui.keys import CANVAS_KEY, LAST_DRAWING_KEY, MODEL_KEY
from digitlab.ui.live_chart import live_chart
from digitlab.ui.network import inside_panel
from digitlab.ui.resources import DEFAULT_NAME, catalogue, get_model

TRUTH_KEY = "truth_label"
TRUTH_LAST_KEY = "_truth_last"  # the label last chosen, to undo the control's click-to-deselect
CLEARED_KEY = "canvas_cleared"  # how many times Clear was pressed: part of the canvas's key
INSIDE_KEY = "inside_show"
CANVAS_SIZE = 280  # px, square
COLUMNS = [1.0, 1.25, 1.0]  # canvas | prediction | what the network sees (the toolbar lines up with them)
BLANK_PROMPT = "Draw a digit in the box to see what the network thinks it is."
TOO_SMALL_PROMPT = "Too small to read: draw the digit bigger, filling most of the box."


# Static page styling (no user data): a big prediction digit, room above the canvas's toolbar (a
# margin, not a spacer element: every element in the fragment is redrawn by the browser per stroke).
# On a phone (Streamlit stacks columns under 640 px) the toolbar moves below the drawing and its
# prediction, so both fit on the first screen: draw, and the answer is right under your finger.
STYLE = """<style>
[data-testid="stMetricValue"] { font-size: 4.5rem; line-height: 1.1; }
[class*="st-key-CANVAS_KEY"] { margin-top: 2.2rem; }
@media (max-width: 640px) { [data-testid="stLayoutWrapper"]:has(> .st-key-draw_toolbar) { order: 1; } }
</style>""".replace("CANVAS_KEY", CANVAS_KEY)  # the canvas's key, and its keys after a Clear (CANVAS_KEY_n)


def page() -> None:
    st.markdown(STYLE, unsafe_allow_html=True)
    st.markdown("### ✏️ Draw a digit")
    st.caption(
        "Draw one digit, 0 to 9, in the white box. DigitLab shrinks your drawing to the 8×8 grid of ink "
        "counts the network learned from, and shows how sure it is of every digit as you draw."
    )
    toolbar()
    drawing_panel()


def toolbar() -> None:
    """Brush, model and the inside-the-network switch: outside the drawing's fragment, so a stroke
    doesn't redraw them (a change reruns the page, fragment and all, re-reading the drawing)."""
    brush_col, model_col, inside_col = st.container(key="draw_toolbar").columns(COLUMNS, gap="medium",
                                                                                vertical_alignment="top")
    with brush_col:
        st.slider("Brush width", min_value=6, max_value=40, value=20, step=1, key="brush_width",
                  help="Thicker strokes survive the shrink to 8×8 better; about 20 px suits most digits.")
    with model_col:
        model_picker()
    with inside_col:
        st.toggle("Show inside the network", key=INSIDE_KEY,
                  help="Activations, weights, saliency, a network diagram and a what-if probe for your drawing, "
                       "under the drawing.")


@st.fragment
def drawing_panel() -> None:
    canvas_col, result_col, steps_col = st.columns(COLUMNS, gap="medium")
    # A new key is a new, blank canvas: how the Clear button clears it (see clear_canvas).
    cleared = st.session_state.get(CLEARED_KEY, 0)
    key = CANVAS_KEY if not cleared else f"{CANVAS_KEY}_{cleared}"
    try:  # the model picked in the toolbar; it may have been deleted since (Models page, disk)
        loaded = get_model(st.session_state[MODEL_KEY])
    except (KeyError, OSError, ModelError) as exc:
        with canvas_col:
            canvas(key)
        st.error(f"The selected model can't be used ({exc}). Pick another one above.")
        return
    # The drawing as the canvas last sent it, read before the canvas is placed: the prediction is
    # what a stroke is for, so it goes to the browser first, and the canvas (which a stroke's rerun
    # leaves as it is) after it.
    strokes = last_drawing(key)
    try:
        pre = preprocessed(strokes, CANVAS_SIZE)
    except ValueError as exc:  # a drawing we cannot read: say so, keep the page alive
        with result_col:
            st.error(f"Could not read the drawing: {exc}")
        pre = None
    drawn = pre if pre is not None and not pre.empty else None
    if drawn is not None:  # the Train page watches it being learned (a widget's value ends with its page)
        st.session_state[LAST_DRAWING_KEY] = drawn.features
    probs = predict_proba(loaded.model, drawn.features) if drawn else None
    speck = pre is not None and pre.empty and bool((pre.ink > 0.5).any())  # ink, but too little to be a digit
    with result_col:
        show_prediction(probs, prompt=TOO_SMALL_PROMPT if speck else BLANK_PROMPT)
        keep_form(drawn, probs, strokes, loaded.name)
    with canvas_col:
        canvas(key)
    with steps_col:
        show_steps(drawn)
    if st.session_state.get(INSIDE_KEY):  # switched on in the toolbar (issue 7)
        inside_panel(loaded.model, drawn.features if drawn else None)


def canvas(key: str) -> None:
    # Strokes only (json_data), no PNG of the canvas: digitlab.canvas_drawing draws them here.
    st_canvas(stroke_width=st.session_state.get("brush_width", 20), stroke_color="#000000",
              background_color="#FFFFFF", width=CANVAS_SIZE, height=CANVAS_SIZE, drawing_mode="freedraw",
              update_streamlit=True, key=key)
    # The canvas's own bin only shows on hover, which phones and tablets don't have.
    st.button("Clear", icon=":material/ink_eraser:", key="clear_canvas", on_click=clear_canvas,
              help="Start again on a blank canvas.")


def last_drawing(key: str) -> dict | None:
    """The strokes (json_data) the canvas under `key` last sent, from its widget state; None
    before its first send."""
    state = st.session_state.get(key)
    return ((state or {}).get("drawing") or {}).get("raw")


def clear_canvas() -> None:
    """Runs before the rerun the Clear button starts, so the canvas is drawn anew under a new key."""
    st.session_state[CLEARED_KEY] = st.session_state.get(CLEARED_KEY, 0) + 1


def keep_form(pre: Preprocessed | None, probs: np.ndarray | None, strokes: dict | None, model_name: str) -> None:
    """Confirm or correct the label and keep the drawing: it goes to My drawings, where it can
    score models and (on the Train page) teach them this person's handwriting. In a popover: while
    it is closed the browser has none of its controls to redraw at every stroke. Shown, disabled,
    on a blank canvas too, so the page keeps its layout when a drawing starts or is cleared."""
    with st.popover("Keep this drawing", icon=":material/bookmark_add:", disabled=pre is None,
                    help="Label the drawing and keep it in My drawings, to teach a model your handwriting."):
        # One widget for every drawing (a new one per stroke would cost the browser a remount);
        # its value starts at the new guess whenever the drawing changes.
        guess = int(np.argmax(probs)) if pre is not None else None
        drawing_id = hash(pre.grid.tobytes()) if pre is not None else None
        if st.session_state.get("_truth_for", "") != drawing_id:  # "": never set (None is the blank canvas)
            st.session_state["_truth_for"], st.session_state[TRUTH_KEY] = drawing_id, guess
        if st.session_state.get(TRUTH_KEY) is not None:
            st.session_state[TRUTH_LAST_KEY] = st.session_state[TRUTH_KEY]
        truth = st.segmented_control("Teach it: this drawing is a", list(range(10)), key=TRUTH_KEY,
                                     disabled=pre is None, on_change=_keep_a_label,
                                     help="Confirm or correct the label, then keep the drawing in My drawings.")
        if st.button("Keep", icon=":material/bookmark_add:", disabled=pre is None or truth is None,
                     key="keep_drawing") and pre is not None:
            try:
                drawings.add(int(truth), pre.grid, strokes=strokes, prediction=guess, model=model_name, actor=identity.actor())
            except drawings.DrawingsError as exc:
                st.error(f"Could not keep the drawing: {exc}")
            else:
                st.toast(f"Kept as a {truth}. See it under My drawings.", icon="✅")


def _keep_a_label() -> None:
    """st.segmented_control deselects its option when that option is clicked again; clicking the
    label already chosen (e.g. to confirm the guess) must confirm it, so put it back."""
    if st.session_state.get(TRUTH_KEY) is None and st.session_state.get(TRUTH_LAST_KEY) is not None:
        st.session_state[TRUTH_KEY] = st.session_state[TRUTH_LAST_KEY]


def model_picker() -> None:
    rows, broken = catalogue()
    names = [r["name"] for r in rows]
    if not names:
        st.error("No usable model in the models folder. Train one: `python -m digitlab train --out mine`.")
        st.stop()
    wanted = st.session_state.get(MODEL_KEY)
    if wanted not in names:
        st.session_state[MODEL_KEY] = DEFAULT_NAME if DEFAULT_NAME in names else names[0]
        if wanted is not None:  # say so: never switch models silently
            reason = dict(broken).get(f"{wanted}.safetensors", "it is no longer in the models folder")
            st.warning(f"**{wanted}** can't be used ({reason}). Showing **{st.session_state[MODEL_KEY]}** instead.")
    by_name = {r["name"]: r for r in rows}
    name = st.selectbox("Model", names, key=MODEL_KEY, format_func=lambda n: _model_label(by_name[n]),
                        help="The shipped default and every saved model. Switching re-reads your drawing.")
    row = by_name[name]
    train = row["train"]
    st.caption(f"{'–'.join(map(str, row['hidden']))} {row['activation']} MLP · {train.get('optimizer', '?')} "
               f"lr {train.get('lr', '?')} · {epochs_text(row)} · augment {train.get('augment', 0)}")
    for file, reason in broken:
        st.caption(f"⚠️ skipped {file}: {reason}")


def epochs_text(row: dict) -> str:
    """'150 epochs', or '177 of 300 epochs' for a run stopped early: what the model really had."""
    planned, run = row["train"].get("epochs"), row.get("epochs_run")
    if run is not None and planned is not None and run != planned:
        return f"{run} of {planned} epochs"
    return f"{planned if planned is not None else run if run is not None else '?'} epochs"


def _model_label(row: dict) -> str:
    acc = row["test_accuracy"]
    return f"{row['name']} — {acc:.1%} test accuracy" if acc is not None else row["name"]


def show_prediction(probs: np.ndarray | None, prompt: str = BLANK_PROMPT) -> None:
    if probs is None:  # the prompt where the certainty goes, so the page keeps its layout
        st.metric("Prediction", "—", delta=prompt, delta_color="off", delta_arrow="off")
        st.empty()  # the unsure warning's place
    else:
        order = np.argsort(probs)[::-1]
        best, runner = int(order[0]), int(order[1])
        st.metric("Prediction", str(best), delta=f"{probs[best]:.0%} sure", delta_color="off", delta_arrow="off")
        message = st.empty()  # in the prompt's place, so the chart below keeps its place (and its plot)
        if is_unsure(probs):  # the CLI's rule too (predict --json)
            message.warning(f"The network is unsure: it might also be a **{runner}** ({probs[runner]:.0%}).")
    # Always there (ten empty bars on a blank canvas): a stroke or a clear only redraws its bars.
    spec = _session_figure("_fig_probs", lambda: plots.probability_bars(np.zeros(10), height=225).to_plotly_json())
    live_chart(plots.set_probabilities(spec, np.zeros(10) if probs is None else probs), key="probs_chart")


def show_steps(pre: Preprocessed | None) -> None:
    st.markdown("**What the network sees**")
    picture = plots.what_the_network_sees(*((pre.crop, pre.bitmap, pre.grid) if pre is not None else (None,) * 3))
    caption = ("Top: the 8×8 input, ink pixels per 4×4 block (0–16). Under it, how it was made: your ink, "
               "cropped → fitted into the dataset's 32×32 box." if pre is not None else
               "Your drawing, cropped, fitted into the dataset's 32×32 box and counted into 8×8, will appear here.")
    # The explanation as the picture's own caption: one element less for the browser to redraw per stroke.
    st.image(picture, width=picture.shape[1], caption=caption)


def _session_figure(key: str, build):
    """One figure spec per session, built once; every stroke sends it with new numbers."""
    if key not in st.session_state:
        st.session_state[key] = build()
    return st.session_state[key]
