"""Session-state keys shared between pages (and tests that inject state through AppTest)."""
CANVAS_KEY = "draw_canvas"  # the Draw page's canvas value
LAST_DRAWING_KEY = "draw_last_features"  # the Draw page's last non-blank drawing as the 8x8 model input (64,)
MODEL_KEY = "active_model"  # name of the model the Draw page predicts with
TRAIN_JOB_KEY = "train_job"  # the Train page's current (or last) TrainingJob
TRAIN_RUNS_KEY = "train_runs"  # every TrainingJob this session started, in order (for "compare")
TRAIN_FORM_KEY = "train_form"  # the Train page's control values, kept while the user is on other pages
