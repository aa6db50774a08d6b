"""Sweeps end to end: the CLI as a user runs it, several worker processes on one shared study, Stop."""
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from digitlab.runs import list_runs
from digitlab.sweep import SearchSpace
from digitlab.store import load_model
from digitlab.sweep import SweepConfig, SweepError, load_study, run_sweep
from digitlab.sweep import trial_history
from digitlab.train import TrainConfig

ROOT = Path(__file__).resolve().parent.parent
# Small and quick: 1-layer nets, big batches, a few epochs. The machinery is what is under test.
QUICK = ["--epochs", "4", "--width", "16:64", "--depth", "1", "--batch-size", "128", "--dropout", "0"]


def cli(*args, env=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "digitlab", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout)


def test_cli_sweep_then_train_best_and_save(tmp_path):
    db = f"sqlite:///{tmp_path / 'sweeps.db'}"
    env = {"DIGITLAB_MODELS_DIR": str(tmp_path / "models"), "DIGITLAB_DATA_DIR": str(tmp_path / "data")}
    proc = cli("sweep", "--trials", "4", "--jobs", "2", "--study", "e2e", "--storage", db, "--save", "swept", *QUICK,
               env=env)
    assert proc.returncode == 0, proc.stderr
    assert "4 trial(s)" in proc.stderr and "best of study e2e" in proc.stdout

    study = load_study("e2e", db)
    trials = study.get_trials()
    assert len(trials) == 4 and all(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials)
    for t in trials:  # every epoch reported its validation accuracy to the pruner, and it matches fit's
        history = trial_history(t)
        assert sorted(t.intermediate_values) == [m.epoch for m in history]
        assert all(t.intermediate_values[m.epoch] == m.val_acc for m in history)
        assert 16 <= t.params["width"] <= 64 and "batch_size" not in t.params  # one choice: fixed, not searched
    best = max((t for t in trials if t.state == TrialState.COMPLETE), key=lambda t: t.value)

    saved = load_model(tmp_path / "models" / "swept.safetensors")
    assert saved.info["sweep"] == {"study": "e2e", "trial": best.number, "val_accuracy": best.value}
    assert saved.info["train"]["val_fraction"] == 0.0  # retrained on the whole training split
    assert saved.info["train"]["hidden"] == [best.params["width"]] and saved.info["train"]["lr"] == best.params["lr"]
    assert f"test accuracy: {saved.info['metrics']['test_accuracy']:.4f}" in proc.stdout
    (run,), _ = list_runs(path=tmp_path / "data" / "runs.sqlite")
    assert run.source == "sweep" and run.model_name == "swept" and run.extra["sweep"]["trial"] == best.number


def test_cli_rejects_bad_ranges_and_storage_with_a_message(tmp_path):
    proc = cli("sweep", "--trials", "3", "--lr", "0.1:0.001", "--optimizer", "adam,lion")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "lr: the range 0.1:0.001 is backwards" in proc.stderr and "unknown 'lion'" in proc.stderr
    proc = cli("sweep", "--trials", "3", "--storage", str(tmp_path / "notes.txt"))
    assert proc.returncode == 2 and "give an RDB URL" in proc.stderr and "Traceback" not in proc.stderr
    proc = cli("sweep", "--trials", "3", "--storage", "nosuchdb://host/x")
    assert proc.returncode == 2 and "cannot open sweep storage" in proc.stderr and "Traceback" not in proc.stderr


def _assert_each_trial_ran_once(study, expected: int) -> Counter:
    trials = study.get_trials()
    assert sorted(t.number for t in trials) == list(range(expected)), "a trial was lost or added"
    assert all(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials), [t.state for t in trials]
    for t in trials:  # run twice would show as reports beyond the epochs of one run
        history = trial_history(t)
        assert [m.epoch for m in history] == list(range(1, len(history) + 1))
        assert sorted(t.intermediate_values) == [m.epoch for m in history]
    return Counter(t.user_attrs["run"]["worker"] for t in trials)


def test_separate_worker_processes_share_one_journal_study(tmp_path):
    """As on N machines: N independent `sweep` commands against one storage, started together."""
    storage = f"journal:{tmp_path / 'shared.log'}"
    procs = [subprocess.Popen([sys.executable, "-m", "digitlab", "sweep", "--trials", "3", "--study", "shared",
                               "--storage", storage, "--seed", str(k), *QUICK], cwd=ROOT, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for k in range(3)]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err for _, err in outputs]
    per_worker = _assert_each_trial_ran_once(load_study("shared", storage), 9)
    assert per_worker == {p.pid: 3 for p in procs}  # each command ran its own budget, in its own process


