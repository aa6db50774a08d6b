import threading
from dataclasses import replace

import numpy as np
import pytest
import torch

from digitlab.data import augment, load_splits
from digitlab.evaluate import evaluate
from digitlab.train import PRESETS, EpochMetrics, TrainConfig, fit, prepare


def test_short_run_improves_validation_accuracy():
    config = TrainConfig(epochs=4, seed=1)
    model, splits = prepare(config)
    before = evaluate(model, splits.x_val, splits.y_val).accuracy  # the untrained net: about chance
    history = list(fit(model, splits, config))
    assert [m.epoch for m in history] == [1, 2, 3, 4]
    assert all(isinstance(m, EpochMetrics) for m in history)
    assert before < 0.3, "an untrained net guesses"
    assert history[-1].val_acc > history[0].val_acc > before
    assert history[-1].val_loss < history[0].val_loss
    assert history[-1].val_acc > 0.9
    assert history[-1].train_loss < history[0].train_loss
    assert history[-1].seconds >= history[0].seconds > 0


def test_same_seed_same_result():
    config = TrainConfig(epochs=2, seed=3, augment=0.5, dropout=0.2)
    runs = []
    for _ in range(2):
        model, splits = prepare(config)
        runs.append([m.val_loss for m in fit(model, splits, config)])
    assert runs[0] == runs[1]


class StopAfter(threading.Event):
    """An Event that sets itself on its n-th check: a stop pressed in the middle of an epoch."""

    def __init__(self, checks: int):
        super().__init__()
        self.checks = checks

    def is_set(self) -> bool:
        self.checks -= 1
        if self.checks < 0:
            self.set()
        return super().is_set()


def test_stop_mid_epoch_ends_within_one_batch_and_leaves_a_usable_model():
    config = TrainConfig(epochs=50, batch_size=16)
    model, splits = prepare(config)
    batches_per_epoch = -(-len(splits.x_train) // 16)
    stop = StopAfter(batches_per_epoch + 5)  # two epochs' worth of checks is more than enough
    history = list(fit(model, splits, config, stop=stop))
    assert len(history) == 2 and history[-1].stopped and not history[0].stopped
    assert [len(m.batch_losses) for m in history] == [batches_per_epoch, 5], "the stopped epoch's batches only"
    assert torch.isfinite(model(torch.from_numpy(splits.x_test))).all()


def test_batch_losses_are_the_losses_the_optimizer_saw():
    """One loss per batch. With a learning rate too small to move the model, epoch 1's batch losses,
    weighted by batch size, average to the untrained model's loss on the whole training split."""
    config = TrainConfig(epochs=2, batch_size=100, optimizer="sgd", lr=1e-9)
    model, splits = prepare(config)
    with torch.no_grad():
        initial = torch.nn.functional.cross_entropy(model(torch.from_numpy(splits.x_train)),
                                                    torch.from_numpy(splits.y_train)).item()
    history = list(fit(model, splits, config))
    n = len(splits.x_train)
    sizes = [min(100, n - start) for start in range(0, n, 100)]
    assert [len(m.batch_losses) for m in history] == [len(sizes)] * 2
    assert np.average(history[0].batch_losses, weights=sizes) == pytest.approx(initial, rel=1e-4)
    assert np.std(history[0].batch_losses) > 0.01, "each batch its own loss"
    stored = history[0].to_dict()
    assert "batch_losses" not in stored, "kept out of files and databases"
    assert EpochMetrics(**stored) == replace(history[0], batch_losses=())


def test_stop_between_epochs_yields_nothing_more():
    config = TrainConfig(epochs=50)
    model, splits = prepare(config)
    stop = threading.Event()
    history = []
    for m in fit(model, splits, config, stop=stop):
        history.append(m)
        if m.epoch == 2:
            stop.set()
    assert [m.epoch for m in history] == [1, 2]


def test_empty_validation_split_reports_none():
    config = TrainConfig(epochs=1, val_fraction=0.0)
    model, splits = prepare(config)
    (m,) = list(fit(model, splits, config))
    assert m.val_acc is None and m.val_loss is None and len(splits.x_val) == 0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(hidden=()), "hidden"),
        (dict(hidden=(0, 5)), "hidden"),
        (dict(hidden=(100_000,)), "hidden"),
        (dict(lr=0), "lr"),
        (dict(lr=-1), "lr"),
        (dict(lr=float("nan")), "lr"),
        (dict(epochs=0), "epochs"),
        (dict(epochs=10**6), "epochs"),
        (dict(batch_size=0), "batch_size"),
        (dict(dropout=1.0), "dropout"),
        (dict(activation="swish"), "activation"),
        (dict(optimizer="lbfgs"), "optimizer"),
        (dict(val_fraction=1.0), "val_fraction"),
        (dict(augment=2), "augment"),
    ],
)
def test_nonsense_configs_are_refused_with_a_message(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**kwargs)


def test_presets_are_valid_and_config_round_trips():
    for config in PRESETS.values():
        assert TrainConfig.from_dict(config.to_dict()) == config


def test_splits_are_stratified_and_disjoint():
    s = load_splits(0.1)
    assert len(s.x_test) == 360
    counts = np.bincount(s.y_test)
    assert counts.min() >= 35 and counts.max() <= 37
    assert len(s.x_train) + len(s.x_val) + len(s.x_test) == 1797
    assert np.array_equal(load_splits(0.3).y_test, s.y_test), "test split does not depend on val_fraction"


def test_augmentation_keeps_shape_range_and_identity():
    x = torch.from_numpy(load_splits(0.0).x_train[:256])
    assert torch.equal(augment(x, 0.0), x)
    g = torch.Generator().manual_seed(0)
    out = augment(x, 1.0, g)
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 16 + 1e-4
    changed = (out - x).abs().mean(dim=1)
    assert (changed > 0).float().mean() > 0.9, "most digits actually change"
    # ink is roughly preserved on average (warps move it, not delete it)
    assert 0.6 < out.sum() / x.sum() < 1.5
