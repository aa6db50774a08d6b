"""The background training job: progress, stop, failures as messages, the concurrency limit."""
import math
import os
import signal
import subprocess
import sys
import time

import pytest

from digitlab import service, training_workers
from digitlab.evaluate import evaluate
from digitlab.jobs import DONE, FAILED, RUNNING, STOPPED, WAITING, Slots, TrainingJob
from digitlab.train import TrainConfig, fit, prepare
from tests.support.waiting import wait_until

SMALL = TrainConfig(hidden=(16,), epochs=3, val_fraction=0.2, seed=3)
LONG = TrainConfig(hidden=(16,), epochs=2000, batch_size=8)  # minutes if never stopped


def test_a_job_trains_exactly_like_fit_and_evaluates_on_the_test_set():
    job = TrainingJob(SMALL, slots=Slots(1)).start()
    assert job.join(60)
    snap = job.snapshot()
    assert snap.state == DONE and snap.finished and snap.error is None
    model, splits = prepare(SMALL)
    reference = list(fit(model, splits, SMALL))  # the same loop, same seed, run directly
    assert [m.epoch for m in snap.history] == [1, 2, 3]
    for got, want in zip(snap.history, reference):
        assert got.train_loss == pytest.approx(want.train_loss, rel=1e-5)
        assert got.val_acc == pytest.approx(want.val_acc)
    assert snap.evaluation.accuracy == evaluate(model, splits.x_test, splits.y_test).accuracy
    info = job.info()
    assert info["metrics"]["test_accuracy"] == snap.evaluation.accuracy and len(info["history"]) == 3
    from digitlab.runs import get_run  # every finished run lands in the run history

    recorded = get_run(job.run_id)
    assert recorded.source == "ui" and recorded.config == SMALL and len(recorded.history) == 3
    assert recorded.test_accuracy == snap.evaluation.accuracy


def test_progress_is_visible_while_training_and_stop_ends_it_within_a_batch():
    job = TrainingJob(LONG, slots=Slots(1)).start()
    wait_until(lambda: len(job.snapshot().history) >= 2)
    snap = job.snapshot()
    assert snap.state == RUNNING and not snap.finished
    assert snap.eta is not None and snap.eta > 0
    assert [m.epoch for m in snap.history] == list(range(1, len(snap.history) + 1))
    asked = time.monotonic()
    job.stop()
    assert job.join(10)
    assert time.monotonic() - asked < 5, "stop is honoured between batches, not at the end of the run"
    snap = job.snapshot()
    assert snap.state == STOPPED and snap.epoch < LONG.epochs
    # A stop mid-epoch reports that epoch as partial (stopped, fewer batches); one that lands between
    # two epochs ends the run after a whole one (fit reports no empty epoch). Which happens is thread
    # timing, so check that the flag tells the truth either way.
    full = math.ceil(len(prepare(LONG)[1].x_train) / LONG.batch_size)
    *whole, last = snap.history
    assert all(len(m.batch_losses) == full and not m.stopped for m in whole)
    assert 1 <= len(last.batch_losses) <= full
    assert last.stopped == (len(last.batch_losses) < full), (last.stopped, len(last.batch_losses), full)
    assert snap.evaluation is not None and 0 <= snap.evaluation.accuracy <= 1  # the model is kept, usable
    assert job.stop_reason == "stopped by the user"
    assert job.info()["metrics"]["stopped_early"] is True


def test_an_exception_inside_training_becomes_a_message_and_frees_the_slot():
    slots = Slots(1)
    # Raised inside the training process: the shipped default has other layers than these.
    job = TrainingJob(TrainConfig(hidden=(16,), epochs=3, init_from="default"), slots=slots).start()
    assert job.join(60)
    snap = job.snapshot()
    assert snap.state == FAILED and snap.finished
    assert snap.error.startswith("training failed: ValueError: fine-tuning 'default' keeps its layers"), snap.error
    assert slots.busy == 0
    after = TrainingJob(SMALL, slots=slots).start()  # the slot is free for the next job
    assert after.join(60) and after.snapshot().state == DONE


