"""TrainConfig and THE training loop, shared by the command line, the app and the tests.

Progress is one stream: fit() yields an EpochMetrics per epoch and the caller decides what to do
with it (print it, chart it, list() it) and when to stop (a threading.Event checked between batches).
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Iterator

import numpy as np
import torch
from torch import nn

from digitlab import optimizers
from digitlab.backprop import ExplicitStep
from digitlab.backprop import supports as supports_explicit
from digitlab.data import Splits, augment, fit_scaler, load_splits
from digitlab.model import ACTIVATIONS, MLP, ModelConfig
from digitlab.store import NAME_RE, load_model

OPTIMIZERS = ("sgd", "momentum", "adam", "adamw")
SCHEDULES = ("constant", "cosine")
# Caps keep a typo from eating the 2-core machine for hours or all of its memory.
MAX_WIDTH, MAX_LAYERS, MAX_EPOCHS, MAX_BATCH, MAX_DRAWINGS_WEIGHT = 4096, 8, 2000, 4096, 100
MAX_SEED = 2**32 - 1
MAX_RENDERS = 100


def _help(text: str, default, **extra):
    return field(default=default, metadata={"help": text, **extra})


class ConfigError(ValueError):
    """A TrainConfig that cannot be used; `problems` says why, per field."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(problems.values()))
        self.problems = problems


@dataclass(frozen=True)
class TrainConfig:
    """Every knob of a training run. The CLI's flags and the app's controls come from these fields."""

    hidden: tuple[int, ...] = _help("hidden layer sizes, e.g. 128,64", (128, 64))
    activation: str = _help("hidden activation", "relu", choices=tuple(ACTIVATIONS))
    dropout: float = _help("dropout after each hidden layer, 0 to <1", 0.0)
    optimizer: str = _help("sgd, momentum (SGD 0.9), adam or adamw", "adam", choices=OPTIMIZERS)
    lr: float = _help("learning rate", 1e-3)
    schedule: str = _help("learning-rate schedule: constant, or cosine decay to 0 over the run", "constant",
                          choices=SCHEDULES)
    batch_size: int = _help("examples per gradient step", 32)
    epochs: int = _help("passes over the training split", 10)
    weight_decay: float = _help("L2 penalty (decoupled for adamw)", 0.0)
    augment: float = _help("augmentation strength 0..1: random rotation, shear, scale, shift, stroke width", 0.0)
    val_fraction: float = _help("share of the training split held out for validation, 0 to <1", 0.1)
    seed: int = _help("random seed for weights, shuffling and augmentation", 0)
    init_from: str = _help("fine-tune: start from this saved model's weights (keep its hidden sizes and activation)", "")
    drawings_weight: int = _help("mix My drawings into the training split, each repeated this many times (0: none)", 0)
    dataset_repeat: int = _help("repeat the dataset's training digits this many times (weighs them against synthetic ones)", 1)
    font_renders: int = _help("add this many random renderings of every training font's digits (0: none)", 0)
    stroke_renders: int = _help("add this many random pen drawings of every synthetic hand (0: none)", 0)
    calibrate: bool = _help("after training, fit the confidence (temperature scaling) on the development fonts", False)

    def __post_init__(self):
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        problems = self.problems()
        if problems:
            raise ConfigError(problems)

    def problems(self) -> dict[str, str]:
        """Every reason this config is unusable: {field: a sentence a person can act on}."""
        p: dict[str, str] = {}

        def bad(name: str, message: str) -> None:
            p[name] = f"{p[name]}; {message}" if name in p else message

        if not 1 <= len(self.hidden) <= MAX_LAYERS:
            bad("hidden", f"hidden: give 1 to {MAX_LAYERS} layer sizes, got {len(self.hidden)}")
        if any(not 1 <= h <= MAX_WIDTH for h in self.hidden):
            bad("hidden", f"hidden: each layer size must be 1..{MAX_WIDTH}, got {list(self.hidden)}")
        if self.activation not in ACTIVATIONS:
            bad("activation", f"activation must be one of {', '.join(ACTIVATIONS)}, got {self.activation!r}")
        if self.optimizer not in OPTIMIZERS:
            bad("optimizer", f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        if not (math.isfinite(self.lr) and 0 < self.lr <= 10):
            bad("lr", f"lr must be > 0 and <= 10, got {self.lr}")
        if self.schedule not in SCHEDULES:
            bad("schedule", f"schedule must be one of {', '.join(SCHEDULES)}, got {self.schedule!r}")
        if not 1 <= self.batch_size <= MAX_BATCH:
            bad("batch_size", f"batch_size must be 1..{MAX_BATCH}, got {self.batch_size}")
        if not 1 <= self.epochs <= MAX_EPOCHS:
            bad("epochs", f"epochs must be 1..{MAX_EPOCHS}, got {self.epochs}")
        if not 0 <= self.seed <= MAX_SEED:  # numpy's and torch's generators take no negative seed
            bad("seed", f"seed must be 0..{MAX_SEED}, got {self.seed}")
        if not (math.isfinite(self.weight_decay) and 0 <= self.weight_decay <= 1):
            bad("weight_decay", f"weight_decay must be 0..1, got {self.weight_decay}")
        if not 0 <= self.dropout < 1:
            bad("dropout", f"dropout must be 0 to <1, got {self.dropout}")
        if not 0 <= self.augment <= 1:
            bad("augment", f"augment must be 0..1, got {self.augment}")
        if not 0 <= self.val_fraction < 1:
            bad("val_fraction", f"val_fraction must be 0 to <1, got {self.val_fraction}")
        if not 0 <= self.drawings_weight <= MAX_DRAWINGS_WEIGHT:
            bad("drawings_weight", f"drawings_weight must be 0..{MAX_DRAWINGS_WEIGHT}, got {self.drawings_weight}")
        if not 1 <= self.dataset_repeat <= MAX_RENDERS:
            bad("dataset_repeat", f"dataset_repeat must be 1..{MAX_RENDERS}, got {self.dataset_repeat}")
        for name in ("font_renders", "stroke_renders"):
            if not 0 <= getattr(self, name) <= MAX_RENDERS:
                bad(name, f"{name} must be 0..{MAX_RENDERS}, got {getattr(self, name)}")
        if self.init_from and not NAME_RE.match(self.init_from):
            bad("init_from", f"init_from must be the name of a saved model, got {self.init_from!r}")
        return p

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: (tuple(v) if k == "hidden" else v) for k, v in d.items() if k in known})


