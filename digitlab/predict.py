"""Classify many image files at once: one model, preprocessing per file, batched inference.
A file that cannot be read or holds no drawing gets its own error; the rest go on."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from digitlab.model import MLP, is_unsure, predict_proba
from digitlab.preprocess import preprocess

CHUNK = 512  # files per batched forward pass; bounds memory for huge file lists


@dataclass(frozen=True)
class FilePrediction:
    path: str
    prediction: int | None
    probabilities: list[float] | None
    error: str | None
    unsure: bool | None = None  # digitlab.model.is_unsure: the same rule as the Draw page's

    def to_dict(self) -> dict:
        return {"path": self.path, "prediction": self.prediction, "probabilities": self.probabilities,
                "unsure": self.unsure, "error": self.error}


def predict_files(model: MLP, paths: Iterable[Path]) -> Iterator[FilePrediction]:
    paths = list(paths)
    for start in range(0, len(paths), CHUNK):
        chunk = paths[start : start + CHUNK]
        features, errors = [], []
        for path in chunk:
            try:
                pre = preprocess(path)
                errors.append(None if not pre.empty else "no drawing found (blank image or only a speck)")
                features.append(pre.features if not pre.empty else np.zeros(64, np.float32))
            except ValueError as exc:
                errors.append(str(exc))
                features.append(np.zeros(64, np.float32))
        probs = predict_proba(model, np.stack(features))
        for path, error, p in zip(chunk, errors, probs):
            if error:
                yield FilePrediction(str(path), None, None, error)
            else:
                yield FilePrediction(str(path), int(p.argmax()), [round(float(v), 6) for v in p], None, is_unsure(p))
