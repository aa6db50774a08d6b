"""A setup in a link: the Train page's and the Explore page's controls <-> a URL query string.

Pure functions from a dict of strings (what st.query_params holds) to control values and back; no
Streamlit here, so they can be property-tested. Reading never raises: every value that is missing,
malformed, out of range or of the wrong type falls back to its default, and each fallback (and any
unknown key) gets a note a person can read. TrainConfig.problems() stays the one judge of a
training setup; the extra range checks here are the controls' own (a slider cannot show a value
outside its track, a select-slider only its steps).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, fields
from typing import Collection, Mapping

from digitlab.store import NAME_RE
from digitlab.sweep.config import PRUNERS, SAMPLERS
from digitlab.train import OPTIMIZERS, PRESETS, ConfigError, TrainConfig

MAX_VALUE_CHARS = 200  # longer values are refused unread (a link is not a place for essays)
MAX_NOTES = 12
MAX_SEED = 2**32 - 1  # what numpy and sklearn take
# Keys any page may carry: presentation mode, and Streamlit's own embedding switches.
GLOBAL_KEYS = frozenset({"present", "embed", "embed_options"})

# --- the Train page's controls ------------------------------------------------------------------
LR_CHOICES = tuple(float(f"{m}e{e}") for e in range(-5, 1) for m in (1, 2, 5)) + (10.0,)  # log scale, 1e-5 .. 10
SLIDERS = {"dropout": (0.0, 0.9, 0.05), "augment": (0.0, 1.0, 0.1), "val_fraction": (0.0, 0.5, 0.05)}
TRAIN_FIELDS = {f.name: f for f in fields(TrainConfig)}
PRESET = "preset"
TRAIN_KEYS = (PRESET, *TRAIN_FIELDS)

# --- the Explore page's search space and budget -------------------------------------------------
LR_STEPS = tuple(float(f"{m}e{e}") for e in range(-5, 1) for m in (1, 2, 3, 5)) + (10.0,)
WD_STEPS = tuple(float(f"{m}e{e}") for e in range(-6, 0) for m in (1, 3))
WIDTHS = (8, 16, 32, 64, 128, 256, 512, 1024)
BATCHES = (16, 32, 64, 128, 256)
DEPTHS = (1, 4)
# name: (kind, what it may be, default). Ranges are "LOW:HIGH".
EXPLORE = {
    "lr": ("steps", LR_STEPS, (1e-4, 3e-2)),
    "weight_decay": ("steps", WD_STEPS, (1e-5, 1e-2)),
    "width": ("steps", WIDTHS, (32, 512)),
    "depth": ("int_range", DEPTHS, (1, 3)),
    "dropout": ("float_range", (0.0, 0.8, 0.05), (0.0, 0.4)),
    "augment": ("float_range", (0.0, 1.0, 0.05), (0.0, 0.5)),
    "vary": ("subset", ("lr", "weight_decay", "width", "depth", "dropout", "augment"),
             ("lr", "width", "depth", "dropout")),
    "batch_sizes": ("subset", BATCHES, (32, 64, 128)),
    "optimizers": ("subset", OPTIMIZERS, OPTIMIZERS),
    "trials": ("int", (1, 1000), 30),
    "timeout": ("int", (0, 24 * 3600), 0),
    "epochs": ("int", (1, 500), 20),
    "sampler": ("choice", SAMPLERS, "tpe"),
    "pruner": ("choice", PRUNERS, "median"),
}
EXPLORE_DEFAULTS = {name: spec[2] for name, spec in EXPLORE.items()}


@dataclass
class FromLink:
    values: dict  # every control's value, usable as it is
    notes: list[str] = field(default_factory=list)  # what was ignored and why, for the page to show
    given: bool = False  # whether the link carried any setting of this page at all


class _Bad(ValueError):
    """One value that cannot be used; the message says why (without echoing the value)."""


# --- shared helpers -----------------------------------------------------------------------------

def shown(text: str, limit: int = 24) -> str:
    """A value from a link made safe to show: letters, digits and a few marks only, shortened."""
    safe = re.sub(r"[^A-Za-z0-9_.,:+-]", "?", str(text))
    return safe if len(safe) <= limit else safe[: limit - 1] + "…"


def _value(query: Mapping, key: str) -> str | None:
    value = query.get(key)
    if isinstance(value, (list, tuple)):  # a repeated key: the last one counts, as in st.query_params
        value = value[-1] if value else None
    return None if value is None else str(value)


def _int(text: str) -> int:
    if not re.fullmatch(r"[+-]?\d{1,12}", text.strip()):
        raise _Bad("not a whole number")
    return int(text)


def _float(text: str) -> float:
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?", text.strip()):
        raise _Bad("not a number")
    value = float(text)
    if not math.isfinite(value):
        raise _Bad("not a finite number")
    return value


def _on_grid(value: float, low: float, high: float, step: float) -> float:
    if not low - 1e-9 <= value <= high + 1e-9:
        raise _Bad(f"outside {low:g}..{high:g}")
    k = round((value - low) / step)
    if abs(low + k * step - value) > 1e-6:
        raise _Bad(f"not a step of {step:g}")
    return round(low + k * step, 10)


def _step(value: float, steps: tuple) -> float | int:
    for s in steps:
        if math.isclose(value, s, rel_tol=1e-6):
            return s
    raise _Bad(f"not one of the control's steps ({steps[0]:g} .. {steps[-1]:g})")


def _unknown(query: Mapping, known: Collection[str], notes: list[str]) -> None:
    unknown = [k for k in query if k not in known and k not in GLOBAL_KEYS]
    if unknown:
        names = ", ".join(shown(k, 16) for k in unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        notes.append(f"ignored unknown setting(s): {names}")


def _read(query: Mapping, key: str, parse, default, notes: list[str], show_default=str):
    text = _value(query, key)
    if text is None:
        return default
    try:
        if len(text) > MAX_VALUE_CHARS:
            raise _Bad(f"longer than {MAX_VALUE_CHARS} characters")
        return parse(text)
    except _Bad as exc:
        notes.append(f"{key}={shown(text)}: {exc}; using {show_default(default)}")
        return default


def _cap(notes: list[str]) -> list[str]:
    return notes if len(notes) <= MAX_NOTES else notes[:MAX_NOTES] + [f"…and {len(notes) - MAX_NOTES} more"]


# --- Train ----------------------------------------------------------------------------------------

def parse_hidden(text: str) -> tuple[int, ...]:
    """'128,64' (or '128 64') -> (128, 64); ValueError with a sentence otherwise."""
    parts = [p for p in str(text).replace(" ", ",").split(",") if p]
    if not parts:
        raise ValueError("hidden: give at least one layer size, e.g. 128,64")
    if len(parts) > 64 or not all(re.fullmatch(r"\d{1,9}", p) for p in parts):
        raise ValueError(f"hidden: use whole numbers separated by commas, e.g. 128,64 (got {shown(text)!r})")
    return tuple(int(p) for p in parts)


def train_controls(config: TrainConfig) -> dict:
    """A config as the Train page's controls hold it (hidden sizes as text)."""
    values = config.to_dict()
    values["hidden"] = ",".join(map(str, config.hidden))
    return values


