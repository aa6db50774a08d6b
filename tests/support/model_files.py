"""Small genuine DigitLab models, and model files with their embedded metadata edited (schema tests)."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

from safetensors import safe_open
from safetensors.torch import save as safetensors_bytes

from digitlab.store import META_KEY, save_model


def tiny_model():
    """A small net (32-16) trained for two epochs, and the info a saved model records about it."""
    from digitlab.train import TrainConfig, fit, prepare, run_info

    config = TrainConfig(epochs=2, hidden=(32, 16))
    model, splits = prepare(config)
    history = list(fit(model, splits, config))
    return model, run_info(config, history, 0.5)


def genuine_model_bytes() -> bytes:
    """A small, real model saved the normal way (8 hidden units, barely trained), as file bytes."""
    from digitlab.train import TrainConfig, fit, prepare, run_info

    config = TrainConfig(hidden=(8,), epochs=1, val_fraction=0.1)
    model, splits = prepare(config)
    history = list(fit(model, splits, config))
    with tempfile.TemporaryDirectory() as folder:
        return save_model(model, "genuine", run_info(config, history, 0.5), directory=Path(folder)).read_bytes()


def with_metadata(data: bytes, edit) -> bytes:
    """The same weights with the embedded metadata replaced by edit(metadata) (edit may mutate and
    return None, or return a new value; a str replaces the JSON text itself)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.safetensors"
        path.write_bytes(data)
        with safe_open(str(path), framework="pt") as f:
            meta = json.loads(f.metadata()[META_KEY])
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    result = edit(meta)
    meta = meta if result is None else result
    text = meta if isinstance(meta, str) else json.dumps(meta)  # a str is put in as it is (raw JSON text)
    return safetensors_bytes(tensors, metadata={META_KEY: text})
