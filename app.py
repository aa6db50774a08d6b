"""DigitLab's Streamlit entry point: page config and navigation only; pages live in digitlab/ui/."""
import streamlit as st

from digitlab.ui.live_chart import preload_plotly

st.set_page_config(page_title="DigitLab", page_icon="✏️", layout="wide")
# First, so the browser runs plotly.js while the server imports the modules below (seconds, the
# first time a server process shows a page) rather than freezing the tab when a chart is first drawn.
preload_plotly()

from digitlab.ui.startup import start_server_process  # noqa: E402 - after the preload (see above)

start_server_process()  # once per server process, before the pages' imports; a no-op under AppTest

from digitlab.ui import identity, style  # noqa: E402
from digitlab.ui.pages import PAGES  # noqa: E402

style.apply()
identity.sidebar()  # with DIGITLAB_TEACHER_KEY set: who this browser is, and the teacher field
st.navigation(PAGES, position="top").run()
