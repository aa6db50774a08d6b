"""The training service: prepare -> fit -> evaluate for one TrainConfig (`train`), then
`save_and_record`. Every face of training goes through these two, so they cannot drift apart:

    python -m digitlab train  (cli/commands.py)   --.
    the Train page's job      (jobs.TrainingJob)  ---+--> train() --> save_and_record()
    every sweep trial         (sweep.Objective)   ---|      prepare, fit, evaluate   store.save_model,
    "train best"              (sweep.train_best)  --'       (train.py, evaluate.py)  runs.record_run

No threads and no UI here: the callers decide where this runs (jobs.py runs it in a thread).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from digitlab.data import Splits
from digitlab.evaluate import Evaluation, evaluate
from digitlab.model import MLP
from digitlab.runs import RunsError, record_run_safely, set_model_name
from digitlab.store import ModelError, check_save_name, models_dir, save_model
from digitlab.train import EpochMetrics, TrainConfig, fit, prepare, run_info


@dataclass
class Trained:
    """One finished (or stopped) run: the model as it ended, its data, its history, its test score."""

    config: TrainConfig
    model: MLP
    splits: Splits
    history: list[EpochMetrics]
    evaluation: Evaluation | None  # None when the caller skipped the test set (sweep trials)

    @property
    def test_accuracy(self) -> float | None:
        return self.evaluation.accuracy if self.evaluation else None

    @property
    def complete(self) -> bool:
        """Every epoch ran to its end (not stopped, not cut short)."""
        last = self.history[-1] if self.history else None
        return last is not None and not last.stopped and last.epoch == self.config.epochs

    def info(self) -> dict:
        """What a saved model records about how it was made (the sidecar's train/metrics/history)."""
        return run_info(self.config, self.history, self.test_accuracy)


def train(config: TrainConfig, *, stop=None, on_epoch: Callable[[EpochMetrics], None] | None = None,
          test: bool = True, look: Callable[[MLP], None] | None = None, actor=None) -> Trained:
    """prepare -> fit -> evaluate. `stop` (anything with is_set(), e.g. a threading.Event) ends
    training before the next batch and keeps the model as it stands; on_epoch(metrics) sees every
    epoch as it ends. test=False skips the test set (a sweep scores on validation only).

    look(model), if given, runs after every epoch just before on_epoch, in the training thread: the
    one moment the model stands still between epochs, to read it as that epoch left it (a forward
    pass, a copy of some weights). It must leave the model as it found it (weights and mode).
    `actor` (ownership.Actor): whose kept drawings a drawings_weight mixes in (None: all of them)."""
    model, splits = prepare(config, stop, actor)
    history: list[EpochMetrics] = []
    for metrics in fit(model, splits, config, stop=stop):
        history.append(metrics)
        if look is not None:
            look(model)
        if on_epoch is not None:
            on_epoch(metrics)
    evaluation = evaluate(model, splits.x_test, splits.y_test) if test else None
    return Trained(config, model, splits, history, evaluation)


def warm_up() -> None:
    """One epoch of the seed preset, thrown away: pays the first-use costs (imports, loading the
    dataset, torch's first autograd and optimizer steps) so a person's first run costs what later
    ones do. A server runs it once at start-up, in a job of its own."""
    train(TrainConfig(epochs=1))


def check_new_name(name: str, *, overwrite: bool = False, allow_default: bool = False,
                   how_to_overwrite: str = "overwrite it") -> None:
    """Every reason save_and_record would refuse `name`, asked before training rather than after."""
    check_save_name(name, allow_default=allow_default)
    if not overwrite and (models_dir() / f"{name}.safetensors").exists():
        raise ModelError(f"a model named {name!r} already exists in {models_dir()}; "
                         f"choose another name or {how_to_overwrite}")


@dataclass(frozen=True)
class Saved:
    path: Path | None  # None: not saved (no name given)
    run_id: int | None  # None: the run history could not be written (the model is saved anyway)
    warning: str | None  # why the run history was not written


def save_and_record(trained: Trained, name: str | None = None, *, source: str, run_id: int | None = None,
                    overwrite: bool = False, allow_default: bool = False, extra: dict | None = None) -> Saved:
    """Save the model as `name` (None: don't save) and record the run in the run history.

    The history is a convenience: failing to write it never fails a run or a save (a warning).
    `run_id` names a run recorded earlier instead of recording it again: the Train page records
    a run when training ends, and the user may save it under a name later. `extra` (e.g. the sweep a
    config came from) goes into both the model's sidecar and the run's row.
    """
    path = None
    if name:
        path = save_model(trained.model, name, {**trained.info(), **(extra or {})}, overwrite=overwrite,
                          allow_default=allow_default)
    if run_id is None:
        run_id, warning = record_run_safely(trained.config, trained.history, test_accuracy=trained.test_accuracy,
                                            model_name=name, source=source, extra=extra)
        return Saved(path, run_id, warning)
    warning = None
    if name:
        try:
            set_model_name(run_id, name)
        except RunsError as exc:
            warning = f"run {run_id} not named in the history: {exc}"
    return Saved(path, run_id, warning)
