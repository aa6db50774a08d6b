"""Confidence that can be trusted: temperature scaling, fitted on development fonts.

A net trained to near-zero loss is over-confident on inputs unlike its training data: it says 96%
when it is wrong. Dividing its logits by one temperature T > 1, chosen to minimise the negative
log-likelihood on data it never trained on (Guo et al. 2017, "On calibration of modern neural
networks"), fixes most of that without changing a single prediction. We fold 1/T into the last
layer's weights and bias, so the saved model, the app, the CLI and any export all carry it.

The data is the development fonts (digitlab/assets/font_digits_dev.npz), rendered as canvas
drawings: never trained on, and not the held-out fonts either.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
from scipy.optimize import minimize_scalar

from digitlab.fonts import DEV_SHAPES, load_shapes
from digitlab.model import MLP
from digitlab.preprocess import preprocess
from digitlab.synth import font_canvases

DEV_RENDERS, DEV_SEED = 30, 11  # 3,000 renderings: enough wrong answers to fit T and the unsure threshold


@lru_cache(maxsize=1)
def dev_set() -> tuple[np.ndarray, np.ndarray]:
    """The development fonts as model inputs (N, 64) and labels (N,)."""
    shapes, labels, _ = load_shapes(DEV_SHAPES)
    xs, ys = [], []
    for image, i, _ in font_canvases(shapes, DEV_RENDERS, DEV_SEED):
        pre = preprocess(image)
        if not pre.empty:
            xs.append(pre.features)
            ys.append(labels[i])
    return np.stack(xs), np.array(ys)


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The T in [0.25, 20] that minimises the mean negative log-likelihood of softmax(logits / T)."""
    z, target = torch.from_numpy(logits).double(), torch.from_numpy(y)

    def nll(log_t: float) -> float:
        return float(torch.nn.functional.cross_entropy(z / np.exp(log_t), target))

    return float(np.exp(minimize_scalar(nll, bounds=(np.log(0.25), np.log(20)), method="bounded").x))


def calibrate(model: MLP) -> float:
    """Fit the temperature on the development fonts and fold it into the last layer; returns T."""
    x, y = dev_set()
    was_training = model.training
    model.eval()
    with torch.no_grad():
        t = fit_temperature(model(torch.from_numpy(x)).numpy(), y)
        last = model.net[-1]
        last.weight.div_(t)
        last.bias.div_(t)
    model.train(was_training)
    return t
