"""Static page styling shared by every page (no user data ever goes into it), and the live areas."""
from __future__ import annotations

import functools
from typing import Callable

import streamlit as st

from digitlab.ui import presentation

# Streamlit's default top padding (~6rem) under the top navigation wastes a laptop's height.
# The plotly.js preload (live_chart.preload_plotly) shows nothing and takes no room.
APP_STYLE = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.2rem; padding-bottom: 2rem; }
.st-key-plotly_preload { display: none; }
.dl-mistakes { display: grid; grid-template-columns: repeat(auto-fill, minmax(9rem, 1fr)); gap: 1rem; }
.dl-mistake { font-size: 0.95rem; line-height: 1.5; }
.dl-mistake img { display: block; margin-bottom: 0.4rem; image-rendering: pixelated; }
[class*="st-key-live_"] [data-testid="stElementContainer"][data-stale="true"] { opacity: 1 !important; transition: none !important; }
</style>"""
LIVE_KEY_PREFIX = "live_"  # the keys of live areas' containers: the rule above finds them by it


def apply() -> None:
    st.markdown(APP_STYLE, unsafe_allow_html=True)
    presentation.sync()  # ?present=1 or the switch: large type on every page


def live_fragment(name: str, run_every: float | None = None) -> Callable[[Callable], Callable]:
    """st.fragment, for output that reruns live (per stroke, per poll): its elements sit in a
    container keyed live_<name>, and don't dim while the fragment reruns (APP_STYLE).

    Streamlit marks a rerunning fragment's elements stale, which starts a CSS transition (a fade,
    half a second delayed) on each of them. A running transition makes the browser render a frame
    at every screen refresh for the whole rerun, on the same thread that must then draw the new
    output; and on a slow machine, where a rerun outlasts the delay, every stroke or poll would
    visibly dim the page. A live view's next state is moments away, so nothing is lost.
    """
    def decorate(func: Callable) -> Callable:
        @functools.wraps(func)  # the fragment's id comes from the function's name and place
        def in_live_area(*args, **kwargs):
            with st.container(key=LIVE_KEY_PREFIX + name):
                return func(*args, **kwargs)
        return st.fragment(in_live_area, run_every=run_every)
    return decorate