@dataclass(frozen=True)
class EpochMetrics:
    epoch: int
    epochs: int
    train_loss: float  # on the whole training split after the epoch, in eval mode
    train_acc: float
    val_loss: float | None  # None when val_fraction is 0
    val_acc: float | None
    seconds: float  # since fit() started
    stopped: bool = False  # True on a partial epoch ended by the stop event
    # The loss of every batch of this epoch as it was optimised (with dropout and augmentation):
    # the Train page draws it smoothed. Kept in memory only (to_dict leaves it out of saved files).
    batch_losses: tuple[float, ...] = field(default=(), repr=False)

    def to_dict(self) -> dict:
        """For files and databases: every field but the per-batch losses."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "batch_losses"}


def new_model(config: TrainConfig, x_train: np.ndarray) -> MLP:
    """A freshly initialised MLP whose input scaling is fitted on x_train; weights from config.seed."""
    mean, scale = fit_scaler(x_train)
    model = MLP(ModelConfig(config.hidden, config.activation, config.dropout, tuple(mean), scale))
    gen = torch.Generator().manual_seed(config.seed)
    for layer in model.modules():
        if isinstance(layer, nn.Linear):  # PyTorch's default init, but from our own generator
            nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=gen)
            bound = 1 / math.sqrt(layer.in_features)
            nn.init.uniform_(layer.bias, -bound, bound, generator=gen)
    return model


def prepare(config: TrainConfig, stop=None, actor=None) -> tuple[MLP, Splits]:
    """The model to train and the data to train it on, as the config says: a fresh model or a
    copy of a saved one (fine-tuning), on the dataset's training split plus, if asked, My drawings
    and synthetic digits (whose rendering `stop` can interrupt: synth.Interrupted). `actor`
    (ownership.Actor) is whose drawings those are: a student trains on their own and the class
    pool, never another student's private ones; None (the command line) on all of them."""
    splits = load_splits(config.val_fraction)
    if config.drawings_weight:
        splits = _with_my_drawings(splits, config.drawings_weight, actor)
    if config.font_renders or config.stroke_renders:
        splits = _with_synthetic(splits, config, stop)
    model = _start_from(config) if config.init_from else new_model(config, splits.x_train)
    return model, splits


