"""Watch it learn your digit: a TrainingJob's probe (one drawing) is run through the network being
trained after every epoch, in the training thread; the Train page shows those probabilities."""
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from digitlab.canvas_drawing import preprocessed
from digitlab.data import load_splits
from digitlab.jobs import DONE, Slots, TrainingJob
from digitlab.model import predict_proba
from digitlab.plots.watch import MAX_POINTS, set_watch, watch_bars, watch_lines
from digitlab.train import TrainConfig, fit, prepare
from digitlab.ui.keys import CANVAS_KEY, TRAIN_JOB_KEY
from tests.support.apptest import canvas_value, pencil_drawing, until_evaluated

CONFIG = TrainConfig(hidden=(16,), epochs=5, val_fraction=0.2, seed=3)
ROOT = Path(__file__).resolve().parents[1]
JOB_WAIT_S = 600  # an upper bound (joins return when done), for a slow or shared core


@pytest.fixture(scope="module")
def probe():
    """A real test digit (raw 0-16 counts), never trained on."""
    return load_splits(CONFIG.val_fraction).x_test[0].copy()


def test_the_probe_s_probabilities_are_recorded_after_every_epoch_from_the_model_being_trained(probe):
    job = TrainingJob(CONFIG, slots=Slots(1), probe=probe).start()
    assert job.join(JOB_WAIT_S)
    snap = job.snapshot()
    assert snap.state == DONE
    assert len(snap.probe) == len(snap.history) == CONFIG.epochs  # one entry per epoch
    rows = np.array(snap.probe)
    assert rows.shape == (CONFIG.epochs, 10)
    assert all(isinstance(p, float) for row in snap.probe for p in row), "plain floats, no tensors"
    np.testing.assert_allclose(rows.sum(axis=1), 1.0, atol=1e-6)
    # The last epoch's entry is the finished model's answer for the same drawing.
    np.testing.assert_allclose(rows[-1], predict_proba(job.model, probe), atol=1e-6, rtol=0)
    # Every epoch's entry is the network as that epoch left it: the same loop run directly.
    model, splits = prepare(CONFIG)
    reference = []
    for _ in fit(model, splits, CONFIG):
        reference.append(predict_proba(model, probe))
    np.testing.assert_allclose(rows, np.array(reference), atol=1e-6, rtol=0)
    assert np.abs(rows[0] - rows[-1]).max() > 1e-3, "the network's answer moves as it learns"


def test_watching_a_drawing_changes_nothing_about_the_run(probe):
    """The look at the model (eval mode for one forward pass) leaves training exactly as it was,
    dropout included (dropout draws from the global generator: an extra draw would show)."""
    config = TrainConfig(hidden=(16,), epochs=3, dropout=0.3, seed=5)
    watched = TrainingJob(config, slots=Slots(1), probe=probe).start()
    assert watched.join(JOB_WAIT_S)
    plain = TrainingJob(config, slots=Slots(1)).start()
    assert plain.join(JOB_WAIT_S)
    assert [m.train_loss for m in watched.snapshot().history] == [m.train_loss for m in plain.snapshot().history]
    assert [m.batch_losses for m in watched.snapshot().history] == [m.batch_losses for m in plain.snapshot().history]
    assert len(watched.snapshot().probe) == 3 and plain.snapshot().probe == () and plain.probe is None


@pytest.mark.parametrize("bad", [np.zeros(63), np.full(64, 17.0), np.full(64, -1.0)])
def test_a_probe_that_is_not_an_8x8_input_is_refused(bad):
    with pytest.raises(ValueError, match="64 values of 0-16"):
        TrainingJob(CONFIG, slots=Slots(1), probe=bad)


def test_the_figures_show_the_last_epoch_in_the_bars_and_every_epoch_in_the_lines():
    rng = np.random.default_rng(0)
    rows = rng.dirichlet(np.ones(10), size=7)
    bars, lines = set_watch(watch_bars(), watch_lines(epochs=10), rows, range(1, 8))
    np.testing.assert_allclose(bars.data[0].y, rows[-1])
    for digit in range(10):
        assert list(lines.data[digit].x) == list(range(1, 8))
        np.testing.assert_allclose(lines.data[digit].y, rows[:, digit])
    assert f"after epoch 7: most likely a <b>{rows[-1].argmax()}</b>" in bars.layout.title.text
    assert list(lines.layout.xaxis.range) == [0.5, 10.5]
    # A long run is thinned, but every line still ends at the epoch the bars show.
    long = rng.dirichlet(np.ones(10), size=2000)
    bars, lines = set_watch(watch_bars(), watch_lines(epochs=2000), long, range(1, 2001))
    assert len(lines.data[0].x) == MAX_POINTS and lines.data[0].x[-1] == 2000
    np.testing.assert_allclose([lines.data[d].y[-1] for d in range(10)], bars.data[0].y)
    # Before the first epoch: empty lines, zero bars.
    bars, lines = set_watch(watch_bars(), watch_lines(epochs=10), [], [])
    assert not any(bars.data[0].y) and len(lines.data[0].x) == 0


