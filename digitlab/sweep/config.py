"""What a sweep is: its settings (SweepConfig), its progress report (Progress) and its error
(SweepError). The bottom of the sweep package: every other module in it imports this one."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from optuna.trial import TrialState

from digitlab.sweep.space import SearchSpace
from digitlab.train import TrainConfig


class SweepError(ValueError):
    """A sweep that cannot start or go on, with a message saying why."""


SAMPLERS = ("tpe", "random", "grid")
PRUNERS = ("median", "hyperband", "none")
MAX_JOBS = 64
MAX_TRIALS = 100_000
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


def new_study_name() -> str:
    return datetime.now().strftime("sweep-%Y%m%d-%H%M%S")


@dataclass(frozen=True)
class SweepConfig:
    space: SearchSpace = field(default_factory=SearchSpace)
    base: TrainConfig = field(default_factory=lambda: TrainConfig(epochs=20))  # what trials don't vary
    trials: int | None = 30  # this command's budget (other machines on the same study have their own)
    timeout: float | None = None  # seconds; no new trial starts after it (running ones finish)
    sampler: str = "tpe"
    pruner: str = "median"
    jobs: int = 1  # worker processes
    grid_points: int = 3  # values per varied range for the grid sampler
    seed: int = 0  # sampler seed
    study: str = field(default_factory=new_study_name)
    storage: str | None = None  # None: the server's (DIGITLAB_DATABASE_URL, else sweeps.sqlite in the data folder)

    def __post_init__(self):
        problems = self.problems()
        if problems:
            raise SweepError("; ".join(problems))

    def problems(self) -> list[str]:
        p = []
        if self.trials is None and self.timeout is None:
            p.append("give a trial budget, a time budget, or both")
        if self.trials is not None and not 0 <= self.trials <= MAX_TRIALS:
            p.append(f"trials must be 0..{MAX_TRIALS}, got {self.trials}")
        if self.timeout is not None and not self.timeout > 0:
            p.append(f"timeout must be more than 0 seconds, got {self.timeout}")
        if self.sampler not in SAMPLERS:
            p.append(f"sampler must be one of {', '.join(SAMPLERS)}, got {self.sampler!r}")
        if self.pruner not in PRUNERS:
            p.append(f"pruner must be one of {', '.join(PRUNERS)}, got {self.pruner!r}")
        if not 1 <= self.jobs <= MAX_JOBS:
            p.append(f"jobs must be 1..{MAX_JOBS}, got {self.jobs}")
        if not 2 <= self.grid_points <= 10:
            p.append(f"grid_points must be 2..10, got {self.grid_points}")
        if self.base.val_fraction <= 0:
            p.append("a sweep scores trials on a validation split: val_fraction must be above 0")
        if not self.study or len(self.study) > 128:
            p.append("study: give a name of 1 to 128 characters")
        return p

    def to_dict(self) -> dict:
        return {**asdict(self), "space": self.space.to_dict(), "base": self.base.to_dict()}

    @classmethod
    def from_dict(cls, d: dict) -> "SweepConfig":
        return cls(**{**d, "space": SearchSpace.from_dict(d["space"]), "base": TrainConfig.from_dict(d["base"])})

    def budget(self) -> int | None:
        """Trials to run; a grid is never walked past its end (later picks would repeat points)."""
        if self.sampler != "grid":
            return self.trials
        size = 1
        for values in self.space.grid(self.grid_points).values():
            size *= len(values)
        return size if self.trials is None else min(self.trials, size)


@dataclass(frozen=True)
class Progress:
    study: str
    finished: int  # trials this sweep finished: complete + pruned + failed
    total: int | None
    complete: int
    pruned: int
    failed: int
    best_value: float | None  # best validation accuracy in the whole study so far
    best_trial: int | None
    seconds: float
    stopped: bool = False