def test_worker_pool_runs_exactly_the_budget_on_sqlite(tmp_path):
    space = SearchSpace(width=(16, 64), depth=(1, 1), dropout=None, batch_size=(128,))
    config = SweepConfig(space=space, base=TrainConfig(epochs=5), trials=9, jobs=3, study="pool",
                         storage=f"sqlite:///{tmp_path / 'pool.db'}", pruner="hyperband")
    progress = list(run_sweep(config))
    assert progress[-1].finished == 9 and progress[-1].complete + progress[-1].pruned == 9
    assert [p.finished for p in progress] == sorted(p.finished for p in progress)  # a stream that only grows
    per_worker = _assert_each_trial_ran_once(load_study("pool", config.storage), 9)
    assert os.getpid() not in per_worker and 2 <= len(per_worker) <= 3  # trials ran in the worker processes


def test_stop_ends_a_parallel_sweep_promptly_and_leaves_no_trial_running(tmp_path):
    # Trials far longer than Stop can take to arrive (2000 epochs: minutes), so a trial seen running
    # cannot finish on its own before Stop reaches it, however slow or loaded the machine.
    epochs = 2000
    config = SweepConfig(base=TrainConfig(epochs=epochs), trials=40, jobs=2, study="stopme", pruner="none",
                         storage=f"journal:{tmp_path / 'stop.log'}", space=SearchSpace(batch_size=(16,)))
    stop = threading.Event()
    at_stop = {}

    def stop_mid_trial():
        """Press Stop once a worker is inside a trial (it has reported epochs), not at a fixed time.
        (A journal file, not SQLite, so that polling it can't race the sweep creating its tables.)"""
        deadline = time.monotonic() + 120
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                running = [t for t in load_study("stopme", config.storage).get_trials(deepcopy=False)
                           if t.state == TrialState.RUNNING and len(t.intermediate_values) >= 2]
            except (SweepError, KeyError, ValueError):  # the study is not created yet
                running = []
            if running:
                at_stop["finished"] = sum(t.state.is_finished() for t in load_study("stopme", config.storage).get_trials(deepcopy=False))
                at_stop["running"] = [t.number for t in running]
                break
            time.sleep(0.2)
        stop.set()

    watcher = threading.Thread(target=stop_mid_trial, daemon=True)
    watcher.start()
    try:
        last = list(run_sweep(config, stop))[-1]
    finally:
        stop.set()
        watcher.join(5)
    assert at_stop, "the watcher saw a trial running before pressing Stop"
    assert last.stopped
    # Promptly: the trials running when Stop was pressed end, and no new one starts (at most one
    # more per worker, for a trial that was starting at that very moment).
    assert last.finished <= at_stop["finished"] + config.jobs, (last.finished, at_stop)
    trials = load_study("stopme", config.storage).get_trials()
    assert trials and all(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials)
    stopped = [t for t in trials if t.user_attrs.get("run", {}).get("stopped")]
    assert stopped and all(t.state == TrialState.PRUNED for t in stopped)
    cut = [t for t in trials if t.number in at_stop["running"]]
    assert cut and all(t.state == TrialState.PRUNED and len(t.intermediate_values) < epochs for t in cut), \
        f"the trials running at Stop were cut short, not run to their {epochs} epochs"


def test_unknown_study_is_a_clear_error(tmp_path):
    with pytest.raises(SweepError, match="no study named 'nope'"):
        load_study("nope", f"sqlite:///{tmp_path / 'x.db'}")


class _StopAtBatch:
    """A stop event that turns on at its n-th check: fit checks once before every batch."""

    def __init__(self, n: int):
        self.n, self.calls = n, 0

    def is_set(self) -> bool:
        self.calls += 1
        return self.calls >= self.n


def test_stop_noticed_at_an_epochs_first_batch_still_counts_as_stopped():
    """fit then ends without a last 'stopped' epoch; the trial must still be pruned as stopped,
    not reported complete with a 2-of-5-epochs score (it once was, in a loaded full run)."""
    from digitlab.sweep.run import Objective
    from digitlab.train import prepare

    base = TrainConfig(epochs=5, hidden=(8,), batch_size=256)
    batches = -(-len(prepare(base)[1].x_train) // base.batch_size)
    stop = _StopAtBatch(2 * batches + 1)  # epochs 1 and 2 run whole; stop at epoch 3's first batch
    study = optuna.create_study(direction="maximize")
    study.optimize(Objective(SearchSpace(batch_size=(256,)), base, stop), n_trials=1)
    trial = study.trials[0]
    assert len(trial.intermediate_values) == 2
    assert trial.state == TrialState.PRUNED and trial.user_attrs["run"]["stopped"] is True
