"""Train the best configuration of a sweep on the full training split and save it as a model (one
command, one click): the training service's train + save_and_record, with the sweep noted."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import optuna

from digitlab import service, training_workers
from digitlab.jobs import Job
from digitlab.store import acting_as
from digitlab.sweep.results import best_config
from digitlab.train import EpochMetrics, TrainConfig


@dataclass(frozen=True)
class BestModel:
    path: Path
    run_id: int | None  # None if the run history could not be written (the model is saved anyway)
    test_accuracy: float
    config: TrainConfig
    trial: int
    warning: str | None = None


def train_best(study: optuna.Study, name: str, *, overwrite: bool = False, stop=None,
               on_epoch: Callable[[EpochMetrics], None] | None = None, source: str = "sweep",
               train: Callable[..., service.Trained] = service.train) -> BestModel:
    """Train the best trial's config on the whole training split, save it as `name`, record the run.
    `train` is service.train or the same in a training process (train_best_job)."""
    service.check_new_name(name, overwrite=overwrite)  # fail before training, not after
    config, trial = best_config(study)
    trained = train(config, stop=stop, on_epoch=on_epoch)
    origin = {"study": study.study_name, "trial": trial.number, "val_accuracy": trial.value}
    saved = service.save_and_record(trained, name, source=source, overwrite=overwrite, extra={"sweep": origin})
    return BestModel(saved.path, saved.run_id, trained.test_accuracy, config, trial.number,
                     saved.warning and f"model saved, but {saved.warning}")


def train_best_job(study: optuna.Study, name: str, *, source: str = "ui", actor=None, **job_options):
    """train_best as a background Job (a slot, a stop, the owner check): job.latest is the newest
    EpochMetrics, job.result the BestModel. The model is saved as `actor`'s (ownership.Actor; None:
    nobody's, as from the command line)."""
    def work(job: Job):
        def in_a_training_process(config, *, stop, on_epoch):  # as the Train page's runs: off the server's GIL
            return training_workers.POOL.train(config, keep=job.slots.limit, stop=stop,
                                               on_epoch=lambda metrics, _probe: on_epoch(metrics))[0]

        with acting_as(actor):  # a context var, so set in this thread; None acts as the command line
            return train_best(study, name, stop=job.stop_event, on_epoch=job.report, source=source,
                              train=in_a_training_process)

    return Job(work, kind="best", label=f"train best of {study.study_name}", **job_options)
