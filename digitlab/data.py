"""The scikit-learn digits: fixed stratified splits, input scaling, training-time augmentation.

Every model is scored on the same test split (SPLIT_SEED, TEST_FRACTION), so test accuracies of
different models are comparable. The validation part is carved from the training part.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

SPLIT_SEED = 0
TEST_FRACTION = 0.2
N_CLASSES = 10
N_FEATURES = 64


@dataclass(frozen=True)
class Splits:
    """Flat 64-feature inputs on the dataset's 0-16 scale (float32) and int64 labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


@lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray]:
    # scikit-learn is imported where it is used (here and below), not with the module: the app
    # server imports this module for its constants and augmentation, and importing scikit-learn
    # takes seconds that a fresh server's first page would otherwise wait for.
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return bunch.data.astype(np.float32), bunch.target.astype(np.int64)


def load_splits(val_fraction: float = 0.1, seed: int = SPLIT_SEED) -> Splits:
    """Stratified train / validation / test split; the test split depends on SPLIT_SEED only.

    val_fraction is the share of the *training* part held out for validation (0 means none).
    """
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    from sklearn.model_selection import train_test_split

    x, y = _digits()
    x_rest, x_test, y_rest, y_test = train_test_split(
        x, y, test_size=TEST_FRACTION, stratify=y, random_state=SPLIT_SEED
    )
    if val_fraction == 0.0:
        empty_x, empty_y = x_rest[:0], y_rest[:0]
        return Splits(x_rest, y_rest, empty_x, empty_y, x_test, y_test)
    x_train, x_val, y_train, y_val = train_test_split(
        x_rest, y_rest, test_size=val_fraction, stratify=y_rest, random_state=seed
    )
    return Splits(x_train, y_train, x_val, y_val, x_test, y_test)


def fit_scaler(x_train: np.ndarray) -> tuple[list[float], float]:
    """Per-pixel mean and ONE global scale, fitted on training data only.

    A per-pixel std (StandardScaler) would divide the always-blank border pixels by ~0 and turn a
    stray speck of ink in a drawing into a huge input; one global scale keeps inputs bounded.
    """
    mean = x_train.mean(axis=0)
    scale = float((x_train - mean).std()) or 1.0
    return [float(v) for v in mean], scale


# --- augmentation -----------------------------------------------------------------------------
# The dataset's 8x8 counts come from 32x32 binary bitmaps. We go back up to 32x32 (nearest, so that
# the identity transform round-trips exactly), apply a random affine warp and stroke-width change
# there, and count 4x4 blocks again. All of it is batched tensor work: no per-sample Python.

MAX_ROTATE_DEG = 15.0
MAX_SHEAR = 0.45  # people slant more than the dataset's writers did
MAX_SCALE = 0.12
MAX_SHIFT = 0.08  # in units of half the image (affine_grid coordinates span -1..1)
MAX_ELASTIC = 0.15  # local displacement, same units (0.15 = ~2.4 px of 32)


def augment(x: torch.Tensor, strength: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Randomly warp a batch of flat 0-16 inputs (B, 64); strength 0 returns x unchanged."""
    if strength <= 0:
        return x
    b = x.shape[0]

    def rand(scale: float) -> torch.Tensor:
        return (torch.rand(b, generator=generator) * 2 - 1) * scale * strength

    img = F.interpolate(x.view(b, 1, 8, 8) / 16.0, scale_factor=4, mode="nearest")
    angle = torch.deg2rad(rand(MAX_ROTATE_DEG))
    shear, zoom = rand(MAX_SHEAR), 1 + rand(MAX_SCALE)
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.stack(
        [
            torch.stack([cos / zoom, (-sin + shear) / zoom, rand(MAX_SHIFT)], dim=1),
            torch.stack([sin / zoom, cos / zoom, rand(MAX_SHIFT)], dim=1),
        ],
        dim=1,
    )
    grid = F.affine_grid(theta, list(img.shape), align_corners=False) + _elastic_field(b, strength, generator)
    img = F.grid_sample(img, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    img = _random_stroke_width(img, strength, generator)
    img = _random_erase(img, strength, generator)
    return F.avg_pool2d(img, 4).reshape(b, 64) * 16.0


def _elastic_field(b: int, strength: float, generator: torch.Generator | None) -> torch.Tensor:
    """A smooth random displacement field (B, 32, 32, 2): a coarse 4x4 grid of random shifts,
    interpolated. Local wobble of the strokes, as hands make (elastic distortion, Simard et al. 2003)."""
    coarse = (torch.rand(b, 2, 4, 4, generator=generator) * 2 - 1) * MAX_ELASTIC * strength
    return F.interpolate(coarse, size=(32, 32), mode="bicubic", align_corners=True).permute(0, 2, 3, 1)


def _random_erase(img: torch.Tensor, strength: float, generator: torch.Generator | None) -> torch.Tensor:
    """Blank a random small rectangle in a third of the batch (random erasing). People leave out
    parts the dataset's writers drew - the crossbar of a 7, the base of a 1 - and this teaches the
    net that a digit is still itself without them."""
    b, size = img.shape[0], img.shape[-1]
    u = torch.rand(b, 5, generator=generator)
    w, h = 6 + u[:, 0] * 10, 3 + u[:, 1] * 6  # 6-16 px wide, 3-9 px tall at 32x32
    x0, y0 = u[:, 2] * (size - w), u[:, 3] * (size - h)
    on = (u[:, 4] < strength / 3).view(b, 1, 1)
    xs = torch.arange(size).view(1, 1, size)
    ys = torch.arange(size).view(1, size, 1)
    box = (xs >= x0.view(b, 1, 1)) & (xs < (x0 + w).view(b, 1, 1)) & (ys >= y0.view(b, 1, 1)) & (ys < (y0 + h).view(b, 1, 1))
    return img.masked_fill((box & on).unsqueeze(1), 0.0)


def _random_stroke_width(img: torch.Tensor, strength: float, generator: torch.Generator | None) -> torch.Tensor:
    """Thicken (grey dilation) a third of the batch and thin (grey erosion) another third, 1 px at 32x32."""
    pick = torch.rand(img.shape[0], generator=generator)
    thick = F.max_pool2d(img, 3, stride=1, padding=1)
    thin = -F.max_pool2d(-img, 3, stride=1, padding=1)
    p = strength / 3
    pick = pick.view(-1, 1, 1, 1)
    return torch.where(pick < p, thick, torch.where(pick > 1 - p, thin, img))
