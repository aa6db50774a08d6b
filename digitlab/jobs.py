"""The one background job runner: every piece of work the app starts (a Train-page run, a
sweep, "train best") is a Job. One thread per job, writing only to its own job object; a
process-wide limit on how many run at once; a stop event; and a check that whoever started it is
still there. No Streamlit here.

Why a thread: training in a page's script thread freezes that session (its fragments cannot run)
and can only be interrupted at st.* calls. So the page starts a Job; the page reads its progress
from a polling fragment and asks it to `stop()`. The thread never touches the UI, the UI never
touches the model while it trains. The work itself may run elsewhere: a Train-page run trains in a
warm training process (training_workers.py), a sweep in a child process; the thread waits for it.

Why a limit: the machine has 2 cores and torch uses one thread per job. Every job first takes a
slot from SLOTS (first come, first served), whatever its kind: a sweep waits behind a Train-page
run and the other way round. A job without a slot waits, and says so, in state "waiting" with its
place in the queue.

Why the owner check: a job whose browser session has gone (tab closed) would otherwise hold its
slot until it ends; once owner_alive() has said False for `grace` seconds the job stops itself.
"""
from __future__ import annotations

import itertools
import os
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from digitlab import service, training_workers
from digitlab.budgets import duration
from digitlab.synth import Interrupted
from digitlab.data import N_FEATURES
from digitlab.evaluate import Evaluation
from digitlab.train import EpochMetrics, TrainConfig

WAITING, RUNNING, DONE, STOPPED, FAILED = "waiting", "running", "done", "stopped", "failed"
FINISHED = (DONE, STOPPED, FAILED)
# Hysteresis for cpu_contended(): a share under the first marks the machine busy, and only one
# over the second marks it calm again (polling less raises the share it measured).
BUSY_BELOW, CALM_FROM = 0.75, 0.9
_contended = False


def note_cpu_share(share: float) -> None:
    """What the last training (or the start-up warm-up) measured: CPU seconds its thread got per
    second of wall time."""
    global _contended
    if share < BUSY_BELOW:
        _contended = True
    elif share >= CALM_FROM:
        _contended = False


def cpu_contended() -> bool:
    """Whether training on this server last had to share its core (the pages then poll less)."""
    return _contended


class Slots:
    """At most `limit` holders at once; the others wait in a first-come, first-served line."""

    def __init__(self, limit: int):
        self._cond = threading.Condition()
        self._limit = max(1, int(limit))
        self._holders: list = []
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
                while not (self._line[0] is who and len(self._holders) < self._limit):
                    if cancelled():
                        return False
                    self._cond.wait(poll)  # woken by release(); the timeout re-checks cancelled()
                self._holders.append(who)
                return True
            finally:
                self._line.remove(who)
                self._cond.notify_all()

    def release(self, who) -> None:
        with self._cond:
            self._holders.remove(who)
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
            return len(self._holders)

    def longest_wait(self, who) -> float | None:
        """Seconds until `who` has a slot at the latest, if every job holding or waiting ahead runs
        to its time budget (`time_left()`); None when one of them has no budget or `who` is not waiting."""
        with self._cond:
            if who not in self._line:
                return None
            line = list(self._line)
            ahead = line[:line.index(who)]
            holders = list(self._holders)
        free_at = sorted([_time_left(h) for h in holders] + [0.0] * max(0, self._limit - len(holders)))
        if None in free_at:
            return None
        for job in ahead:  # first come, first served: each takes the slot that frees first
            left = _time_left(job)
            if left is None:
                return None
            free_at = sorted(free_at[1:] + [free_at[0] + left])
        return free_at[0]


def _time_left(job) -> float | None:
    left = getattr(job, "time_left", None)
    return left() if left else None


# One per server process, shared by every session. DIGITLAB_MAX_JOBS raises it on a bigger machine.
SLOTS = Slots(int(os.environ.get("DIGITLAB_MAX_JOBS") or 1))


