"""AppTest helpers: what the drawable canvas hands the Draw page, and a Train page run to its end."""
from __future__ import annotations

import numpy as np

from digitlab.plots import png_data_uri


def canvas_value(image: np.ndarray) -> dict:
    """The component value streamlit-drawable-canvas sends after a stroke: one path object and
    the canvas as a PNG data URL."""
    return {"drawing": {"raw": {"objects": [{"type": "path"}]}, "data": png_data_uri(image)}, "backgroundFit": None}


def until_evaluated(at):
    """Rerun until the Train page shows the evaluation: after a run ends, the curves first show its
    remaining epochs arrive, a few per poll (each AppTest run is one poll), then the results."""
    for _ in range(12):
        at.run()
        if any(m.label == "Test accuracy" for m in at.metric):
            break
    return at