def _with_my_drawings(splits: Splits, weight: int, actor=None) -> Splits:
    """Training split + every drawing `actor` sees, `weight` times (validation and test stay the dataset's)."""
    from digitlab.drawings import as_arrays
    from digitlab.ownership import OPERATOR

    x, y = as_arrays(actor=actor or OPERATOR)
    if len(x) == 0:
        raise ValueError("drawings_weight is set but no drawings you can see are kept yet: keep some on the "
                         "Draw page first")
    return replace(splits, x_train=np.concatenate([splits.x_train, np.repeat(x, weight, axis=0)]),
                   y_train=np.concatenate([splits.y_train, np.repeat(y, weight)]))


def _with_synthetic(splits: Splits, config: TrainConfig, stop=None) -> Splits:
    """Training split + synthetic handwriting (digitlab.synth); validation and test stay the dataset's."""
    from digitlab.synth import training_set

    x, y = training_set(config.font_renders, config.stroke_renders, config.seed, stop)
    return replace(splits, x_train=np.concatenate([np.tile(splits.x_train, (config.dataset_repeat, 1)), x]),
                   y_train=np.concatenate([np.tile(splits.y_train, config.dataset_repeat), y]))


def _start_from(config: TrainConfig) -> MLP:
    """A trainable copy of a saved model (never the cached instance the app predicts with)."""
    loaded = load_model(config.init_from)
    base = loaded.model.config
    if (base.hidden, base.activation) != (config.hidden, config.activation):
        raise ValueError(f"fine-tuning {config.init_from!r} keeps its layers: set hidden={','.join(map(str, base.hidden))} "
                         f"and activation={base.activation} (got {','.join(map(str, config.hidden))}, {config.activation})")
    model = MLP(replace(base, dropout=config.dropout))
    model.load_state_dict({k: v.clone() for k, v in loaded.model.state_dict().items()})
    return model


def make_optimizer(model: nn.Module, config: TrainConfig) -> tuple[optimizers.Optimizer, torch.Tensor]:
    """The optimizer over ONE flat tensor holding every weight, and that tensor's gradient buffer.

    On a net this small the per-step overhead, not the arithmetic, is what costs: one update of
    one tensor instead of six (and one zero_() instead of six). The layers' weights stay ordinary
    Parameters that are views into the flat tensor, and their gradients (autograd's or
    backprop.ExplicitStep's) are views of the flat gradient.
    """
    params = list(model.parameters())
    flat = torch.cat([p.detach().reshape(-1) for p in params])
    flat_grad = torch.zeros_like(flat)
    offset = 0
    for p in params:
        n = p.numel()
        p.data = flat[offset : offset + n].view_as(p)
        p.grad = flat_grad[offset : offset + n].view_as(p)
        offset += n
    return optimizers.make(config.optimizer, flat, flat_grad, lr=config.lr, weight_decay=config.weight_decay), flat_grad


