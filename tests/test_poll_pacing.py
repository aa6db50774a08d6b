"""How often the Train page polls: a server whose training had to share its core polls less
(digitlab.jobs.cpu_contended, used by digitlab/ui/train.py)."""
import time

import pytest

from digitlab import jobs, service
from digitlab.jobs import Slots, TrainingJob, cpu_contended, cpu_share_of, note_cpu_share
from digitlab.train import TrainConfig


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


def test_a_training_job_reports_the_share_its_thread_got(monkeypatch):
    real_train = service.train

    def starved_train(*args, **kwargs):  # as if the core went to others most of the time
        time.sleep(1.0)
        return real_train(*args, **kwargs)

    monkeypatch.setattr(service, "train", starved_train)
    job = TrainingJob(TrainConfig(hidden=(8,), epochs=1), slots=Slots(1)).start()
    assert job.join(60) and job.snapshot().error is None
    assert cpu_contended()
