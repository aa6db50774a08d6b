"""DigitLab's Streamlit entry point: page config and navigation only; pages live in digitlab/ui/."""
import streamlit as st

from digitlab.ui import draw, models, my_drawings, style
from digitlab.ui import explore
from digitlab.ui import train as train_page
from digitlab.ui.resources import start_up

st.set_page_config(page_title="DigitLab", page_icon="✏️", layout="wide")
start_up()
style.apply()
page = st.navigation([
    st.Page(draw.page, title="Draw", icon="✏️", url_path="draw", default=True),
    st.Page(train_page.page, title="Train", icon=":material/model_training:", url_path="train"),
    st.Page(explore.page, title="Explore", icon=":material/travel_explore:", url_path="explore"),
    st.Page(my_drawings.page, title="My drawings", icon=":material/collections:", url_path="my-drawings"),
    st.Page(models.page, title="Models", icon=":material/deployed_code:", url_path="models"),
], position="top")
page.run()
