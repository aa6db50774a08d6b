"""How often the Train page polls: a server whose training had to share its core polls less
(digitlab.jobs.cpu_contended, used by digitlab/ui/train.py); and how far each poll advances the
curves (epochs_to_show)."""
import os
import signal
import time

import pytest

from digitlab import jobs, training_workers
from digitlab.jobs import Slots, TrainingJob, cpu_contended, note_cpu_share
from digitlab.training_process import cpu_share_of
from digitlab.train import TrainConfig
from digitlab.poll_pacing import BUSY_POLL_SECONDS, LIVE_POLL_SECONDS, POLL_SECONDS, REPLAY_POLLS, epochs_to_show
from tests.support.waiting import wait_until


@pytest.fixture(autouse=True)
def calm(monkeypatch):
    monkeypatch.setattr(jobs, "_contended", False)


def test_the_share_is_the_cpu_a_thread_got_per_second_of_wall_time():
    assert cpu_share_of(lambda: 7)[0] == 7  # what the work returned

    def spin():
        end = time.perf_counter() + 0.3
        while time.perf_counter() < end:
            pass

    assert cpu_share_of(lambda: time.sleep(0.3))[1] < 0.2  # waiting gets no CPU
    assert cpu_share_of(spin)[1] > 0.3  # busy: all of a free core, at least a share of a busy one


def test_busy_below_three_quarters_and_calm_again_only_from_nine_tenths():
    note_cpu_share(0.95)
    assert not cpu_contended()
    note_cpu_share(0.5)
    assert cpu_contended()
    note_cpu_share(0.8)  # in between: as it was (polling less raises the share)
    assert cpu_contended()
    note_cpu_share(0.9)
    assert not cpu_contended()
    note_cpu_share(0.8)
    assert not cpu_contended()


def test_a_training_job_reports_the_share_its_training_process_got(monkeypatch):
    taken = []
    real_take = training_workers.POOL.take
    monkeypatch.setattr(training_workers.POOL, "take", lambda: taken.append(real_take()) or taken[-1])
    job = TrainingJob(TrainConfig(hidden=(8,), epochs=40), slots=Slots(1)).start()
    wait_until(lambda: len(job.snapshot().history) >= 1)
    os.kill(taken[0].pid, signal.SIGSTOP)  # as if the core went to others for a while
    time.sleep(1.5)
    os.kill(taken[0].pid, signal.SIGCONT)
    assert job.join(60) and job.snapshot().error is None and job.snapshot().epoch == 40
    assert cpu_contended()


def _states_seen(epochs: int, shown: int, states: int, poll_seconds: float) -> list[int]:
    """The epochs each poll shows of a finished run, polled every poll_seconds, until all are shown."""
    seen = []
    while shown < epochs:
        shown, states = epochs_to_show(shown, states, epochs, epochs, True, poll_seconds), states + 1
        seen.append(shown)
    return seen


def test_a_short_run_that_ended_before_the_first_poll_is_replayed_epoch_by_epoch():
    assert _states_seen(10, 0, 0, POLL_SECONDS) == list(range(1, 11))


def test_a_long_run_mostly_seen_growing_shows_the_rest_at_once():
    # 300 epochs polled every 2 s on a busy machine: seen in 4 states, 240 epochs shown when it ends
    assert epochs_to_show(240, 4, 300, 300, True, BUSY_POLL_SECONDS) == 300


def test_a_run_seen_in_few_states_and_mostly_unseen_is_still_replayed():
    assert epochs_to_show(100, 4, 300, 300, True, BUSY_POLL_SECONDS) == 100 + 300 // REPLAY_POLLS


def test_a_running_job_shows_what_is_done_and_never_more_than_its_pace():
    assert epochs_to_show(0, 0, 50, 300, False, LIVE_POLL_SECONDS) == 50  # pace allows 75
    assert epochs_to_show(0, 0, 200, 300, False, LIVE_POLL_SECONDS) == 75  # a backlog advances at pace
