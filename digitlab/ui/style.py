"""Static page styling shared by every page (no user data ever goes into it)."""
import streamlit as st

from digitlab.ui import presentation

# Streamlit's default top padding (~6rem) under the top navigation wastes a laptop's height.
# The plotly.js preload (live_chart.preload_plotly) shows nothing and takes no room.
# Stale elements keep their look: Streamlit fades every element of a rerunning page or fragment
# with a CSS transition (shown after half a second), and a running transition has the browser
# render a frame at every screen refresh for the whole rerun, on the thread that must then draw the
# new output. DigitLab reruns per stroke and per poll, and its live views' next state is moments
# away: a fade would only dim the page on every stroke of a slow machine.
# The progress bar jumps to each poll's epoch: its eased move (baseweb's transform transition) ran
# from poll to poll, so the browser rendered frames for a whole training run, on a slow machine
# taking as much of the core as the training itself.
APP_STYLE = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.2rem; padding-bottom: 2rem; }
.st-key-plotly_preload { display: none; }
.dl-mistakes { display: grid; grid-template-columns: repeat(auto-fill, minmax(9rem, 1fr)); gap: 1rem; }
.dl-mistake { font-size: 0.95rem; line-height: 1.5; }
.dl-mistake img { display: block; margin-bottom: 0.4rem; image-rendering: pixelated; }
[data-testid="stElementContainer"][data-stale="true"] { opacity: 1 !important; transition: none !important; }
[data-testid="stProgress"] * { transition: none !important; }
</style>"""


def apply() -> None:
    st.markdown(APP_STYLE, unsafe_allow_html=True)
    presentation.sync()  # ?present=1 or the switch: large type on every page