def fit(model: MLP, splits: Splits, config: TrainConfig, stop: threading.Event | None = None) -> Iterator[EpochMetrics]:
    """Train `model` in place, yielding metrics after every epoch. Setting `stop` ends training
    before the next batch; the model is left as it stands (usable), and the last yield says stopped."""
    gen = torch.Generator().manual_seed(config.seed)
    torch.manual_seed(config.seed)  # dropout draws from the global generator
    x, y = torch.from_numpy(splits.x_train), torch.from_numpy(splits.y_train)
    optimizer, grad = make_optimizer(model, config)
    explicit = ExplicitStep(model) if supports_explicit(model) else None  # autograd's cost, skipped
    steps = config.epochs * math.ceil(len(x) / config.batch_size)
    scheduler = optimizers.CosineSchedule(optimizer, steps) if config.schedule == "cosine" else None
    started = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        model.train()
        order = torch.randperm(len(x), generator=gen)
        xs, ys = x[order], y[order]
        losses, stopped = [], False
        for start in range(0, len(xs), config.batch_size):
            if stop is not None and stop.is_set():
                stopped = True
                break
            xb = augment(xs[start : start + config.batch_size], config.augment, gen)
            yb = ys[start : start + config.batch_size]
            if explicit is not None:  # writes every gradient itself: nothing to zero
                loss = explicit(xb, yb)
            else:
                loss = nn.functional.cross_entropy(model(xb), yb)
                grad.zero_()
                loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            losses.append(loss.detach())  # read once per epoch (below), not per step
        if not losses:
            return
        # Scored after the epoch on clean inputs (no dropout or augmentation), so the train and
        # validation curves are comparable; a step only keeps its loss tensor (read out here, once).
        train_loss, train_acc = _score(model, splits.x_train, splits.y_train)
        val_loss, val_acc = _score(model, splits.x_val, splits.y_val)
        yield EpochMetrics(epoch, config.epochs, train_loss, train_acc, val_loss, val_acc,
                           time.perf_counter() - started, stopped, tuple(torch.stack(losses).tolist()))
        if stopped:
            break
    if config.calibrate:  # after the last yield: the curves show the network as it was trained
        from digitlab.calibrate import calibrate

        calibrate(model)


def _score(model: MLP, x: np.ndarray, y: np.ndarray) -> tuple[float | None, float | None]:
    if len(x) == 0:
        return None, None
    model.eval()
    with torch.inference_mode():
        logits = model(torch.from_numpy(x))
        loss = nn.functional.cross_entropy(logits, torch.from_numpy(y)).item()
        acc = (logits.argmax(1).numpy() == y).mean()
    model.train()
    return loss, float(acc)


# Named starting points for the CLI (--preset) and the app. "seed" is the Keras-style 128-64 Adam
# setup the project started from; "default" is how models/default was trained; "diverge" shows a
# learning rate too large to learn anything.
PRESETS = {
    "seed": TrainConfig(),
    "default": TrainConfig(hidden=(512, 256), dropout=0.2, optimizer="adamw", lr=2e-3, schedule="cosine",
                           batch_size=64, epochs=80, weight_decay=1e-4, augment=1.0, val_fraction=0.0, seed=0,
                           dataset_repeat=16, font_renders=60, stroke_renders=60, calibrate=True),
    "diverge": TrainConfig(optimizer="adam", lr=1.0, epochs=10),
}


def run_info(config: TrainConfig, history: list[EpochMetrics], test_accuracy: float) -> dict:
    """What a saved model records about how it was made (goes into the JSON sidecar)."""
    from digitlab.data import SPLIT_SEED, TEST_FRACTION

    last = history[-1] if history else None
    return {
        "train": config.to_dict(),
        "metrics": {
            "test_accuracy": test_accuracy,
            "val_accuracy": last.val_acc if last else None,
            "epochs_run": last.epoch if last else 0,
            "stopped_early": bool(last and (last.stopped or last.epoch < config.epochs)),
        },
        "split": {"seed": SPLIT_SEED, "test_fraction": TEST_FRACTION, "val_fraction": config.val_fraction},
        "history": [m.to_dict() for m in history],
    }
