"""The Draw page's logic through Streamlit's AppTest: a drawing injected as the canvas's value."""
import os

import pytest
from streamlit.testing.v1 import AppTest

from digitlab.strokes import arc
from digitlab.ui.keys import CANVAS_KEY, MODEL_KEY
from tests.support.apptest import canvas_value

APP = os.path.join(os.path.dirname(__file__), "..", "app.py")


def run(drawing=None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if drawing is not None:
        at.session_state[CANVAS_KEY] = canvas_value(drawing)
    return at.run()


def test_empty_canvas_shows_a_prompt_and_no_prediction():
    at = run()
    assert not at.exception
    assert at.metric[0].label == "Prediction" and at.metric[0].value == "—"
    assert "Draw a digit in the box" in at.metric[0].delta
    keep = at.button(key="keep_drawing")
    assert keep.disabled and at.segmented_control(key="truth_label").disabled, "nothing to keep yet"


@pytest.mark.parametrize("strokes, digit", [([[(140, 40), (140, 240)]], "1"), ([arc(140, 140, 60, 95, 0, 360)], "0")])
def test_a_drawing_is_predicted(strokes, digit):
    at = run(strokes)
    assert not at.exception
    assert at.metric[0].value == digit
    assert at.session_state[MODEL_KEY] == "default"


def test_a_blank_white_canvas_is_not_classified():
    at = run([])
    assert at.metric[0].value == "—" and not at.error


def test_a_canvas_value_that_is_not_a_drawing_is_said_so_and_the_page_lives():
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[CANVAS_KEY] = {"drawing": {"raw": {"objects": [{"type": "rect", "width": 9}]}}}
    at.run()
    assert not at.exception
    assert at.error and "Could not read the drawing" in at.error[0].value and "freehand" in at.error[0].value
    assert at.metric[0].value == "—"


def test_an_unsure_model_names_the_runner_up(models_tmp):
    from digitlab.store import save_model
    from digitlab.train import TrainConfig, fit, prepare, run_info

    config = TrainConfig(hidden=(4,), epochs=1, lr=1e-4)  # barely trained: never confident
    model, splits = prepare(config)
    save_model(model, "weak", run_info(config, list(fit(model, splits, config)), 0.1))
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[CANVAS_KEY] = canvas_value([arc(140, 140, 60, 95, 0, 360)])
    at.session_state[MODEL_KEY] = "weak"
    at.run()
    assert not at.exception
    assert at.warning and "unsure" in at.warning[0].value and "might also be" in at.warning[0].value
    assert at.metric[0].value in list("0123456789")


def test_a_broken_model_file_never_stops_the_app(models_tmp):
    import shutil

    from digitlab.store import PROJECT_MODELS

    for suffix in (".safetensors", ".json"):
        shutil.copy(PROJECT_MODELS / f"default{suffix}", models_tmp / f"default{suffix}")
    (models_tmp / "broken.safetensors").write_bytes(b"\x80\x04 not a model at all")
    (models_tmp / "half.safetensors").write_bytes((models_tmp / "default.safetensors").read_bytes()[:5000])
    at = run([[(140, 40), (140, 240)]])
    assert not at.exception
    assert at.metric[0].value == "1"
    skipped = " ".join(c.value for c in at.caption)
    assert "broken.safetensors" in skipped and "half.safetensors" in skipped
