"""Fair use on a shared server: how long one job may run and how big it may be.

A class shares one server, and its training slots are first come, first served (jobs.SLOTS). Without
limits, one student asking for the most the controls allow (2,000 epochs of an 8 x 4,096 network, a
thousand sweep trials) would hold a slot for hours. So every job the app starts (a Train-page run,
a sweep, "train best") runs under a Budget:

- seconds: its running time from taking a slot. At the budget it is stopped like a Stop press, so a
  training run keeps its model and says why.
- parameters: the size of the network it may build (memory, and time per batch: a stop lands
  between batches, so a batch must stay short).
- workers: sweep worker processes, at most the machine's cores by default.

The operator sets them in the environment (DIGITLAB_MAX_JOB_SECONDS, DIGITLAB_MAX_JOB_PARAMETERS,
DIGITLAB_MAX_SWEEP_WORKERS; 0 means no limit). A teacher's session (DIGITLAB_TEACHER_KEY) is not
limited. The command line is the operator's own face and runs without budgets.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

DEFAULT_SECONDS = 300.0
DEFAULT_PARAMETERS = 1_000_000  # 16 MB with Adam's state; the shipped model's network has 168k
UI_MAX_WORKERS = 16  # the most the Explore page offers anyone


def parameters(hidden: tuple[int, ...] | list[int], inputs: int = 64, classes: int = 10) -> int:
    """Weights and biases of an MLP with these hidden layer sizes."""
    sizes = [inputs, *hidden, classes]
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


def usable_cores() -> int:
    """The cores this process may run on (taskset, a container's cpuset), not the machine's count:
    more sweep workers than that only share the cores and train no faster."""
    return max(1, len(os.sched_getaffinity(0)))


@dataclass(frozen=True)
class Budget:
    seconds: float | None = DEFAULT_SECONDS  # None: no time limit
    parameters: int | None = DEFAULT_PARAMETERS  # None: no size limit
    workers: int = field(default_factory=usable_cores)

    def size_problem(self, hidden) -> str | None:
        """Why a network with these hidden layers is too big for this budget, or None."""
        n = parameters(hidden)
        if self.parameters is not None and n > self.parameters:
            return (f"this server lets one job train at most {self.parameters:,} parameters; "
                    f"{'-'.join(map(str, hidden))} has {n:,}: use fewer or narrower layers")
        return None

    def describe(self) -> str:
        """The budget in words, for the pages: 'each job may run 5 min and train 1,000,000 parameters'."""
        time = "as long as it needs" if self.seconds is None else f"up to {duration(self.seconds)}"
        size = "any size of network" if self.parameters is None else f"at most {self.parameters:,} parameters"
        return f"each job may run {time} and train {size}; sweeps use up to {self.workers} worker processes"


UNLIMITED = Budget(seconds=None, parameters=None, workers=UI_MAX_WORKERS)


def server_budget(environ=os.environ) -> Budget:
    """The operator's budget from the environment; a value that is not a number says which and why."""
    seconds = _setting(environ, "DIGITLAB_MAX_JOB_SECONDS", DEFAULT_SECONDS, float)
    size = _setting(environ, "DIGITLAB_MAX_JOB_PARAMETERS", DEFAULT_PARAMETERS, int)
    workers = _setting(environ, "DIGITLAB_MAX_SWEEP_WORKERS", Budget().workers, int)
    return Budget(seconds=seconds, parameters=size, workers=min(workers or UI_MAX_WORKERS, UI_MAX_WORKERS))


def session_budget(teacher: bool) -> Budget:
    """A session's budget: the operator's, or none for the teacher."""
    return UNLIMITED if teacher else server_budget()


def _setting(environ, name: str, default, kind):
    text = (environ.get(name) or "").strip()
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        raise ValueError(f"{name} must be a number (0: no limit), got {text!r}") from None
    if not 0 <= value < float("inf"):  # negative, NaN or infinite
        raise ValueError(f"{name} must be 0 (no limit) or more, got {text!r}")
    return value or None


def duration(seconds: float) -> str:
    """'45 s', '5 min', '2 min 30 s', '1 h 5 min'."""
    if seconds < 9.5:
        return f"{seconds:.2g} s"
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    minutes, s = divmod(s, 60)
    if minutes < 60:
        return f"{minutes} min" + (f" {s} s" if s else "")
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h" + (f" {minutes} min" if minutes else "")