def test_a_training_process_that_dies_fails_its_run_with_a_message_and_the_next_run_gets_a_new_one(monkeypatch):
    taken = []
    real_take = training_workers.POOL.take
    monkeypatch.setattr(training_workers.POOL, "take", lambda: taken.append(real_take()) or taken[-1])
    slots = Slots(1)
    job = TrainingJob(LONG, slots=slots).start()
    wait_until(lambda: len(job.snapshot().history) >= 1)
    os.kill(taken[0].pid, signal.SIGKILL)  # as the kernel's out-of-memory killer would
    assert job.join(10)
    snap = job.snapshot()
    assert snap.state == FAILED and "the training process ended unexpectedly (exit code -9)" in snap.error
    assert slots.busy == 0
    after = TrainingJob(SMALL, slots=slots).start()
    assert after.join(60) and after.snapshot().state == DONE
    assert taken[1] is not taken[0] and taken[1].alive()


def test_the_limit_makes_later_jobs_wait_in_line_and_say_so():
    slots = Slots(1)
    first = TrainingJob(LONG, slots=slots).start()
    wait_until(lambda: first.snapshot().state == RUNNING)
    second = TrainingJob(SMALL, slots=slots).start()
    third = TrainingJob(SMALL, slots=slots).start()
    wait_until(lambda: third.snapshot().waiting_behind == 1)
    assert second.snapshot().state == WAITING and second.snapshot().waiting_behind == 0
    assert second.snapshot().history == () and slots.busy == 1
    first.stop()
    assert second.join(60) and third.join(60)
    assert second.snapshot().state == DONE and third.snapshot().state == DONE
    assert slots.busy == 0


def test_two_slots_train_two_jobs_at_once():
    slots = Slots(2)
    a, b = TrainingJob(LONG, slots=slots).start(), TrainingJob(LONG, slots=slots).start()
    wait_until(lambda: a.snapshot().history and b.snapshot().history)
    assert slots.busy == 2
    a.stop(), b.stop()
    assert a.join(10) and b.join(10)
    assert a.model is not b.model  # each job has its own model


def test_a_waiting_job_can_be_stopped_without_training():
    slots = Slots(1)
    first = TrainingJob(LONG, slots=slots).start()
    waiting = TrainingJob(SMALL, slots=slots).start()
    wait_until(lambda: waiting.snapshot().waiting_behind == 0)
    waiting.stop()
    assert waiting.join(10)
    snap = waiting.snapshot()
    assert snap.state == STOPPED and snap.history == () and snap.evaluation is None
    assert first.snapshot().state == RUNNING
    first.stop()
    assert first.join(10)


def test_a_job_whose_owner_has_gone_stops_itself():
    alive = {"yes": True}
    job = TrainingJob(LONG, slots=Slots(1), owner_alive=lambda: alive["yes"], grace=0.2).start()
    wait_until(lambda: len(job.snapshot().history) >= 1)
    alive["yes"] = False
    assert job.join(15)
    assert job.snapshot().state == STOPPED and "session" in job.stop_reason


def test_a_brief_disconnect_within_the_grace_period_does_not_stop_the_job():
    calls = {"n": 0}

    def flaky():  # gone for a moment, then back
        calls["n"] += 1
        return not 2 <= calls["n"] <= 3

    job = TrainingJob(TrainConfig(hidden=(16,), epochs=8), slots=Slots(1), owner_alive=flaky, grace=30).start()
    assert job.join(60)
    assert job.snapshot().state == DONE and calls["n"] > 3


def test_the_job_module_does_not_import_streamlit():
    code = "import sys, digitlab.jobs, digitlab.plots; assert 'streamlit' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(__import__("pathlib").Path(__file__).parents[1]))


def test_waiting_for_the_first_epoch_returns_with_it_or_at_the_timeout():
    """The Train page waits for a run's first epoch to learn its pace; it never waits longer than
    asked, even behind another job holding the slot."""
    slots = Slots(1)
    first = TrainingJob(LONG, slots=slots).start()
    first.wait_for_first_epoch(60)
    assert first.snapshot().history, "returned with the first epoch"
    waiting = TrainingJob(SMALL, slots=slots).start()
    start = time.monotonic()
    waiting.wait_for_first_epoch(0.5)
    assert 0.45 <= time.monotonic() - start < 5 and waiting.snapshot().state == WAITING
    waiting.stop(), first.stop()
    assert waiting.join(10) and first.join(10)
    start = time.monotonic()
    waiting.wait_for_first_epoch(30)  # ended without an epoch: returns at once
    assert time.monotonic() - start < 1
