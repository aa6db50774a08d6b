"""Reading a finished (or running) sweep: its trial table, its best configuration, and training
that configuration on the full training split to save it as a model (one command, one click)."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import optuna
from optuna.trial import FrozenTrial, TrialState

from digitlab.search_space import SearchSpace
from digitlab.sweep_storage import SweepError
from digitlab.train import EpochMetrics, TrainConfig, fit, prepare, run_info


def trial_rows(study: optuna.Study) -> list[dict]:
    """One plain dict per trial for a table: number, state, score, epochs, seconds, parameters."""
    rows = []
    for t in study.get_trials(deepcopy=False):
        run = t.user_attrs.get("run", {})
        state = "stopped" if run.get("stopped") else t.state.name.lower()
        seconds = (t.datetime_complete - t.datetime_start).total_seconds() if t.datetime_complete and t.datetime_start else None
        last_acc = t.intermediate_values[t.last_step] if t.last_step is not None else None
        rows.append({"trial": t.number, "state": state, "val_acc": t.value if t.value is not None else last_acc,
                     "epochs": len(run.get("history", [])) or None, "seconds": seconds,
                     "hidden": "-".join(map(str, run.get("config", {}).get("hidden", []))) or None, **t.params})
    return rows


def completed(study: optuna.Study) -> list[FrozenTrial]:
    return [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            if t.value is not None and math.isfinite(t.value)]


def top_trials(study: optuna.Study, n: int = 5) -> list[FrozenTrial]:
    return sorted(completed(study), key=lambda t: (-t.value, t.number))[:n]


def trial_history(trial: FrozenTrial) -> list[EpochMetrics]:
    return [EpochMetrics(**m) for m in trial.user_attrs.get("run", {}).get("history", [])]


def best_config(study: optuna.Study) -> tuple[TrainConfig, FrozenTrial]:
    """The best trial's exact config, retargeted at the full training split (no validation hold-out)."""
    best = top_trials(study, 1)
    if not best:
        raise SweepError(f"study {study.study_name!r} has no completed trial yet; run some trials first")
    config = TrainConfig.from_dict(best[0].user_attrs["run"]["config"])
    return replace(config, val_fraction=0.0), best[0]


def study_space(study: optuna.Study) -> SearchSpace | None:
    space = study.user_attrs.get("space")
    return SearchSpace.from_dict(space) if space else None


@dataclass(frozen=True)
class BestModel:
    path: Path
    run_id: int | None  # None if the run history could not be written (the model is saved anyway)
    test_accuracy: float
    config: TrainConfig
    trial: int
    warning: str | None = None


def train_best(study: optuna.Study, name: str, *, overwrite: bool = False, stop=None,
               on_epoch: Callable[[EpochMetrics], None] | None = None, source: str = "sweep") -> BestModel:
    """Train the best trial's config on the whole training split, save it as `name`, record the run."""
    from digitlab.evaluate import evaluate
    from digitlab.runs import record_run_safely
    from digitlab.store import ModelError, check_name, models_dir, save_model

    check_name(name)  # fail before training, not after
    if not overwrite and (models_dir() / f"{name}.safetensors").exists():
        raise ModelError(f"a model named {name!r} already exists in {models_dir()}; choose another name or overwrite")
    config, trial = best_config(study)
    model, splits = prepare(config)
    history = []
    for m in fit(model, splits, config, stop=stop):
        history.append(m)
        if on_epoch is not None:
            on_epoch(m)
    accuracy = evaluate(model, splits.x_test, splits.y_test).accuracy
    origin = {"study": study.study_name, "trial": trial.number, "val_accuracy": trial.value}
    path = save_model(model, name, {**run_info(config, history, accuracy), "sweep": origin}, overwrite=overwrite)
    run_id, warning = record_run_safely(config, history, test_accuracy=accuracy, model_name=name, source=source,
                                        extra={"sweep": origin})
    return BestModel(path, run_id, accuracy, config, trial.number, warning and f"model saved, but {warning}")
