"""The latency floor: the same canvas in a fragment that only echoes the stroke count.
No model, no torch, no preprocessing: what Streamlit + the canvas cost on their own."""
import streamlit as st
from streamlit_drawable_canvas import st_canvas


@st.fragment
def panel() -> None:
    result = st_canvas(stroke_width=20, stroke_color="#000000", background_color="#FFFFFF", width=280,
                       height=280, drawing_mode="freedraw", update_streamlit=True, key="floor_canvas")
    strokes = len((result.json_data or {}).get("objects", []))
    st.metric("Strokes", strokes if strokes else "—")


panel()