def _train_parser(name: str, known_models: Collection[str] | None):
    f = TRAIN_FIELDS[name]
    kind = str(f.type)

    def parse(text: str):
        if name == "hidden":
            try:
                return ",".join(map(str, parse_hidden(text)))
            except ValueError as exc:
                raise _Bad(str(exc).removeprefix("hidden: ")) from None
        if name == "lr":
            return _step(_float(text), LR_CHOICES)
        if name in SLIDERS:
            return _on_grid(_float(text), *SLIDERS[name])
        if kind == "bool":
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off"):
                return False
            raise _Bad("not 1 or 0")
        if kind == "int":
            value = _int(text)
            if value < 0:  # every count is >= 0, and numpy and sklearn refuse a negative seed
                raise _Bad("must be 0 or more")
            if name == "seed" and value > MAX_SEED:
                raise _Bad(f"a seed is at most {MAX_SEED}")
            return value
        if kind == "float":
            return _float(text)
        if "choices" in f.metadata:
            if text not in f.metadata["choices"]:
                raise _Bad(f"not one of {', '.join(f.metadata['choices'])}")
            return text
        if name == "init_from":
            if text and (not NAME_RE.match(text) or (known_models is not None and text not in known_models)):
                raise _Bad("no saved model of that name")
            return text
        raise _Bad("not understood")  # a new TrainConfig field without a parser: refuse, never guess

    return parse


def train_from_query(query: Mapping, known_models: Collection[str] | None = None) -> FromLink:
    """The Train page's control values from a link. Starts from the link's preset (or seed), takes
    every field the link gives that parses, then lets TrainConfig judge the whole: each field it
    objects to goes back to the preset's value, with a note."""
    notes: list[str] = []
    _unknown(query, TRAIN_KEYS, notes)
    preset = _read(query, PRESET, lambda t: t if t in PRESETS else _no(f"not one of {', '.join(PRESETS)}"),
                   "seed", notes)
    base = train_controls(PRESETS[preset])
    values = {PRESET: preset}
    for name in TRAIN_FIELDS:
        values[name] = _read(query, name, _train_parser(name, known_models), base[name], notes,
                             show_default=lambda v: repr(v) if v == "" else str(v))
    for _ in range(len(TRAIN_FIELDS)):  # each pass restores at least one field, so this ends
        problems = _problems(values)
        if not problems:
            break
        for name, message in problems.items():
            if values[name] != base[name]:
                notes.append(f"{name}: {message}; using {base[name]}")
            values[name] = base[name]
    return FromLink(values, _cap(notes), any(k in query for k in TRAIN_KEYS))


def _no(message: str):
    raise _Bad(message)


def _problems(values: dict) -> dict[str, str]:
    args = {name: values[name] for name in TRAIN_FIELDS}
    args["hidden"] = parse_hidden(args["hidden"])
    try:
        TrainConfig(**args)
    except ConfigError as exc:
        return exc.problems
    return {}


