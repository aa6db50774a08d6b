"""Drawn digits (how people draw on the canvas) against the dataset's own statistics, and the
shipped model's accuracy on them. The drawn set is a validation set: nothing trains on it."""
import json
from collections import Counter
from functools import lru_cache

import numpy as np
import pytest
import torch
from PIL import Image
from sklearn.datasets import load_digits

from digitlab.data import augment, load_splits
from digitlab.model import predict_proba
from digitlab.preprocess import TARGET_INK, ink_map, preprocess
from digitlab.store import PROJECT_MODELS, load_model
from tests.support import drawn_set


def naive_resize(image: np.ndarray) -> np.ndarray:
    """What most canvas demos do: shrink the whole canvas to 8x8 and scale ink to 0-16."""
    small = Image.fromarray(ink_map(image)).resize((8, 8), Image.Resampling.BOX)
    return (np.asarray(small) * 16).reshape(64).astype(np.float32)


@lru_cache(maxsize=1)
def drawn() -> tuple[np.ndarray, np.ndarray]:
    grids, labels = [], []
    for image, label, _ in drawn_set.images():
        pre = preprocess(image)
        assert not pre.empty
        grids.append(pre.grid.astype(float))
        labels.append(label)
    return np.stack(grids), np.array(labels)


def test_the_committed_set_is_what_the_generator_makes():
    items = drawn_set.load()
    assert list(items) == json.loads(json.dumps(drawn_set.generate()))  # same seed, same drawings
    per_class = Counter(it["label"] for it in items)
    assert set(per_class) == set(range(10)) and min(per_class.values()) >= 50
    for digit in range(10):
        combos = {(it["style"], it["background"]) for it in items if it["label"] == digit}
        assert len(combos) == 9, "every habit of every digit in all three canvas hand-overs"


def test_drawn_digits_match_the_datasets_statistics():
    grids, labels = drawn()
    data = load_digits()
    x, y = data.images, data.target
    # ink per digit (stroke thickness normalization)
    assert abs(grids.sum(axis=(1, 2)).mean() - x.sum(axis=(1, 2)).mean()) < 0.05 * TARGET_INK
    # full height, and the same few middle columns
    assert (grids.sum(axis=2) > 0).all(axis=1).mean() > 0.99
    assert grids[:, :, 0].sum() + grids[:, :, 7].sum() < 0.02 * grids.sum()
    # row and column ink profiles of each digit class match the dataset's; a naive resize does not
    ours = profile_distances(grids, labels, x, y)
    assert ours.max() < 0.3 and ours.mean() < 0.2, ours.round(3)
    naive = np.stack([naive_resize(image).reshape(8, 8) for image, _, _ in drawn_set.images()])
    assert profile_distances(naive, labels, x, y).mean() > 0.25
    # centre of ink mass, in 8x8 cells
    centre = (grids.sum(axis=1) * (np.arange(8) + 0.5)).sum(1) / grids.sum(axis=(1, 2))
    assert abs(np.median(centre) - 4.0) < 0.35


def profile_distances(grids, labels, x, y) -> np.ndarray:
    """L1 distance between normalized mean row (and column) ink profiles, per digit and axis."""
    def dist(a, b):
        return np.abs(a / a.sum() - b / b.sum()).sum()

    return np.array([[dist(grids[labels == d].mean(0).sum(ax), x[y == d].mean(0).sum(ax)) for ax in (0, 1)]
                     for d in range(10)])


def test_shipped_model_reads_drawn_digits():
    grids, labels = drawn()
    model = load_model(PROJECT_MODELS / "default.safetensors").model
    accuracy = (predict_proba(model, grids.reshape(-1, 64)).argmax(1) == labels).mean()
    assert accuracy >= 0.90, f"drawn-set accuracy {accuracy:.3f}"


def test_augmented_digits_keep_their_labels():
    """Warped training digits must still be the same digit: the shipped model (trained with
    augmentation) reads them nearly as well as the originals."""
    splits = load_splits(0.0)
    x = torch.from_numpy(splits.x_test)
    warped = augment(x, 1.0, torch.Generator().manual_seed(1)).numpy()
    model = load_model(PROJECT_MODELS / "default.safetensors").model
    accuracy = (predict_proba(model, warped).argmax(1) == splits.y_test).mean()
    assert accuracy > 0.9
    assert warped.shape == x.shape and warped.min() >= 0 and warped.max() <= 16 + 1e-4


@pytest.mark.parametrize("strength", [0.3, 1.0])
def test_augmentation_strength_scales_the_change(strength):
    x = torch.from_numpy(load_splits(0.0).x_train[:512])
    change = (augment(x, strength, torch.Generator().manual_seed(0)) - x).abs().mean().item()
    weaker = (augment(x, strength / 3, torch.Generator().manual_seed(0)) - x).abs().mean().item()
    assert change > weaker > 0
