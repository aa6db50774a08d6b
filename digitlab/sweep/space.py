"""The hyperparameter search space of a sweep: which knobs vary and over what ranges.

A field set to None is not varied (the sweep's base TrainConfig value is used); a (low, high)
range with low == high is a fixed value too. Validation says every problem at once, in words a
person can act on, before any worker starts. Used by sweep.py, the CLI and the Explore page.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from digitlab.train import MAX_BATCH, MAX_LAYERS, MAX_WIDTH, OPTIMIZERS, TrainConfig

Range = tuple[float, float]

# What each field is, for help texts: the CLI's flags and the page's controls are built from these.
HELP = {
    "lr": "learning rate, log-uniform LOW:HIGH",
    "width": "first hidden layer width, log-uniform LOW:HIGH (each further layer is half as wide)",
    "depth": "number of hidden layers LOW:HIGH",
    "dropout": "dropout LOW:HIGH, 0 to <1",
    "batch_size": "batch sizes to try, comma-separated",
    "optimizer": f"optimizers to try, comma-separated ({', '.join(OPTIMIZERS)})",
    "weight_decay": "weight decay, log-uniform LOW:HIGH (>0)",
    "augment": "augmentation strength LOW:HIGH, 0..1",
}
RANGES = ("lr", "width", "depth", "dropout", "weight_decay", "augment")
CHOICES = ("batch_size", "optimizer")
LOG = {"lr", "width", "weight_decay"}
INTS = {"width", "depth"}


@dataclass(frozen=True)
class SearchSpace:
    lr: Range | None = (1e-4, 3e-2)
    width: Range | None = (32, 512)
    depth: Range | None = (1, 3)
    dropout: Range | None = (0.0, 0.4)
    batch_size: tuple[int, ...] | None = (32, 64, 128)
    optimizer: tuple[str, ...] | None = ("sgd", "momentum", "adam", "adamw")
    weight_decay: Range | None = None
    augment: Range | None = None

    def __post_init__(self):
        for name in RANGES:
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, tuple(value))
        for name in CHOICES:
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, tuple(dict.fromkeys(value)))  # drop repeats, keep order
        problems = self.problems()
        if problems:
            raise ValueError("; ".join(problems))

    def problems(self) -> list[str]:
        """Every reason this space is unusable, as sentences a person can act on."""
        p = []
        bounds = {"lr": (0, 10, "> 0 and <= 10"), "width": (1, MAX_WIDTH, f"1..{MAX_WIDTH}"),
                  "depth": (1, MAX_LAYERS, f"1..{MAX_LAYERS}"), "dropout": (0, 0.95, "0 to 0.95"),
                  "weight_decay": (0, 1, "> 0 and <= 1"), "augment": (0, 1, "0..1")}
        for name, (lo_ok, hi_ok, words) in bounds.items():
            value = getattr(self, name)
            if value is None:
                continue
            if len(value) != 2 or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in value):
                p.append(f"{name}: give a range as two numbers LOW:HIGH, got {value!r}")
                continue
            lo, hi = value
            if lo > hi:
                p.append(f"{name}: the range {_fmt(lo)}:{_fmt(hi)} is backwards (give the low end first)")
            if name in LOG and lo <= 0:
                p.append(f"{name}: a log range needs a low end above 0, got {_fmt(lo)}")
            elif lo < lo_ok or hi > hi_ok:
                p.append(f"{name}: the range must lie within {words}, got {_fmt(lo)}:{_fmt(hi)}")
            if name in INTS and (lo != int(lo) or hi != int(hi)):
                p.append(f"{name}: give whole numbers, got {_fmt(lo)}:{_fmt(hi)}")
        if self.batch_size is not None:
            if not self.batch_size:
                p.append("batch_size: choose at least one batch size")
            elif any(not isinstance(b, int) or not 1 <= b <= MAX_BATCH for b in self.batch_size):
                p.append(f"batch_size: each size must be a whole number 1..{MAX_BATCH}, got {list(self.batch_size)}")
        if self.optimizer is not None:
            unknown = [o for o in self.optimizer if o not in OPTIMIZERS]
            if not self.optimizer:
                p.append("optimizer: choose at least one optimizer")
            elif unknown:
                p.append(f"optimizer: unknown {', '.join(map(repr, unknown))} (choose from {', '.join(OPTIMIZERS)})")
        if not p and not self.varied():
            p.append("nothing varies: give at least one hyperparameter a range or more than one choice")
        return p

    def varied(self) -> list[str]:
        """Names of the hyperparameters that actually vary (the sweep's search dimensions)."""
        out = []
        for name in RANGES + CHOICES:
            value = getattr(self, name)
            if value is not None and (len(set(value)) > 1 if name in CHOICES else value[0] != value[1]):
                out.append(name)
        return out

    def suggest(self, trial, base: TrainConfig) -> TrainConfig:
        """The TrainConfig for one Optuna trial: varied fields suggested, fixed ones set, rest from base."""
        values: dict = {}
        varied = set(self.varied())
        for name in RANGES:
            value = getattr(self, name)
            if value is None:
                continue
            lo, hi = value
            if name not in varied:
                values[name] = int(lo) if name in INTS else float(lo)
            elif name in INTS:
                values[name] = trial.suggest_int(name, int(lo), int(hi), log=name in LOG)
            else:
                values[name] = trial.suggest_float(name, float(lo), float(hi), log=name in LOG)
        for name in CHOICES:
            value = getattr(self, name)
            if value is not None:
                values[name] = trial.suggest_categorical(name, list(value)) if name in varied else value[0]
        return apply(base, values)

    def grid(self, points: int = 3) -> dict[str, list]:
        """A grid for Optuna's GridSampler: `points` values per varied range, every choice."""
        out: dict[str, list] = {}
        for name in self.varied():
            value = getattr(self, name)
            if name in CHOICES:
                out[name] = list(value)
                continue
            lo, hi = value
            ticks = np.geomspace(lo, hi, points) if name in LOG else np.linspace(lo, hi, points)
            ticks = np.clip(ticks, lo, hi)  # geomspace can overshoot the end by an ulp
            out[name] = sorted({int(round(t)) for t in ticks}) if name in INTS else [float(t) for t in ticks]
        return out

    def to_dict(self) -> dict:
        return {k: (list(v) if v is not None else None) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict) -> "SearchSpace":
        known = {f.name for f in fields(cls)}
        return cls(**{k: (tuple(v) if v is not None else None) for k, v in d.items() if k in known})


def apply(base: TrainConfig, values: dict) -> TrainConfig:
    """base with the swept values; width and depth become `hidden` (halving, at least 16 wide)."""
    values = dict(values)
    width, depth = values.pop("width", None), values.pop("depth", None)
    if width is not None or depth is not None:
        width = int(width if width is not None else base.hidden[0])
        depth = int(depth if depth is not None else len(base.hidden))
        values["hidden"] = tuple(max(min(width, 16), width >> i) for i in range(depth))
    return replace(base, **values)


def parse_range(text: str, name: str) -> Range | None:
    """'LOW:HIGH' -> (low, high); a single number is a fixed value; 'off' keeps the base value."""
    text = text.strip().lower()
    if text in ("off", "none", "fixed", ""):
        return None
    parts = text.split(":")
    try:
        numbers = tuple(float(part) for part in parts)
    except ValueError:
        raise ValueError(f"{name}: expected LOW:HIGH such as 1e-4:1e-1, or one number, got {text!r}") from None
    if len(numbers) == 1:
        return numbers * 2
    if len(numbers) != 2:
        raise ValueError(f"{name}: expected LOW:HIGH with one ':', got {text!r}")
    return numbers


def parse_choices(text: str, name: str) -> tuple | None:
    text = text.strip().lower()
    if text in ("off", "none", "fixed"):
        return None
    items = [t for t in text.replace(" ", "").split(",") if t]
    if name == "batch_size":
        try:
            return tuple(int(t) for t in items)
        except ValueError:
            raise ValueError(f"batch_size: expected whole numbers such as 32,64,128, got {text!r}") from None
    return tuple(items)


def describe(space: SearchSpace) -> str:
    parts = []
    for name in RANGES + CHOICES:
        value = getattr(space, name)
        if value is None:
            continue
        if name in CHOICES:
            parts.append(f"{name}={{{','.join(map(str, value))}}}")
        else:
            parts.append(f"{name}={_fmt(value[0])}" + ("" if value[0] == value[1] else f":{_fmt(value[1])}"))
    return " ".join(parts)


def _fmt(v) -> str:
    return f"{v:g}" if isinstance(v, (int, float)) else repr(v)
