"""Running a sweep: each Optuna trial is one service.train run (the Objective), in this process or in
K worker processes.

A sweep is an Optuna study (maximise final validation accuracy) in a storage that many workers can
share: a SQLite file by default, any Optuna RDB URL (PostgreSQL, MySQL) for many machines, or a
journal file. Each trial reports its per-epoch validation accuracy so a pruner (median or
Hyperband) can stop poor trials early. Workers are separate processes with one torch thread each:
on a net this small one thread per process is the fastest use of the cores. A shared counter hands
out the trial budget one ticket at a time, so K workers run exactly N trials between them.

Progress is one stream, like train.fit: run_sweep() yields a Progress after every finished trial.
With jobs > 1, call it from `python -m ...` or a script with a __main__ guard: multiprocessing
re-imports a __main__ *file* in each worker. (The app therefore runs sweeps in a child process,
digitlab.sweep.child, rather than in its own server, whose __main__ is app.py.)
"""
from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import queue
import signal
import socket
import sys
import threading
import time
import types
import uuid
import warnings
from dataclasses import replace
from typing import Callable, Iterator

import optuna
from optuna.trial import TrialState

from digitlab.service import train
from digitlab.sweep.config import FINISHED, Progress, SweepConfig, SweepError
from digitlab.sweep.space import SearchSpace
from digitlab.sweep.storage import open_storage, storage_spec
from digitlab.train import EpochMetrics, TrainConfig

# --- samplers, pruners, the objective --------------------------------------------------------

def make_sampler(config: SweepConfig, seed: int) -> optuna.samplers.BaseSampler:
    if config.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if config.sampler == "grid":
        return optuna.samplers.GridSampler(config.space.grid(config.grid_points), seed=seed)
    # constant_liar: a running trial counts as a poor result, so parallel workers spread out
    return optuna.samplers.TPESampler(seed=seed, constant_liar=True)


def make_pruner(config: SweepConfig) -> optuna.pruners.BasePruner:
    epochs = config.base.epochs
    if config.pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=max(1, epochs // 5))
    if config.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=epochs, reduction_factor=3)
    return optuna.pruners.NopPruner()


