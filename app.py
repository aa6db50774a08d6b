"""DigitLab's Streamlit entry point: page config and navigation only; pages live in digitlab/ui/."""
import streamlit as st

from digitlab.ui import draw
from digitlab.ui.resources import start_up

st.set_page_config(page_title="DigitLab", page_icon="✏️", layout="wide")
start_up()
page = st.navigation([st.Page(draw.page, title="Draw", icon="✏️", url_path="draw", default=True)], position="top")
page.run()
