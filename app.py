"""DigitLab's Streamlit entry point: page config and navigation only; pages live in digitlab/ui/."""
import streamlit as st

st.set_page_config(page_title="DigitLab", page_icon="✏️", layout="wide")
st.title("DigitLab")
st.write("Draw a digit, watch a neural network think, train it live. The Draw page is coming next.")
