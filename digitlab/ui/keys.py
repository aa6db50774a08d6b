"""Session-state keys shared between pages (and tests that inject state through AppTest)."""
CANVAS_KEY = "draw_canvas"  # the Draw page's canvas value
MODEL_KEY = "active_model"  # name of the model the Draw page predicts with
TRAIN_JOB_KEY = "train_job"  # the Train page's current (or last) TrainingJob
TRAIN_RUNS_KEY = "train_runs"  # every TrainingJob this session started, in order (for "compare")
TRAIN_FORM_KEY = "train_form"  # the Train page's control values, kept while the user is on other pages
