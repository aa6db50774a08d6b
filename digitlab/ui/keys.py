"""Session-state keys shared between pages (and tests that inject state through AppTest)."""
CANVAS_KEY = "draw_canvas"  # the Draw page's canvas value
MODEL_KEY = "active_model"  # name of the model the Draw page predicts with
