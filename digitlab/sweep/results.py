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
    from digitlab import service

    service.check_new_name(name, overwrite=overwrite)  # fail before training, not after
    config, trial = best_config(study)
    trained = service.train(config, stop=stop, on_epoch=on_epoch)
    origin = {"study": study.study_name, "trial": trial.number, "val_accuracy": trial.value}
    saved = service.save_and_record(trained, name, source=source, overwrite=overwrite, extra={"sweep": origin})
    return BestModel(saved.path, saved.run_id, trained.test_accuracy, config, trial.number,
                     saved.warning and f"model saved, but {saved.warning}")


def train_best_job(study: optuna.Study, name: str, *, source: str = "ui", **job_options):
    """train_best as a background Job (a slot, a stop, the owner check): job.latest is the newest
    EpochMetrics, job.result the BestModel."""
    from digitlab.jobs import Job

    return Job(lambda job: train_best(study, name, stop=job.stop_event, on_epoch=job.report, source=source),
               kind="best", label=f"train best of {study.study_name}", **job_options)
