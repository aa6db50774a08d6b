"""DigitLab's Streamlit entry point: page config and navigation only; pages live in digitlab/ui/."""
import streamlit as st

from digitlab.ui import style
from digitlab.ui.pages import PAGES
from digitlab.ui.resources import start_up

st.set_page_config(page_title="DigitLab", page_icon="✏️", layout="wide")
start_up()
style.apply()
st.navigation(PAGES, position="top").run()
