"""One server, one line for training slots: a sweep started on the Explore page and a run started on
the Train page queue behind each other (both are jobs.Job on jobs.SLOTS), and any job stops itself
once its browser session has gone, even work that reports nothing for a long while (a sweep)."""
import threading
import time

import pytest
from streamlit.testing.v1 import AppTest

from digitlab import jobs
from digitlab.jobs import DONE, RUNNING, STOPPED, WAITING, Job, Slots
from digitlab.ui.keys import TRAIN_JOB_KEY
from tests.support.waiting import wait_until

SWEEP_JOB_KEY = "explore_job"  # digitlab.ui.explore.JOB_KEY


def train_page():
    from digitlab.ui import train

    train.page()


def explore_page():
    from digitlab.ui import explore

    explore.page()


@pytest.fixture
def one_slot(monkeypatch, models_tmp):
    """The server's one slot (DIGITLAB_MAX_JOBS unset), fresh for this test: both pages use jobs.SLOTS."""
    monkeypatch.setattr(jobs, "SLOTS", Slots(1))
    return jobs.SLOTS


def start_training(epochs: int) -> AppTest:
    at = AppTest.from_function(train_page, default_timeout=60).run()
    at.text_input(key="train_hidden").set_value("16")
    at.number_input(key="train_epochs").set_value(epochs)
    return at.button(key="train_start").click().run()


def start_sweep(trials: int, epochs: int) -> AppTest:
    at = AppTest.from_function(explore_page, default_timeout=60).run()
    at.number_input(key="explore_trials").set_value(trials)
    at.number_input(key="explore_epochs").set_value(epochs)
    at.number_input(key="explore_jobs").set_value(1)
    next(b for b in at.button if b.label == "Start sweep").click()
    return at.run()


def test_a_sweep_waits_behind_a_train_page_run_and_runs_when_it_ends(one_slot):
    train = start_training(epochs=2000)  # minutes if never stopped
    run = train.session_state[TRAIN_JOB_KEY]
    wait_until(lambda: run.snapshot().history)
    explore = start_sweep(trials=2, epochs=2)
    sweep = explore.session_state[SWEEP_JOB_KEY]
    wait_until(lambda: sweep.waiting_behind == 0)
    assert sweep.state == WAITING and sweep.latest is None and one_slot.busy == 1
    explore.run()
    assert any("Waiting for a free training slot" in i.value for i in explore.info)
    time.sleep(2)  # a sweep that ignored the slot would have started its child process by now
    assert sweep.state == WAITING and run.snapshot().state == RUNNING

    train.button(key="train_stop").click().run()
    assert run.join(30) and run.snapshot().state == STOPPED
    assert sweep.join(180), "the sweep takes the freed slot and runs"
    assert sweep.state == DONE and sweep.error is None and sweep.result.finished == 2
    assert one_slot.busy == 0


def test_a_train_page_run_waits_behind_a_sweep_and_runs_when_it_is_stopped(one_slot):
    explore = start_sweep(trials=1000, epochs=20)
    sweep = explore.session_state[SWEEP_JOB_KEY]
    wait_until(lambda: sweep.state == RUNNING)
    train = start_training(epochs=3)
    run = train.session_state[TRAIN_JOB_KEY]
    wait_until(lambda: run.snapshot().waiting_behind == 0)
    train.run()
    assert any("Waiting for a free training slot" in i.value for i in train.info)
    assert run.snapshot().history == () and one_slot.busy == 1

    wait_until(lambda: sweep.latest is not None)  # a trial or more finished while the run waited
    assert run.snapshot().state == WAITING
    sweep.stop()  # the Explore page's Stop button
    assert sweep.join(120) and sweep.state == STOPPED
    assert run.join(120) and run.snapshot().state == DONE and len(run.snapshot().history) == 3


def test_work_that_never_reports_still_stops_once_its_owner_has_gone():
    ended = threading.Event()

    def quiet_work(job):  # like a sweep between trials: no report() for a long time
        job.stop_event.wait(60)
        ended.set()

    alive = {"yes": True}
    job = Job(quiet_work, kind="sweep", slots=Slots(1), owner_alive=lambda: alive["yes"], grace=0.5).start()
    wait_until(lambda: job.state == RUNNING)
    time.sleep(1.5)
    assert job.state == RUNNING, "an owner who is there keeps the job going"
    gone = time.monotonic()
    alive["yes"] = False
    assert job.join(10) and ended.is_set()
    assert job.state == STOPPED and "session" in job.stop_reason
    assert time.monotonic() - gone < 0.5 + 2 * Job.WATCH_POLL + 1


def test_a_job_waiting_for_a_slot_is_dropped_when_its_owner_goes():
    slots = Slots(1)
    holder = Job(lambda job: job.stop_event.wait(60), slots=slots).start()
    wait_until(lambda: holder.state == RUNNING)
    waiting = Job(lambda job: pytest.fail("never runs"), slots=slots, owner_alive=lambda: False, grace=0.2).start()
    assert waiting.join(10) and waiting.state == STOPPED and waiting.error is None
    holder.stop()
    assert holder.join(10) and slots.busy == 0
