"""AppTest helpers: what the drawable canvas component hands the Draw page for a given image."""
from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image


def canvas_value(image: np.ndarray) -> dict:
    """The component value streamlit-drawable-canvas sends after a stroke: one path object and
    the canvas as a PNG data URL."""
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG")
    data = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    return {"drawing": {"raw": {"objects": [{"type": "path"}]}, "data": data}, "backgroundFit": None}
