"""Issue 19 on the pages, through AppTest: confirming the guess keeps it, a one-tap dot is 'too
small to read', a stopped run's epochs, a diverged run is called out and not saved, and a model
that can't be used is never swapped for another silently."""
import json
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from digitlab import drawings
from digitlab.paths import PROJECT_MODELS
from digitlab.store import save_model
from digitlab.train import TrainConfig, fit, prepare, run_info
from digitlab.ui.keys import CANVAS_KEY, MODEL_KEY, TRAIN_JOB_KEY
from tests.support.apptest import canvas_value, until_evaluated

ROOT = Path(__file__).resolve().parent.parent
ONE = [[(140, 40), (140, 240)]]


def draw_page():
    from digitlab.ui import draw

    draw.page()


def train_page():
    from digitlab.ui import train

    train.page()


@pytest.fixture
def folder(models_tmp, tmp_path, monkeypatch):
    """The shipped default in a private models folder, and a private drawings database."""
    for suffix in (".safetensors", ".json"):
        shutil.copy(ROOT / "models" / f"default{suffix}", models_tmp / f"default{suffix}")
    monkeypatch.setenv("DIGITLAB_DATA_DIR", str(tmp_path / "data"))
    return models_tmp


def drawing_page(strokes, **state) -> AppTest:
    at = AppTest.from_function(draw_page, default_timeout=60)
    at.session_state[CANVAS_KEY] = canvas_value(strokes)
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def test_clicking_the_guessed_label_confirms_it_and_keep_stores_it(folder):
    at = drawing_page(ONE)
    label = at.segmented_control(key="truth_label")
    assert at.metric[0].value == "1" and label.value == 1
    label.set_value(None).run()  # what a click on the selected option sends: the control deselects it
    assert at.segmented_control(key="truth_label").value == 1, "the guess stays chosen"
    keep = at.button(key="keep_drawing")
    assert not keep.disabled
    keep.click().run()
    assert [(d.label, d.prediction) for d in drawings.list_drawings()] == [(1, 1)]


def test_choosing_another_label_still_works(folder):
    at = drawing_page(ONE)
    at.segmented_control(key="truth_label").set_value(7).run()
    at.button(key="keep_drawing").click().run()
    assert [d.label for d in drawings.list_drawings()] == [7]


def test_a_one_tap_dot_is_too_small_to_read(folder):
    at = drawing_page([[(140, 140), (141, 141)]])
    assert at.metric[0].value == "—" and at.metric[0].delta.startswith("Too small to read")
    blank = drawing_page([])
    assert blank.metric[0].delta.startswith("Draw a digit in the box")


def test_a_run_stopped_early_is_captioned_with_the_epochs_it_had(folder):
    config = TrainConfig(hidden=(8,), epochs=300)
    model, splits = prepare(config)
    history = []
    for m in fit(model, splits, config):
        history.append(m)
        if m.epoch == 3:
            break
    save_model(model, "stopped", run_info(config, history, 0.5))
    at = drawing_page(ONE, **{MODEL_KEY: "stopped"})
    assert any("3 of 300 epochs" in c.value for c in at.caption)
    shipped = json.loads((PROJECT_MODELS / "default.json").read_text())["metrics"]["epochs_run"]
    assert any(f"· {shipped} epochs" in c.value for c in drawing_page(ONE).caption), "the default ran all of its epochs"


def test_a_model_that_cannot_be_used_is_not_swapped_silently(folder):
    (folder / "boom.safetensors").write_bytes(b"not a model")
    at = drawing_page(ONE, **{MODEL_KEY: "boom"})
    assert at.session_state[MODEL_KEY] == "default"
    assert any("boom** can't be used" in w.value and "not a valid safetensors file" in w.value for w in at.warning)


def _start_diverging_run(epochs: int):
    """The Train page with momentum at lr 10 on a tiny net (NaN in the first epoch), started."""
    at = AppTest.from_function(train_page, default_timeout=60).run()
    at.text_input(key="train_hidden").set_value("16")
    at.selectbox(key="train_optimizer").set_value("momentum")
    at.select_slider(key="train_lr").set_value(10.0)
    at.number_input(key="train_epochs").set_value(epochs)
    at.run()
    at.button(key="train_start").click().run()
    return at, at.session_state[TRAIN_JOB_KEY]


def test_a_diverged_run_is_called_out_and_its_weights_are_not_saved(folder):
    at, job = _start_diverging_run(epochs=3)
    assert job.join(120)
    until_evaluated(at)
    assert any("Training diverged: the loss became **nan** in epoch 1" in e.value for e in at.error)
    at.text_input(key=f"train_name_{job.id}").set_value("boom").run()
    at.button(key=f"train_save_{job.id}").click().run()
    assert any(e.value.startswith("Not saved:") and "NaN or infinite" in e.value for e in at.error)
    assert not (folder / "boom.safetensors").exists()
    assert not [b for b in at.button if b.label.startswith("✏️ Use boom")], "nothing to switch to"


def test_a_diverging_run_offers_to_stop(folder):
    at, job = _start_diverging_run(epochs=2000)
    try:
        assert _wait_for(lambda: job.snapshot().history), "an epoch finishes"
        at.run()
        assert any("Training diverged" in e.value for e in at.error)
        at.button(key="train_stop_diverged").click().run()
        assert job.join(60) and job.snapshot().epoch < 2000
    finally:
        job.stop()
        job.join(60)


def _wait_for(condition, timeout=60.0):
    import time

    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()
