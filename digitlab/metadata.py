"""THE schema of a model's metadata (the JSON sidecar, and its copy inside the .safetensors file).

Every way a model comes in (save, load, upload, listing) checks it here, so a page or the CLI can
read any field without guarding its type: a file that fails is listed as broken with the reason
and never reaches a page. Fields not named here are allowed at the top level (and ignored);
inside train, metrics, split and history items, extra fields must be plain values, because the
Compare table shows them as columns.
"""
from __future__ import annotations

import math

from jsonschema import Draft202012Validator

FORMAT = "digitlab-mlp/1"
BIG = 2**53  # integers beyond this lose precision in JSON readers and overflow Arrow's int64 in tables

_int = {"type": "integer", "minimum": -BIG, "maximum": BIG}
_count = {"type": "integer", "minimum": 0, "maximum": BIG}
_num = {"type": "number", "minimum": -BIG, "maximum": BIG}  # also rejects inf; NaN is checked below
_share = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
_text = {"type": "string", "maxLength": 500}
_plain = {"type": ["string", "number", "boolean", "null"], "maxLength": 500, "minimum": -BIG, "maximum": BIG}
_sizes = {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 1_000_000}, "minItems": 1,
          "maxItems": 64}
_loss = {"type": ["number", "null"]}  # a diverged run's history may hold NaN or inf losses: that is its story

SCHEMA = {
    "type": "object",
    "required": ["format", "model"],
    "properties": {
        "format": {"const": FORMAT},
        "name": _text,
        "created": _text,
        "weights_sha256": _text,  # the sidecar's: SHA-256 of the whole .safetensors file it describes
        "tensors_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},  # the weights' checksum (store.py)
        "owner": {"type": "string", "pattern": "^[0-9a-f]{32}$"},  # digitlab/ownership.py: absent = nobody's
        "owner_name": {"type": "string", "maxLength": 40},  # the name the owner gave, shown to others
        "model": {
            "type": "object",
            "required": ["hidden", "activation", "dropout", "input_mean", "input_scale"],
            "properties": {"hidden": _sizes, "activation": _text, "dropout": _num,
                           "input_mean": {"type": "array", "items": _num, "minItems": 64, "maxItems": 64},
                           "input_scale": _num},
            "additionalProperties": _plain,  # a new ModelConfig field; ModelConfig itself judges the names
        },
        "train": {
            "type": "object",
            "properties": {"hidden": _sizes, "activation": _text, "optimizer": _text, "schedule": _text,
                           "init_from": _text, "lr": _num, "dropout": _num, "weight_decay": _num, "augment": _num,
                           "val_fraction": _num, "epochs": _count, "batch_size": _count, "seed": _int,
                           "drawings_weight": _count},
            "additionalProperties": _plain,
        },
        "metrics": {
            "type": "object",
            "properties": {"test_accuracy": _share, "val_accuracy": _share, "epochs_run": _count,
                           "stopped_early": {"type": "boolean"}},
            "additionalProperties": _plain,
        },
        "split": {"type": "object", "additionalProperties": _plain},
        "versions": {"type": "object", "additionalProperties": _text},
        "history": {
            "type": "array",
            "maxItems": 100_000,
            "items": {
                "type": "object",
                "required": ["epoch", "train_loss", "train_acc", "val_loss", "val_acc"],
                "properties": {"epoch": _count, "epochs": _count, "train_loss": _loss, "val_loss": _loss,
                               "train_acc": _share, "val_acc": _share, "seconds": {"type": ["number", "null"]},
                               "stopped": {"type": "boolean"}},
                "additionalProperties": _plain,
            },
        },
    },
}
_VALIDATOR = Draft202012Validator(SCHEMA)


def problem(info) -> str | None:
    """Why `info` is not valid model metadata (the first problem, with where it is), or None."""
    error = next(iter(sorted(_VALIDATOR.iter_errors(info), key=lambda e: list(e.absolute_path))), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "the metadata"
        return f"{where}: {_short(error.message)}"
    nan = _nan_outside_losses(info)
    return f"{nan}: NaN is not a number here" if nan else None


def _short(message: str, limit: int = 160) -> str:
    return message if len(message) <= limit else message[:limit] + "…"


def _nan_outside_losses(info: dict) -> str | None:
    """jsonschema takes NaN for a number (every comparison with it is False): find one, except in
    the history's losses."""
    def walk(value, path):
        if isinstance(value, float) and math.isnan(value):
            if not (len(path) == 3 and path[0] == "history" and path[2] in ("train_loss", "val_loss")):
                return "/".join(map(str, path))
        elif isinstance(value, dict):
            for k, v in value.items():
                found = walk(v, [*path, k])
                if found:
                    return found
        elif isinstance(value, list):
            for i, v in enumerate(value):
                found = walk(v, [*path, i])
                if found:
                    return found
        return None

    return walk(info, [])
