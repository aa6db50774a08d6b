"""The Draw page as the app's home page, in a module of its own: pages.py lists it for navigation
and the Train page switches to it ("Use NAME on the Draw page") without importing pages.py, which
imports the Train page (that was an import cycle)."""
import streamlit as st

from digitlab.ui import draw

DRAW = st.Page(draw.page, title="Draw", icon="✏️", url_path="home", default=True)  # served at /