# --- the Train page (AppTest: the canvases are UnknownElements, their values injected) ------------

def train_page():
    from digitlab.ui import train

    train.page()


def image_captions(at) -> list[str]:
    return [img.caption for image in at.get("image") for img in image.proto.imgs]


SEVEN = [[(80, 55), (200, 55), (170, 120), (140, 180), (120, 240)]]  # a 7, as drawn on the canvas
SEVEN_SEEN = preprocessed(pencil_drawing(SEVEN), 280).features  # what the Draw page makes of it


def draw_page():
    from digitlab.ui import draw

    draw.page()


def test_the_draw_page_s_last_drawing_is_watched_through_the_one_preprocessing(models_tmp):
    """The Draw page keeps its last drawing's 8x8 input (the canvas's own value ends with its page);
    the Train page watches exactly that input."""
    from digitlab.ui.keys import LAST_DRAWING_KEY, MODEL_KEY

    for suffix in (".safetensors", ".json"):  # the Draw page predicts with a model: the shipped one
        (models_tmp / f"default{suffix}").write_bytes((ROOT / "models" / f"default{suffix}").read_bytes())
    drawn = AppTest.from_function(draw_page, default_timeout=JOB_WAIT_S)
    drawn.session_state[CANVAS_KEY] = canvas_value(SEVEN)  # as the Draw page's canvas sends a stroke
    drawn.run()
    assert not drawn.exception and drawn.session_state[MODEL_KEY] == "default"
    kept = drawn.session_state[LAST_DRAWING_KEY]
    np.testing.assert_array_equal(kept, SEVEN_SEEN)
    drawn.session_state[CANVAS_KEY] = canvas_value([])  # cleared: a blank canvas keeps the last drawing
    drawn.run()
    np.testing.assert_array_equal(drawn.session_state[LAST_DRAWING_KEY], kept)

    at = AppTest.from_function(train_page, default_timeout=JOB_WAIT_S)
    at.session_state[LAST_DRAWING_KEY] = kept  # the same session, now on the Train page
    at.run()
    assert not at.exception
    assert at.radio(key="watch_source").value == "My last drawing on the Draw page"
    assert "What the network will see (8×8)" in image_captions(at), "the 8x8 it will watch is shown"
    at.number_input(key="train_epochs").set_value(3)
    at.text_input(key="train_hidden").set_value("16")
    at.button(key="train_start").click().run()
    job = at.session_state[TRAIN_JOB_KEY]
    np.testing.assert_array_equal(job.probe, SEVEN_SEEN)
    assert job.join(JOB_WAIT_S)
    until_evaluated(at)
    assert not at.exception
    assert len(job.snapshot().probe) == 3
    assert "the watched drawing (8×8)" in image_captions(at)


def test_with_no_drawing_the_page_says_how_to_watch_one_and_trains_as_before(models_tmp):
    at = AppTest.from_function(train_page, default_timeout=JOB_WAIT_S).run()
    assert not at.exception and not at.error
    assert at.radio(key="watch_source").value == "My last drawing on the Draw page"  # none yet: a note says so
    assert any("Draw a digit on the Draw page or here to watch it being learned" in i.value for i in at.info)
    at.radio(key="watch_source").set_value("A drawing made here").run()  # its canvas, still blank
    assert not at.exception and any("Draw a digit on the Draw page or here" in i.value for i in at.info)
    at.number_input(key="train_epochs").set_value(2)
    at.text_input(key="train_hidden").set_value("16")
    at.button(key="train_start").click().run()
    job = at.session_state[TRAIN_JOB_KEY]
    assert job.probe is None
    assert job.join(JOB_WAIT_S)
    until_evaluated(at)
    assert not at.exception and not at.error
    assert job.snapshot().probe == ()
    assert any("This run watched no drawing" in c.value for c in at.caption)
