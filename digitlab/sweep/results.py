"""Reading a finished (or running) sweep, read-only: its trial table, its best trials and their
learning curves, its best configuration (best.py trains and saves that)."""
from __future__ import annotations

import math
from dataclasses import replace

import optuna
from optuna.trial import FrozenTrial, TrialState

from digitlab.sweep.config import SweepError
from digitlab.sweep.space import SearchSpace
from digitlab.train import EpochMetrics, TrainConfig


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
