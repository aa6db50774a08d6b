"""Static page styling shared by every page (no user data ever goes into it)."""
import streamlit as st

# Streamlit's default top padding (~6rem) under the top navigation wastes a laptop's height.
APP_STYLE = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.2rem; padding-bottom: 2rem; }
</style>"""


def apply() -> None:
    st.markdown(APP_STYLE, unsafe_allow_html=True)
