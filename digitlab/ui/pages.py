"""The app's pages, defined once: app.py navigates between them and pages switch to them.

The default page is served at the root URL, and Streamlit's router then no longer knows its own
url_path: /draw opened directly showed "Page not found". So Draw is registered twice with the same
code: the default (root, in the menu) and a hidden page at /draw, which makes shareable links
work for every page.
"""
import streamlit as st

from digitlab.ui import draw, explore, models, my_drawings
from digitlab.ui import train as train_page
from digitlab.ui.home import DRAW
DRAW_BY_URL = st.Page(draw.page, title="Draw", icon="✏️", url_path="draw", visibility="hidden")
PAGES = [
    DRAW,
    st.Page(train_page.page, title="Train", icon=":material/model_training:", url_path="train"),
    st.Page(explore.page, title="Explore", icon=":material/travel_explore:", url_path="explore"),
    st.Page(my_drawings.page, title="My drawings", icon=":material/collections:", url_path="my-drawings"),
    st.Page(models.page, title="Models", icon=":material/deployed_code:", url_path="models"),
    DRAW_BY_URL,
]
