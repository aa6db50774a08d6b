"""How often the Train page polls: a server whose training had to share its core polls less
(digitlab.jobs.cpu_contended, used by digitlab/ui/train.py)."""
import os
import signal
import time

import pytest

from digitlab import jobs, training_workers
from digitlab.jobs import Slots, TrainingJob, cpu_contended, note_cpu_share
from digitlab.training_process import cpu_share_of
from digitlab.train import TrainConfig
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
