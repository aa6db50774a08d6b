"""Test-set evaluation with scikit-learn's metrics: accuracy, per-class scores, confusion matrix,
and the misclassified examples (for a gallery)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digitlab.data import N_CLASSES
from digitlab.model import MLP, predict_proba

LABELS = list(range(N_CLASSES))


@dataclass(frozen=True)
class Evaluation:
    accuracy: float
    precision: np.ndarray  # (10,) per class
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray
    confusion: np.ndarray  # (10, 10) counts, rows = true label, columns = predicted
    report: str  # sklearn's classification_report text
    wrong_index: np.ndarray  # indices into x of misclassified examples
    wrong_true: np.ndarray
    wrong_pred: np.ndarray
    wrong_confidence: np.ndarray  # the model's probability for its (wrong) prediction


def evaluate(model: MLP, x: np.ndarray, y: np.ndarray) -> Evaluation:
    # Imported here: the app server imports this module for Evaluation alone, and importing
    # scikit-learn takes seconds that a fresh server's first page would otherwise wait for.
    from sklearn.metrics import accuracy_score, classification_report, confusion_matrix, precision_recall_fscore_support

    probs = predict_proba(model, x)
    pred = probs.argmax(axis=1)
    precision, recall, f1, support = precision_recall_fscore_support(y, pred, labels=LABELS, zero_division=0)
    wrong = np.flatnonzero(pred != y)
    return Evaluation(
        accuracy=float(accuracy_score(y, pred)),
        precision=precision,
        recall=recall,
        f1=f1,
        support=support,
        confusion=confusion_matrix(y, pred, labels=LABELS),
        report=classification_report(y, pred, labels=LABELS, digits=4, zero_division=0),
        wrong_index=wrong,
        wrong_true=y[wrong],
        wrong_pred=pred[wrong],
        wrong_confidence=probs[wrong, pred[wrong]],
    )


def confusion_text(confusion: np.ndarray) -> str:
    """The confusion matrix as an aligned table: rows true label, columns predicted."""
    width = max(3, len(str(confusion.max())) + 1)
    head = "true\\pred" + "".join(f"{c:>{width}}" for c in range(confusion.shape[1]))
    rows = [f"{r:>9}" + "".join(f"{v:>{width}}" for v in row) for r, row in enumerate(confusion)]
    return "\n".join([head, *rows])