def train_to_query(values: Mapping) -> dict[str, str]:
    """Control values -> the link's query: every field, so a link means the same setup even if a
    preset's defaults change later (and the seed is in it: the same link trains the same run)."""
    query = {PRESET: str(values.get(PRESET, "seed"))}
    for name in TRAIN_FIELDS:
        value = values[name]
        query[name] = ("1" if value else "0") if isinstance(value, bool) else (
            repr(float(value)) if isinstance(value, float) else str(value))
    return query


# --- Explore --------------------------------------------------------------------------------------

def _explore_parser(kind: str, allowed):
    def pair(text: str) -> tuple[str, str]:
        parts = text.split(":")
        if len(parts) != 2:
            raise _Bad("not a range LOW:HIGH")
        return parts[0], parts[1]

    def ordered(lo, hi):
        if lo > hi:
            raise _Bad("the range is backwards")
        return lo, hi

    def parse(text: str):
        if kind == "steps":
            lo, hi = pair(text)
            return ordered(_step(_float(lo), allowed), _step(_float(hi), allowed))
        if kind == "int_range":
            lo, hi = (_int(p) for p in pair(text))
            if not (allowed[0] <= lo and hi <= allowed[1]):
                raise _Bad(f"outside {allowed[0]}..{allowed[1]}")
            return ordered(lo, hi)
        if kind == "float_range":
            lo, hi = (_on_grid(_float(p), *allowed) for p in pair(text))
            return ordered(lo, hi)
        if kind == "subset":
            items = [p for p in text.split(",") if p]
            if len(items) > len(allowed) * 2:
                raise _Bad("too many items")
            as_type = int if isinstance(allowed[0], int) else str
            try:
                chosen = [as_type(_int(p) if as_type is int else p) for p in items]
            except _Bad:
                raise _Bad("not a list of whole numbers") from None
            if any(c not in allowed for c in chosen):
                raise _Bad(f"each must be one of {', '.join(map(str, allowed))}")
            return tuple(c for c in allowed if c in chosen)  # in the control's order, no repeats
        if kind == "int":
            value = _int(text)
            if not allowed[0] <= value <= allowed[1]:
                raise _Bad(f"outside {allowed[0]}..{allowed[1]}")
            return value
        if kind == "choice":
            if text not in allowed:
                raise _Bad(f"not one of {', '.join(allowed)}")
            return text
        raise _Bad("not understood")

    return parse


def explore_from_query(query: Mapping) -> FromLink:
    """The Explore page's search space and budget from a link, each value checked against its
    control; then the space as a whole is checked by digitlab.sweep's SearchSpace."""
    notes: list[str] = []
    _unknown(query, EXPLORE, notes)
    values = {name: _read(query, name, _explore_parser(kind, allowed), default, notes, show_default=_show_explore)
              for name, (kind, allowed, default) in EXPLORE.items()}
    if not values["batch_sizes"] or not values["optimizers"]:
        for name in ("batch_sizes", "optimizers"):
            if not values[name]:
                notes.append(f"{name}: pick at least one; using {_show_explore(EXPLORE_DEFAULTS[name])}")
                values[name] = EXPLORE_DEFAULTS[name]
    problems = search_space_problems(values)
    if problems:
        notes.append("the search space as a whole is unusable (" + "; ".join(problems) + "); using the defaults")
        values = {**values, **{k: EXPLORE_DEFAULTS[k] for k in ("lr", "weight_decay", "width", "depth", "dropout",
                                                                 "augment", "vary", "batch_sizes", "optimizers")}}
    return FromLink(values, _cap(notes), any(k in query for k in EXPLORE))


def search_space_problems(values: Mapping) -> list[str]:
    from digitlab.sweep.space import SearchSpace

    vary = set(values["vary"])
    try:
        SearchSpace(**{k: values[k] if k in vary else None for k in ("lr", "weight_decay", "width", "depth",
                                                                      "dropout", "augment")},
                    batch_size=tuple(values["batch_sizes"]), optimizer=tuple(values["optimizers"]))
    except ValueError as exc:
        return [str(exc)]
    return []


def _show_explore(value) -> str:
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, (int, float)) for v in value):
        return f"{value[0]:g}:{value[1]:g}"
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    return str(value)


def explore_to_query(values: Mapping) -> dict[str, str]:
    query = {}
    for name, (kind, _allowed, _default) in EXPLORE.items():
        value = values[name]
        if kind in ("steps", "int_range", "float_range"):
            query[name] = f"{value[0]!r}:{value[1]!r}"
        elif kind == "subset":
            query[name] = ",".join(map(str, value))
        else:
            query[name] = str(value)
    return query


def flag(query: Mapping, name: str) -> bool | None:
    """A yes/no switch in a link (?present=1): True, False, or None when absent or not understood."""
    text = _value(query, name)
    if text is None or len(text) > 8:
        return None
    return {"1": True, "true": True, "yes": True, "on": True,
            "0": False, "false": False, "no": False, "off": False}.get(text.lower())
