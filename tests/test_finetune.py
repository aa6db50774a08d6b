"""Teaching the network your handwriting: fine-tuning on kept drawings helps on more drawings in
the same habit, without forgetting the dataset."""
import numpy as np
import pytest

from digitlab import drawings
from digitlab.data import load_splits
from digitlab.evaluate import evaluate
from digitlab.preprocess import preprocess
from digitlab.store import PROJECT_MODELS, load_model, save_model
from digitlab.train import PRESETS, TrainConfig, fit, prepare, run_info
from tests.support import drawn_set


@pytest.fixture
def private(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITLAB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DIGITLAB_MODELS_DIR", str(tmp_path / "models"))
    return tmp_path


def habit_inputs(style: str, label: int) -> np.ndarray:
    items = [it for it in drawn_set.load() if it["label"] == label and it["style"] == style]
    return np.stack([preprocess(img).features for img, _, _ in drawn_set.images(items)])


def test_fine_tuning_on_my_drawings_learns_a_new_habit(private):
    """A weak model (the seed setup, no augmentation) misreads open 'L' 4s; after fine-tuning on
    ten of them it reads the other ten better and still reads the dataset's test split."""
    config = PRESETS["seed"]
    base, splits = prepare(config)
    history = list(fit(base, splits, config))
    save_model(base, "base", run_info(config, history, 0.0))
    fours = habit_inputs("open L", 4)
    teach, held_out = fours[:10], fours[10:]
    for grid in teach:
        drawings.add(4, grid.reshape(8, 8))
    before = evaluate(base, held_out, np.full(len(held_out), 4)).accuracy

    tune = TrainConfig(hidden=config.hidden, init_from="base", drawings_weight=20, epochs=5, lr=5e-4, val_fraction=0.0)
    model, tune_splits = prepare(tune)
    assert len(tune_splits.x_train) == len(load_splits(0.0).x_train) + 10 * 20
    list(fit(model, tune_splits, tune))
    after = evaluate(model, held_out, np.full(len(held_out), 4)).accuracy
    test = evaluate(model, splits.x_test, splits.y_test).accuracy
    assert after > before and after >= 0.7, (before, after)
    assert test > 0.94


def test_fine_tuning_copies_weights_and_keeps_the_shipped_model_untouched(private):
    shipped = load_model(PROJECT_MODELS / "default.safetensors")
    save_model(shipped.model, "copy", {"train": {}})
    config = TrainConfig(hidden=shipped.model.config.hidden, init_from="copy", epochs=1, val_fraction=0.0)
    model, splits = prepare(config)
    x = splits.x_test[:50]
    from digitlab.model import predict_proba

    assert np.allclose(predict_proba(model, x), predict_proba(shipped.model, x), atol=1e-6), "starts where it was"
    before = {k: v.clone() for k, v in shipped.model.state_dict().items()}
    list(fit(model, splits, config))
    assert all((before[k] == v).all() for k, v in shipped.model.state_dict().items()), "the source is not trained"


def test_fine_tuning_needs_matching_layers_and_drawings(private):
    with pytest.raises(ValueError, match="no drawings you can see are kept"):
        prepare(TrainConfig(drawings_weight=3))
    shipped = load_model(PROJECT_MODELS / "default.safetensors")
    save_model(shipped.model, "copy", {"train": {}})
    with pytest.raises(ValueError, match="keeps its layers"):
        prepare(TrainConfig(hidden=(16,), init_from="copy"))
    with pytest.raises(ValueError, match="init_from"):
        TrainConfig(init_from="../etc")