def worker_id() -> str:
    """Who runs a trial: host and process, unique among the machines sharing a study."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Objective:
    """One trial = one service.train run (no test set: a sweep scores on validation); it reports
    val accuracy each epoch so the pruner can end it; the final one is the score. Every trial
    records, as it starts, the worker running it and the sweep command (`session`) it belongs to, so
    each command counts its own trials in a study that other machines share."""

    def __init__(self, space: SearchSpace, base: TrainConfig, stop=None, session: str | None = None):
        self.space, self.base, self.stop, self.session = space, base, stop, session

    def __call__(self, trial: optuna.Trial) -> float:
        worker = worker_id()
        trial.set_user_attr("worker", worker)
        if self.session:
            trial.set_user_attr("session", self.session)
        config = self.space.suggest(trial, self.base)
        pruned = threading.Event()

        def report(m: EpochMetrics) -> None:
            if not m.stopped:
                trial.report(m.val_acc, m.epoch)
                if trial.should_prune():
                    pruned.set()  # fit ends before the next batch, and yields no more epochs

        trained = train(config, stop=_Either(self.stop, pruned), on_epoch=report, test=False)
        history = trained.history
        # Not every epoch ran and the pruner did not end it: Stop did. (Stop noticed at an epoch's
        # first batch ends fit without a last 'stopped' epoch, so history[-1] can't tell.)
        stopped = not trained.complete and not pruned.is_set()
        trial.set_user_attr("run", {"config": config.to_dict(), "history": [m.to_dict() for m in history],
                                    "worker": os.getpid(), "stopped": stopped})
        if stopped:
            raise optuna.TrialPruned("stopped by the user")
        if pruned.is_set():
            raise optuna.TrialPruned(f"pruned after epoch {history[-1].epoch}")
        return history[-1].val_acc


class _Either:
    """Set when either event is (fit only asks is_set()): the sweep's stop, or this trial's pruning."""

    def __init__(self, first, second):
        self.first, self.second = first, second

    def is_set(self) -> bool:
        return self.second.is_set() or (self.first is not None and self.first.is_set())


# --- running ----------------------------------------------------------------------------------

def create_study(config: SweepConfig) -> optuna.Study:
    """Create the study (or join it if it exists) and record how it was set up."""
    _quiet()
    study = optuna.create_study(study_name=config.study, storage=open_storage(config.storage),
                                direction="maximize", load_if_exists=True)
    if "space" not in study.user_attrs:
        study.set_user_attr("space", config.space.to_dict())
        study.set_user_attr("base", config.base.to_dict())
        study.set_user_attr("setup", {"sampler": config.sampler, "pruner": config.pruner, "jobs": config.jobs})
    return study


def run_sweep(config: SweepConfig, stop: threading.Event | None = None) -> Iterator[Progress]:
    """Run the sweep, yielding Progress after each finished trial. Setting `stop` ends it within a
    batch: running trials are recorded as pruned (user attr stopped) and no new trial starts."""
    stop = stop or threading.Event()
    study = create_study(config)
    session = uuid.uuid4().hex  # this command's trials carry it: other commands may share the study
    seed_offset = len(study.get_trials(deepcopy=False))
    started = time.monotonic()
    if config.jobs == 1:
        feed = _run_here(study, config, stop, session)
    else:
        feed = _run_workers(study, config, stop, seed_offset, session)
    last = None
    for _ in feed:
        last = _progress(study, config, session, started, stop.is_set())
        yield last
    final = _progress(study, config, session, started, stop.is_set())
    if final != last:
        yield final


def _run_here(study: optuna.Study, config: SweepConfig, stop: threading.Event, session: str) -> Iterator[None]:
    study.sampler = make_sampler(config, config.seed + len(study.get_trials(deepcopy=False)))
    study.pruner = make_pruner(config)
    tickets = [config.budget()]

    def claim() -> bool:
        if tickets[0] is None:
            return True
        tickets[0] -= 1
        return tickets[0] >= 0

    yield from _work(study, Objective(config.space, config.base, stop, session), claim, _deadline(config), stop)


def _work(study, objective, claim: Callable[[], bool], deadline: float | None, stop) -> Iterator[None]:
    while not stop.is_set() and (deadline is None or time.time() < deadline) and claim():
        study.optimize(objective, n_trials=1)
        yield


def _deadline(config: SweepConfig) -> float | None:
    return None if config.timeout is None else time.time() + config.timeout


def _run_workers(study: optuna.Study, config: SweepConfig, stop: threading.Event, seed_offset: int,
                 session: str) -> Iterator[None]:
    ctx = _context()
    budget = config.budget()
    tickets = ctx.Value("q", -1 if budget is None else budget)
    worker_stop = ctx.Event()
    # Workers say "a trial finished" here, so this process reads the storage once per trial
    # instead of polling it (a poll loads every trial and would take CPU from the workers).
    finished = ctx.Queue()
    deadline = _deadline(config)
    procs = [ctx.Process(target=_worker, daemon=True, name=f"digitlab-sweep-{i}",
                         args=(replace(config, storage=storage_spec(config.storage)), study.study_name, config.seed + seed_offset + 7919 * (i + 1),
                               tickets, deadline, worker_stop, finished, session)) for i in range(config.jobs)]
    with _no_main_module():
        for p in procs:
            p.start()
    try:
        while any(p.is_alive() for p in procs):
            if stop.is_set():
                worker_stop.set()
            try:
                finished.get(timeout=0.25)
            except queue.Empty:
                continue
            yield
    finally:
        worker_stop.set()  # also when the caller abandons the stream (Ctrl-C, closed page)
        for p in procs:
            p.join(30)
            if p.is_alive():
                p.terminate()
    crashed = [p.exitcode for p in procs if p.exitcode]
    if crashed:
        raise SweepError(f"{len(crashed)} sweep worker(s) crashed (exit codes {crashed}); see the messages above")


@contextlib.contextmanager
def _no_main_module():
    """Start workers without re-running the parent's __main__ in them. multiprocessing re-imports
    the parent's main script in every spawned/forkserver child; when this process has run a
    Streamlit script (the app, or AppTest in the test suite) __main__ points at app.py, and
    importing that outside a running app fails. The workers need nothing from __main__: their
    target lives in this module."""
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


def _context():
    """forkserver, not fork: forking a process that holds torch's thread pools (or a Streamlit
    server's threads) can deadlock the child. The fork server is a fresh process that imports torch,
    Optuna and this module once; every worker after that is a cheap fork of it (spawn would import
    them again per worker: seconds each on this machine)."""
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    ctx = mp.get_context("forkserver")
    # scikit-learn too: digitlab.data imports it only where a trial first loads the data.
    ctx.set_forkserver_preload(["digitlab.sweep.run", "sklearn.datasets", "sklearn.model_selection"])
    return ctx


def _worker(config: SweepConfig, study_name: str, seed: int, tickets, deadline, stop, finished, session) -> None:
    """A worker process: one torch thread, trials until the tickets, the deadline or `stop` end it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it sets `stop`
    import torch

    torch.set_num_threads(1)
    _quiet()
    study = optuna.load_study(study_name=study_name, storage=open_storage(config.storage),
                              sampler=make_sampler(config, seed), pruner=make_pruner(config))

    def claim() -> bool:
        with tickets.get_lock():
            if tickets.value == -1:
                return True
            if tickets.value == 0:
                return False
            tickets.value -= 1
            return True

    for _ in _work(study, Objective(config.space, config.base, stop, session), claim, deadline, stop):
        finished.put(True)
    finished.close()
    finished.join_thread()  # every "finished" is in the pipe; the study is in the storage
    os._exit(0)  # skip tearing down torch and SQLAlchemy object by object: ~1-2 s per worker


def _progress(study, config: SweepConfig, session: str, started: float, stopped: bool) -> Progress:
    """This command's progress: its own trials (other commands on other machines may be running
    trials in the same study meanwhile), and the best of the whole study."""
    trials = study.get_trials(deepcopy=False, states=FINISHED)
    mine = [t for t in trials if t.user_attrs.get("session") == session]
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    best = max(complete, key=lambda t: t.value, default=None)
    count = {s: sum(t.state == s for t in mine) for s in FINISHED}
    return Progress(config.study, len(mine), config.budget(), count[TrialState.COMPLETE],
                    count[TrialState.PRUNED], count[TrialState.FAIL], best.value if best else None,
                    best.number if best else None, time.monotonic() - started, stopped)


def _quiet() -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
