"""Inside the network for one drawing: every layer's activations, the first layer's weights and a
saliency map of the input, all from one forward and one backward pass.

The model passed in is usually the app's cached one, shared by every session: it is only read. We
never call .train()/.eval() on it, never touch its parameters' .grad (torch.autograd.grad returns
the input's gradient without accumulating anything into the parameters), and skip Dropout
explicitly so the result is the same whatever mode the model happens to be in.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from digitlab.data import N_CLASSES, N_FEATURES
from digitlab.model import MLP, predict_proba


@dataclass(frozen=True)
class Inside:
    """One drawing as the network processes it. Layer k's units are hidden[k]; weights[k] is the
    (out, in) matrix of the k-th Linear (weights[0] is the first layer, weights[-1] the output)."""

    features: np.ndarray  # (64,) raw 0-16 input
    scaled: np.ndarray  # (64,) the input after the model's own scaling: what the first layer sees
    hidden: tuple[np.ndarray, ...]  # post-activation values of every hidden layer
    logits: np.ndarray  # (10,)
    probs: np.ndarray  # (10,)
    predicted: int
    gradient: np.ndarray  # (64,) d logit[predicted] / d raw input
    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]

    @property
    def saliency(self) -> np.ndarray:
        """Input x gradient (64,): positive cells pushed for the predicted digit, negative against.
        Zero where there is no ink, so a blank drawing has a blank saliency map."""
        return self.features * self.gradient

    @property
    def layer_values(self) -> tuple[np.ndarray, ...]:
        """The values flowing out of every column of the diagram: scaled input, hidden layers, logits."""
        return (self.scaled, *self.hidden, self.logits)


def look_inside(model: MLP, features: np.ndarray) -> Inside:
    """Run one drawing (64 raw 0-16 values) forward once and backward once."""
    hidden: list[torch.Tensor] = []
    # Grad on even if a caller sits in inference_mode/no_grad (enable_grad alone can't undo inference_mode).
    with torch.inference_mode(False), torch.enable_grad():
        x = torch.tensor(np.asarray(features, dtype=np.float32).reshape(1, N_FEATURES), requires_grad=True)
        h = torch.addcmul(model.input_shift, x, model.input_inv_scale)
        scaled = h
        for module in model.net:
            if isinstance(module, nn.Dropout):  # identity at inference; skipping it keeps us mode-free
                continue
            h = module(h)
            if not isinstance(module, nn.Linear):
                hidden.append(h)
        logits = h[0]
        predicted = int(logits.argmax())
        (gradient,) = torch.autograd.grad(logits[predicted], x)
    linears = [m for m in model.net if isinstance(m, nn.Linear)]
    return Inside(
        features=x.detach().numpy()[0].copy(),
        scaled=scaled.detach().numpy()[0].copy(),
        hidden=tuple(a.detach().numpy()[0].copy() for a in hidden),
        logits=logits.detach().numpy().copy(),
        probs=torch.softmax(logits.detach(), 0).numpy().copy(),
        predicted=predicted,
        gradient=gradient.numpy()[0].copy(),
        weights=tuple(m.weight.detach().numpy().copy() for m in linears),
        biases=tuple(m.bias.detach().numpy().copy() for m in linears),
    )


def top_units(values: np.ndarray, k: int | None) -> np.ndarray:
    """Indices of the k units that fire most strongly (largest |value|), strongest first; all units
    if k is None or at least the layer's width. Stable, so ties keep unit order."""
    values = np.asarray(values)
    order = np.argsort(-np.abs(values), kind="stable")
    return order if k is None else order[:k]


def edge_contributions(inside: Inside, layer: int) -> np.ndarray:
    """(out, in) weight x activation for the edges into column layer+1 of the diagram: how much each
    unit of column `layer` adds to each unit of the next column's pre-activation for this drawing."""
    return inside.weights[layer] * inside.layer_values[layer][None, :]


def probe(model: MLP, features: np.ndarray, cell: int, values) -> np.ndarray:
    """What if input cell `cell` (0..63, row-major) had each of `values` instead? (len(values), 10)
    probabilities, all from one batched forward pass."""
    if not 0 <= cell < N_FEATURES:
        raise ValueError(f"cell must be 0..{N_FEATURES - 1}, got {cell}")
    values = np.asarray(values, dtype=np.float32).reshape(-1)
    if values.size and (values.min() < 0 or values.max() > 16):
        raise ValueError("cell values must be on the dataset's 0-16 scale")
    batch = np.repeat(np.asarray(features, dtype=np.float32).reshape(1, N_FEATURES), len(values), axis=0)
    batch[:, cell] = values
    return predict_proba(model, batch) if len(values) else np.zeros((0, N_CLASSES), np.float32)
