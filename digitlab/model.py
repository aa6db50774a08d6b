"""The MLP, rebuilt from its config alone (nanoGPT-style): a checkpoint stores the config."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch import nn

from digitlab.data import N_CLASSES, N_FEATURES

# The one "unsure" rule, shared by the Draw page and the CLI: the top probability is under this.
# Chosen for the shipped model on the 3,000 development-font renderings (digitlab/calibrate.py): it
# flags 6.8% of right answers and 66% of wrong ones there (the goal on unseen writers: <= 10%, >= 60%).
UNSURE_BELOW = 0.9
ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU}


@dataclass(frozen=True)
class ModelConfig:
    hidden: tuple[int, ...] = (128, 64)
    activation: str = "relu"
    dropout: float = 0.0
    # Input scaling fitted on the training split (see data.fit_scaler); part of the model so a
    # saved model takes raw 0-16 inputs and nobody can forget to scale.
    input_mean: tuple[float, ...] = field(default=(0.0,) * N_FEATURES, repr=False)
    input_scale: float = 1.0

    def __post_init__(self):
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        object.__setattr__(self, "input_mean", tuple(float(v) for v in self.input_mean))
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {self.activation!r}")
        if any(h < 1 for h in self.hidden):
            raise ValueError(f"hidden layer sizes must be positive, got {list(self.hidden)}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if len(self.input_mean) != N_FEATURES or not self.input_scale > 0:
            raise ValueError("input scaling needs 64 means and a positive scale")

    def to_dict(self) -> dict:
        return asdict(self)


class MLP(nn.Module):
    """Raw 0-16 inputs (B, 64) -> logits (B, 10)."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        # Non-persistent: the scaling lives in the config (JSON), the safetensors hold weights only.
        # Stored as shift + x * inv_scale so scaling is one fused op (addcmul) per forward.
        mean = torch.tensor(config.input_mean, dtype=torch.float32)
        self.register_buffer("input_shift", -mean / config.input_scale, persistent=False)
        self.register_buffer("input_inv_scale", torch.tensor(1.0 / config.input_scale), persistent=False)
        layers: list[nn.Module] = []
        width = N_FEATURES
        for size in config.hidden:
            # Dropout is always there (p may be 0) so weight names (net.0, net.3, ...) don't depend on
            # it: a model saved with dropout can be fine-tuned without, and the other way round.
            layers += [nn.Linear(width, size), ACTIVATIONS[config.activation](), nn.Dropout(config.dropout)]
            width = size
        layers.append(nn.Linear(width, N_CLASSES))
        self.net = nn.Sequential(*layers)
        # What forward runs: the same modules minus p=0 dropouts (a module call per layer per step
        # is measurable on a net this small). A plain list, so it adds no weight names.
        self._steps = [m for m in self.net if not (isinstance(m, nn.Dropout) and m.p == 0)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.addcmul(self.input_shift, x, self.input_inv_scale)
        for step in self._steps:
            x = step(x)
        return x


def state_shapes(config: ModelConfig) -> dict[str, tuple[int, ...]]:
    """The names and shapes of MLP(config)'s saved tensors, worked out from the config alone: a
    file's tensors are checked against them before any layer is built, so a config naming huge
    layers allocates nothing (and no meta-device module is built: its first use imports torch's
    compiler, seconds on a fresh app server's first page)."""
    shapes, width = {}, N_FEATURES
    for i, size in enumerate((*config.hidden, N_CLASSES)):
        shapes[f"net.{3 * i}.weight"], shapes[f"net.{3 * i}.bias"] = (size, width), (size,)
        width = size
    return shapes


def predict_proba(model: MLP, x: np.ndarray, batch_size: int = 4096) -> np.ndarray:
    """Softmax probabilities (N, 10) for raw 0-16 inputs (N, 64) or a single (64,) input."""
    x = np.asarray(x, dtype=np.float32)
    single = x.ndim == 1
    x = x.reshape(-1, N_FEATURES)
    if model.training:  # never flip a shared (cached) model's mode unless we must
        model.eval()
    with torch.inference_mode():
        out = [torch.softmax(model(torch.from_numpy(x[i : i + batch_size])), dim=1) for i in range(0, len(x), batch_size)]
    probs = torch.cat(out).numpy() if out else np.zeros((0, N_CLASSES), np.float32)
    return probs[0] if single else probs


def is_unsure(probs: np.ndarray) -> bool | np.ndarray:
    """Whether the network should say it is unsure, for one (10,) or many (N, 10) probability rows."""
    top = np.asarray(probs).max(axis=-1)
    return bool(top < UNSURE_BELOW) if np.ndim(top) == 0 else top < UNSURE_BELOW
