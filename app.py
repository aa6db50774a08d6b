"""DigitLab's Streamlit entry point: page config and navigation only; pages live in digitlab/ui/."""
import streamlit as st

from digitlab.ui import identity, style
from digitlab.ui.pages import PAGES
from digitlab.ui.startup import start_server_process

st.set_page_config(page_title="DigitLab", page_icon="✏️", layout="wide")
start_server_process()  # once per server process; a no-op under AppTest
style.apply()
identity.sidebar()  # with DIGITLAB_TEACHER_KEY set: who this browser is, and the teacher field
st.navigation(PAGES, position="top").run()
