"""Background training jobs: one thread per job, writing only to its own job object, and a
process-wide limit on how many train at once. No Streamlit here.

Why a thread: training in a page's script thread freezes that session (its fragments cannot run)
and can only be interrupted at st.* calls. So the page starts a TrainingJob, which runs the one
training loop (train.fit) in its own thread; the page reads `job.snapshot()` from a polling
fragment and asks it to `stop()`. The thread never touches the UI, the UI never touches the model
while it trains.

Why a limit: the machine has 2 cores and torch uses one thread per job. Every job first takes a
slot from SLOTS (first come, first served); a job without a slot waits, and says so, in state
"waiting" with its place in the queue.
"""
from __future__ import annotations

import itertools
import os
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

import numpy as np

from digitlab.evaluate import Evaluation, evaluate
from digitlab.runs import record_run_safely
from digitlab.train import EpochMetrics, TrainConfig, fit, prepare, run_info

WAITING, RUNNING, DONE, STOPPED, FAILED = "waiting", "running", "done", "stopped", "failed"
FINISHED = (DONE, STOPPED, FAILED)


class Slots:
    """At most `limit` holders at once; the others wait in a first-come, first-served line."""

    def __init__(self, limit: int):
        self._cond = threading.Condition()
        self._limit = max(1, int(limit))
        self._holders = 0
        self._line: deque = deque()

    @property
    def limit(self) -> int:
        return self._limit

    def set_limit(self, limit: int) -> None:
        with self._cond:
            self._limit = max(1, int(limit))
            self._cond.notify_all()

    def acquire(self, who, cancelled: Callable[[], bool], poll: float = 0.2) -> bool:
        """Block until `who` is first in line and a slot is free (True), or cancelled() (False)."""
        with self._cond:
            self._line.append(who)
            try:
                while not (self._line[0] is who and self._holders < self._limit):
                    if cancelled():
                        return False
                    self._cond.wait(poll)  # woken by release(); the timeout re-checks cancelled()
                self._holders += 1
                return True
            finally:
                self._line.remove(who)
                self._cond.notify_all()

    def release(self) -> None:
        with self._cond:
            self._holders -= 1
            self._cond.notify_all()

    def ahead_of(self, who) -> int | None:
        """How many are waiting in line in front of `who`; None if `who` is not waiting."""
        with self._cond:
            if who not in self._line:
                return None
            return list(self._line).index(who)

    @property
    def busy(self) -> int:
        with self._cond:
            return self._holders


# One per server process, shared by every session. DIGITLAB_MAX_JOBS raises it on a bigger machine.
SLOTS = Slots(int(os.environ.get("DIGITLAB_MAX_JOBS") or 1))


@dataclass(frozen=True)
class Snapshot:
    """A consistent copy of a job's progress, safe to read from any thread."""

    id: int
    state: str
    history: tuple[EpochMetrics, ...]
    epochs: int
    elapsed: float  # seconds training (0 while waiting)
    waiting_behind: int | None  # jobs ahead in the line, while waiting
    error: str | None
    evaluation: Evaluation | None

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    @property
    def epoch(self) -> int:
        return self.history[-1].epoch if self.history else 0

    @property
    def eta(self) -> float | None:
        """Seconds left at the pace so far (None before the first epoch or once finished)."""
        if self.finished or not self.history:
            return None
        last = self.history[-1]
        return last.seconds / last.epoch * (self.epochs - last.epoch)


class TrainingJob:
    """Trains one model from one TrainConfig in a background thread; see the module docstring.

    owner_alive: optional check that whoever started the job still wants it (the app passes
    "is this browser session still connected"); once it has said False for `grace` seconds the
    job stops itself. It is asked before training and after every epoch.
    """

    _ids = itertools.count(1)

    def __init__(self, config: TrainConfig, *, slots: Slots | None = None,
                 owner_alive: Callable[[], bool] | None = None, grace: float = 10.0, label: str = ""):
        self.id = next(self._ids)
        self.label = label or f"job {self.id}"
        self.config = config
        self._slots = slots or SLOTS
        self._owner_alive = owner_alive
        self._grace = grace
        self._gone_since: float | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._state = WAITING
        self._history: list[EpochMetrics] = []
        self._started: float | None = None
        self._ended: float | None = None
        self._error: str | None = None
        self._evaluation: Evaluation | None = None
        self.stop_reason: str | None = None
        self.run_id: int | None = None  # its row in the run history, once recorded
        self.model = None  # the MLP being trained; read it only once the job is finished
        self.x_test: np.ndarray | None = None
        self.y_test: np.ndarray | None = None
        self._thread = threading.Thread(target=self._run, name=f"digitlab-train-{self.id}", daemon=True)

    def start(self) -> "TrainingJob":
        self._thread.start()
        return self

    def stop(self, reason: str = "stopped by the user") -> None:
        """Ask the job to end before its next batch; the model is kept as it stands."""
        if not self._stop.is_set():
            self.stop_reason = reason
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def snapshot(self) -> Snapshot:
        with self._lock:
            state, history, error, evaluation = self._state, tuple(self._history), self._error, self._evaluation
            started, ended = self._started, self._ended
        elapsed = 0.0 if started is None else (ended or time.perf_counter()) - started
        behind = self._slots.ahead_of(self) if state == WAITING else None
        return Snapshot(self.id, state, history, self.config.epochs, elapsed, behind, error, evaluation)

    def info(self) -> dict:
        """The sidecar info for store.save_model (config, metrics, history); only once finished."""
        snap = self.snapshot()
        accuracy = snap.evaluation.accuracy if snap.evaluation else None
        return run_info(self.config, list(snap.history), accuracy)

    # --- the thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            if not self._slots.acquire(self, cancelled=self._should_stop):
                self._finish(STOPPED)
                return
            try:
                self._train()
            finally:
                self._slots.release()
        except Exception as exc:  # surfaces in the UI as a message, not a dead thread
            self._finish(FAILED, f"training failed: {type(exc).__name__}: {exc}")

    def _train(self) -> None:
        with self._lock:
            self._state, self._started = RUNNING, time.perf_counter()
        model, splits = prepare(self.config)
        self.model, self.x_test, self.y_test = model, splits.x_test, splits.y_test
        for metrics in fit(model, splits, self.config, stop=self._stop):
            with self._lock:
                self._history.append(metrics)
            self._should_stop()  # sets the stop event when the owner has gone
        evaluation = evaluate(model, splits.x_test, splits.y_test)
        # Into the run history (Explore page, `python -m digitlab runs`); a failed write costs the run nothing.
        self.run_id, warning = record_run_safely(self.config, list(self._history), test_accuracy=evaluation.accuracy,
                                                 source="ui")
        if warning:
            print(f"warning: {warning}", file=sys.stderr)
        with self._lock:
            self._evaluation = evaluation
        last = self._history[-1] if self._history else None
        complete = last is not None and not last.stopped and last.epoch == self.config.epochs
        self._finish(DONE if complete else STOPPED)

    def _finish(self, state: str, error: str | None = None) -> None:
        with self._lock:
            self._state, self._error = state, error
            self._ended = time.perf_counter() if self._started is not None else None

    def _should_stop(self) -> bool:
        if self._owner_alive is not None and not self._stop.is_set():
            if self._owner_alive():
                self._gone_since = None
            else:
                self._gone_since = self._gone_since or time.monotonic()
                if time.monotonic() - self._gone_since >= self._grace:
                    self.stop("its browser session ended")
        return self._stop.is_set()
