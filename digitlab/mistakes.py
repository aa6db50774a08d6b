"""From a confusion-matrix cell to the examples behind it: which mistakes a true -> predicted pair
holds, each with its 8x8 input and the model's top three guesses. No Streamlit here."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digitlab.data import N_CLASSES
from digitlab.evaluate import Evaluation
from digitlab.model import MLP, predict_proba

Cell = tuple[int, int]  # (true digit, predicted digit)


@dataclass(frozen=True)
class Mistake:
    index: int  # into the x the evaluation was made on
    true: int
    predicted: int
    grid: np.ndarray  # (8, 8) raw 0-16 counts, what the network saw
    top3: tuple[tuple[int, float], ...]  # (digit, probability), most likely first


def top_k(probs: np.ndarray, k: int = 3) -> tuple[tuple[int, float], ...]:
    order = np.argsort(-np.asarray(probs), kind="stable")[:k]
    return tuple((int(d), float(probs[d])) for d in order)


def mistakes(model: MLP, x: np.ndarray, ev: Evaluation, cell: Cell | None = None,
             limit: int = 40) -> tuple[list[Mistake], int]:
    """The misclassified examples (all, or only those of `cell`), most confident first, at most
    `limit` of them; and how many there are in all."""
    keep = np.ones(len(ev.wrong_index), bool)
    if cell is not None:
        keep = (ev.wrong_true == cell[0]) & (ev.wrong_pred == cell[1])
    chosen = np.flatnonzero(keep)
    chosen = chosen[np.argsort(-ev.wrong_confidence[chosen], kind="stable")][:limit]
    if len(chosen) == 0:
        return [], int(keep.sum())
    rows = ev.wrong_index[chosen]
    probs = predict_proba(model, x[rows])
    found = [Mistake(int(i), int(ev.wrong_true[c]), int(ev.wrong_pred[c]), np.asarray(x[i]).reshape(8, 8), top_k(p))
             for i, c, p in zip(rows, chosen, probs)]
    return found, int(keep.sum())


def cell_from_selection(selection) -> Cell | None:
    """The (true, predicted) cell a click on the confusion matrix picked, as a Plotly selection
    ({"points": [{"x": "3", "y": "8", ...}]}, x the predicted digit, y the true one).
    Anything else (no click, a box, malformed data) is None."""
    try:
        points = selection["points"]
    except (KeyError, TypeError, IndexError):
        return None
    if not isinstance(points, list) or len(points) != 1 or not isinstance(points[0], dict):
        return None
    try:
        predicted, true = int(str(points[0]["x"])), int(str(points[0]["y"]))
    except (KeyError, ValueError):
        return None
    if not (0 <= true < N_CLASSES and 0 <= predicted < N_CLASSES):
        return None
    return true, predicted
