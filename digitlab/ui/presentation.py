"""Presentation mode, for a projector: large type for the prediction, the curves and the key numbers,
help icons hidden (a projected page has no hover). Pages fold their advanced controls away while
it is on (presentation.active()).

On with the switch (presentation.switch(), on the Train and Explore pages) or with ?present=1 in
any page's URL; the session remembers it and every page's URL carries present=1 while it is on, so
it survives page switches and goes along in a shared link.
"""
from __future__ import annotations

import streamlit as st

from digitlab.share import flag

STATE_KEY = "presenting"  # the session's setting (survives pages; the switch's own state does not)
SWITCH_KEY = "presenting_switch"
URL_KEY = "present"

# Only what a class must read from the back of a room grows: the prediction and other key numbers,
# the progress line, chart axes and titles. Help icons go (their text needs a hover).
STYLE = """<style>
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * { font-size: 6rem !important; line-height: 1.1; }
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] *,
[data-testid="stMetricDelta"], [data-testid="stMetricDelta"] * { font-size: 1.5rem !important; }
[data-testid="stProgress"] p, [data-testid="stAlertContentSuccess"] p { font-size: 1.5rem !important; }
.js-plotly-plot g[class$="tick"] text { font-size: 17px !important; }
.js-plotly-plot g[class$="title"] text, .js-plotly-plot .gtitle { font-size: 20px !important; }
[data-testid="stTooltipIcon"], [data-testid="stTooltipHoverTarget"] svg { display: none !important; }
</style>"""


def sync() -> bool:
    """Every run, before the page draws: take ?present= from the URL, keep the URL saying it, and
    style the page. Returns whether presentation mode is on."""
    from_url = flag(st.query_params.to_dict(), URL_KEY)
    if from_url is not None:
        st.session_state[STATE_KEY] = from_url
    on = bool(st.session_state.get(STATE_KEY, False))
    if on and st.query_params.get(URL_KEY) != "1":
        st.query_params[URL_KEY] = "1"
    elif not on and URL_KEY in st.query_params:
        del st.query_params[URL_KEY]
    if on:
        st.markdown(STYLE, unsafe_allow_html=True)
    return on


def active() -> bool:
    return bool(st.session_state.get(STATE_KEY, False))


def _switched() -> None:
    st.session_state[STATE_KEY] = st.session_state[SWITCH_KEY]
    if st.session_state[STATE_KEY]:
        st.query_params[URL_KEY] = "1"
    elif URL_KEY in st.query_params:
        del st.query_params[URL_KEY]


def switch() -> None:
    """The on/off switch (its label says what it does: no hover needed)."""
    st.session_state[SWITCH_KEY] = active()
    st.toggle("Presentation mode", key=SWITCH_KEY, on_change=_switched)