class Job:
    """work(job) runs in a background thread once a slot is free, and its return value becomes
    `result`. The work reads `job.stop_event` (set by stop(), or when the owner has gone) and may
    publish progress with job.report(item); the latest item is `job.latest`. An exception becomes
    `error` (a message, state "failed"), never a dead thread or a crashed server.
    """

    _ids = itertools.count(1)
    WATCH_POLL = 0.25  # seconds between owner and time-budget checks (a sweep reports only per trial)

    def __init__(self, work: Callable[["Job"], Any], *, kind: str = "job", label: str = "",
                 slots: Slots | None = None, owner_alive: Callable[[], bool] | None = None, grace: float = 10.0,
                 seconds: float | None = None):
        self.id = next(self._ids)
        self.kind = kind
        self.label = label or f"{kind} {self.id}"
        self._work = work
        self._slots = slots or SLOTS
        self._owner_alive = owner_alive
        self._grace = grace
        self.seconds = seconds  # the time budget (budgets.py): stopped once it has run this long
        self._gone_since: float | None = None
        self._lock = threading.Lock()
        self.stop_event = threading.Event()
        self._done = threading.Event()
        self._state = WAITING
        self._latest: Any = None
        self._started: float | None = None
        self._ended: float | None = None
        self.result: Any = None
        self.error: str | None = None
        self.stop_reason: str | None = None
        self._thread = threading.Thread(target=self._run, name=f"digitlab-{kind}-{self.id}", daemon=True)

    def start(self) -> "Job":
        self._thread.start()
        return self

    def stop(self, reason: str = "stopped by the user") -> None:
        """Ask the work to end (training: before its next batch; the model is kept as it stands)."""
        if not self.stop_event.is_set():
            self.stop_reason = reason
        self.stop_event.set()

    def join(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def report(self, item: Any) -> None:
        with self._lock:
            self._latest = item
        self._owner_gone()

    @property
    def latest(self) -> Any:
        with self._lock:
            return self._latest

    @property
    def state(self) -> str:
        with self._lock:
            return self._state

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def waiting_behind(self) -> int | None:
        """Jobs ahead of this one in the line for a slot, while it waits; else None."""
        return self._slots.ahead_of(self) if self.state == WAITING else None

    @property
    def elapsed(self) -> float:
        """Seconds since the work started (0 while waiting)."""
        with self._lock:
            started, ended = self._started, self._ended
        return 0.0 if started is None else (ended or time.perf_counter()) - started

    def time_left(self) -> float | None:
        """Seconds this job may still run under its time budget (all of it while waiting, 0 once
        done); None without a budget."""
        if self.done:
            return 0.0
        return None if self.seconds is None else max(0.0, self.seconds - self.elapsed)

    @property
    def slots(self) -> Slots:
        """The line this job waits in for a slot."""
        return self._slots

    @property
    def longest_wait(self) -> float | None:
        """While waiting: seconds until a slot at the latest, if everyone ahead uses their whole budget."""
        return self._slots.longest_wait(self) if self.state == WAITING else None

    def outcome(self, result: Any) -> str:
        """The final state of work that returned normally; subclasses know better (TrainingJob)."""
        return STOPPED if self.stop_event.is_set() else DONE

    # --- the thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            if not self._slots.acquire(self, cancelled=self._owner_gone):
                self._finish(STOPPED)
                return
            try:
                with self._lock:
                    self._state, self._started = RUNNING, time.perf_counter()
                if self._owner_alive is not None or self.seconds is not None:
                    threading.Thread(target=self._watch, daemon=True).start()
                self.result = self._work(self)
                self._finish(self.outcome(self.result))
            finally:
                self._slots.release(self)
        except Interrupted as exc:  # stopped before the work had anything to keep: say when
            self._finish(FAILED, f"Stopped ({self.stop_reason or 'early'}) {exc}")
        except Exception as exc:  # surfaces in the UI as a message, not a dead thread
            self._finish(FAILED, self._message(exc))
        finally:
            self._done.set()

    def _message(self, exc: Exception) -> str:
        # A ValueError (ModelError, SweepError, a bad config) already says what to do; others get their type.
        return str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"

    def _finish(self, state: str, error: str | None = None) -> None:
        with self._lock:
            self._state, self.error = state, error
            self._ended = time.perf_counter() if self._started is not None else None

    def _watch(self) -> None:
        while not self._done.wait(self.WATCH_POLL):
            self._owner_gone()
            if self.seconds is not None and self.elapsed >= self.seconds:
                self.stop(f"reached this server's time budget of {duration(self.seconds)} per job")

    def _owner_gone(self) -> bool:
        """Stop the job once its owner has been gone for `grace` seconds; True once stopping."""
        if self._owner_alive is not None and not self.stop_event.is_set():
            alive = self._owner_alive()
            with self._lock:
                if alive:
                    self._gone_since = None
                else:
                    self._gone_since = self._gone_since or time.monotonic()
                gone_for = 0.0 if self._gone_since is None else time.monotonic() - self._gone_since
            if not alive and gone_for >= self._grace:
                self.stop("its browser session ended")
        return self.stop_event.is_set()


@dataclass(frozen=True)
class Snapshot:
    """A consistent copy of a training job's progress, safe to read from any thread."""

    id: int
    state: str
    history: tuple[EpochMetrics, ...]
    epochs: int
    elapsed: float  # seconds training (0 while waiting)
    waiting_behind: int | None  # jobs ahead in the line, while waiting
    error: str | None
    evaluation: Evaluation | None
    # The watched drawing's ten probabilities after each epoch of `history` (same order and length),
    # as the network being trained gave them; () when the job watches no drawing.
    probe: tuple[tuple[float, ...], ...] = ()

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


class TrainingJob(Job):
    """The Train page's run: service.train for one TrainConfig, recorded in the run history when it
    ends (source "ui"); saving under a name comes later (save()). Read `model` only once finished.

    The training itself runs in a warm training process (training_workers.POOL), not in the server:
    there it shares no GIL with the sessions' script runs. Its epochs arrive here as they end.

    `probe` is a drawing to watch being learned (64 raw 0-16 values, the model's input): after every
    epoch the training process runs it through the model once and sends the ten probabilities as
    plain floats with that epoch's metrics (Snapshot.probe), so nothing else reads the model while
    it trains. They are the network as each epoch left it, before any calibration (as the
    curves are)."""

    def __init__(self, config: TrainConfig, *, slots: Slots | None = None,
                 owner_alive: Callable[[], bool] | None = None, grace: float = 10.0, label: str = "",
                 probe: np.ndarray | None = None, seconds: float | None = None, actor=None):
        super().__init__(self._train, kind="train", label=label, slots=slots, owner_alive=owner_alive, grace=grace,
                         seconds=seconds)
        self.label = label or f"job {self.id}"
        self.config = config
        self.actor = actor  # whose drawings a drawings_weight mixes in (ownership.Actor; None: all)
        self.probe = None if probe is None else np.array(probe, dtype=np.float32).reshape(-1).copy()
        if self.probe is not None and (self.probe.shape != (N_FEATURES,) or self.probe.min() < 0 or self.probe.max() > 16):
            raise ValueError(f"a probe is {N_FEATURES} values of 0-16 (an 8x8 input), got {self.probe.shape[0]} values "
                             f"from {self.probe.min():g} to {self.probe.max():g}")
        self._history: list[EpochMetrics] = []
        self._probe_history: list[tuple[float, ...]] = []
        self._first_epoch = threading.Event()
        self.trained: service.Trained | None = None
        self.run_id: int | None = None  # its row in the run history, once recorded
        self.record_warning: str | None = None  # why the run history could not be written, if so

    @property
    def model(self):
        return self.trained.model if self.trained else None

    @property
    def x_test(self) -> np.ndarray | None:
        return self.trained.splits.x_test if self.trained else None

    @property
    def y_test(self) -> np.ndarray | None:
        return self.trained.splits.y_test if self.trained else None

    def snapshot(self) -> Snapshot:
        with self._lock:
            history, probe = tuple(self._history), tuple(self._probe_history)
        state = self.state
        evaluation = self.trained.evaluation if self.trained and state in FINISHED else None
        return Snapshot(self.id, state, history, self.config.epochs, self.elapsed, self.waiting_behind,
                        self.error, evaluation, probe)

    def wait_for_first_epoch(self, timeout: float) -> None:
        """Return once the first epoch has ended, the job has ended, or `timeout` seconds have passed."""
        deadline = time.monotonic() + timeout
        while not self._first_epoch.wait(min(0.02, max(0.0, deadline - time.monotonic()))):
            if self.done or time.monotonic() >= deadline:
                return

    def info(self) -> dict:
        """The sidecar info for store.save_model (config, metrics, history); only once finished."""
        return self.trained.info()

    def save(self, name: str, *, overwrite: bool = False) -> service.Saved:
        """Save the finished model as `name` and name its run in the history."""
        return service.save_and_record(self.trained, name, source="ui", run_id=self.run_id, overwrite=overwrite)

    def _train(self, job: Job) -> service.Trained:
        def keep(metrics: EpochMetrics, probe: list[float] | None) -> None:  # as each epoch arrives
            with self._lock:
                self._history.append(metrics)
                if probe is not None:
                    self._probe_history.append(tuple(probe))  # with its epoch, under the same lock
            self._first_epoch.set()
            self._owner_gone()  # sets the stop event when the owner has gone

        trained, share = training_workers.POOL.train(self.config, keep=self._slots.limit, stop=self.stop_event,
                                                     on_epoch=keep, probe=self.probe, actor=self.actor)
        note_cpu_share(share)
        # Into the run history (Explore page, `python -m digitlab runs`); a failed write costs the run nothing.
        saved = service.save_and_record(trained, None, source="ui")
        if saved.warning:
            print(f"warning: {saved.warning}", file=sys.stderr)
        self.run_id, self.trained, self.record_warning = saved.run_id, trained, saved.warning
        return trained

    def outcome(self, trained: service.Trained) -> str:
        return DONE if trained.complete else STOPPED

    def _message(self, exc: Exception) -> str:
        kind = exc.kind if isinstance(exc, training_workers.RunFailed) else type(exc).__name__
        return f"training failed: {kind}: {exc}"
