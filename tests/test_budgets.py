"""Fair use on a shared server (digitlab/budgets.py): the operator's budgets, a job stopped at its
time budget keeping its model and saying why, a long preparation stopped too, the queue's honest
"your turn within", and the goal: the most a student can ask for delays another's seed run by at
most the budget."""
import os
import time

import pytest

from digitlab import budgets, training_workers
from digitlab.budgets import Budget, parameters, server_budget
from digitlab.jobs import DONE, FAILED, RUNNING, STOPPED, WAITING, Job, Slots, TrainingJob
from digitlab.model import MLP, ModelConfig
from digitlab.synth import Interrupted, training_set
from digitlab.train import MAX_EPOCHS, MAX_RENDERS, TrainConfig
from tests.support.waiting import wait_until


def test_the_operator_sets_the_budget_in_the_environment_and_zero_means_no_limit():
    assert server_budget({}) == Budget()
    assert Budget().seconds == 300 and Budget().parameters == 1_000_000
    assert server_budget({"DIGITLAB_MAX_JOB_SECONDS": "5", "DIGITLAB_MAX_JOB_PARAMETERS": "2000",
                          "DIGITLAB_MAX_SWEEP_WORKERS": "3"}) == Budget(5.0, 2000, 3)
    unlimited = server_budget({"DIGITLAB_MAX_JOB_SECONDS": "0", "DIGITLAB_MAX_JOB_PARAMETERS": "0"})
    assert unlimited.seconds is None and unlimited.parameters is None
    assert server_budget({"DIGITLAB_MAX_SWEEP_WORKERS": "500"}).workers == budgets.UI_MAX_WORKERS
    for bad in ("five", "-1", "nan", "inf"):
        with pytest.raises(ValueError, match="DIGITLAB_MAX_JOB_SECONDS"):
            server_budget({"DIGITLAB_MAX_JOB_SECONDS": bad})
    assert budgets.session_budget(teacher=True) == budgets.UNLIMITED



def test_a_sweep_is_offered_the_cores_this_process_may_use_not_the_machines_count():
    cores = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {min(cores)})  # as taskset, a container's cpuset or benchmarks' --slow do
        assert budgets.usable_cores() == 1 and Budget().workers == 1 and server_budget({}).workers == 1
    finally:
        os.sched_setaffinity(0, cores)
    assert Budget().workers == len(cores)

@pytest.mark.parametrize("hidden", [(128, 64), (7,), (4096,) * 8, (512, 256, 3)])
def test_the_parameter_count_is_the_networks_own(hidden):
    model = MLP(ModelConfig(hidden=hidden))
    assert parameters(hidden) == sum(p.numel() for p in model.parameters())


def test_too_big_a_network_is_named_with_its_size_and_what_to_do():
    assert Budget().size_problem((512, 256)) is None  # the shipped model's network
    problem = Budget().size_problem((4096,) * 8)
    assert "1,000,000" in problem and f"{parameters((4096,) * 8):,}" in problem and "fewer or narrower" in problem
    assert budgets.UNLIMITED.size_problem((4096,) * 8) is None


def test_a_run_at_its_time_budget_stops_keeps_its_model_and_says_why():
    training_workers.POOL.warm()  # a warm training process, as a server has: the budget times training
    job = TrainingJob(TrainConfig(epochs=MAX_EPOCHS), slots=Slots(1), seconds=1.5).start()
    assert job.join(60)
    snap = job.snapshot()
    assert snap.state == STOPPED and 0 < snap.epoch < MAX_EPOCHS
    assert job.stop_reason == "reached this server's time budget of 1.5 s per job"
    # A stop lands before the next batch (a few ms here); the watch looks 4 times a second.
    assert 1.5 <= snap.elapsed < 1.5 + 2.0
    assert job.model is not None and snap.evaluation is not None  # kept, and evaluated like a Stop press


def test_a_preparation_longer_than_the_budget_is_stopped_too_and_says_nothing_was_trained():
    # 100 renderings of each of 810 font digits take many minutes before the first epoch.
    job = TrainingJob(TrainConfig(font_renders=MAX_RENDERS, epochs=1), slots=Slots(1), seconds=1.0).start()
    assert job.join(30), "the rendering did not stop at the budget"
    assert job.state == FAILED and job.model is None
    assert job.error.startswith("Stopped (reached this server's time budget of 1 s per job) while rendering")
    assert "nothing was trained" in job.error


def test_a_stopped_rendering_is_not_kept_as_if_it_were_whole():
    class SetAfter:
        def __init__(self, n):
            self.n = n

        def is_set(self):
            self.n -= 1
            return self.n < 0

    with pytest.raises(Interrupted):
        training_set(0, 3, seed=12345, stop=SetAfter(5))
    x, y = training_set(0, 1, seed=12345)
    again, _ = training_set(0, 1, seed=12345, stop=SetAfter(0))  # made already: nothing left to stop
    assert x is again and len(x) == len(y) > 0


class Fake:
    def __init__(self, left):
        self.left = left

    def time_left(self):
        return self.left


def test_the_longest_wait_adds_up_what_holds_and_waits_ahead():
    slots = Slots(1)
    holder, ahead, me = Fake(100.0), Fake(300.0), Fake(300.0)
    assert slots.acquire(holder, cancelled=lambda: False)
    slots._line.extend([ahead, me])  # two waiting, as acquire() would have them
    assert slots.longest_wait(me) == 400.0 and slots.longest_wait(ahead) == 100.0
    holder.left = None  # one with no budget: nobody can say
    assert slots.longest_wait(me) is None
    assert slots.longest_wait(Fake(1.0)) is None  # not in line

    two = Slots(2)
    for job in (Fake(50.0), Fake(200.0)):
        assert two.acquire(job, cancelled=lambda: False)
    two._line.extend([ahead, me])  # ahead takes the slot freed at 50 s, me the one freed at 200 s
    assert two.longest_wait(me) == 200.0


def test_the_most_a_student_can_ask_for_delays_a_seed_run_by_at_most_the_budget():
    """The goal of the fair-use budgets, with a small one: a job as big as the budget allows (its
    biggest network, the most epochs, every dataset digit repeated) holds the one slot; a seed-preset
    run asked for right after starts within the budget, and the queue said so while it waited."""
    budget = Budget(seconds=3.0)
    slots = Slots(1)
    widest = (1000,) * 2  # 1,075,010 parameters would be refused; 1000-900 fits under 1,000,000
    assert budget.size_problem(widest) is not None and budget.size_problem((1000, 900)) is None
    hog = TrainingJob(TrainConfig(hidden=(1000, 900), epochs=MAX_EPOCHS, dataset_repeat=MAX_RENDERS, batch_size=1),
                      slots=slots, seconds=budget.seconds).start()
    wait_until(lambda: hog.state == RUNNING)
    asked = time.perf_counter()
    seed = TrainingJob(TrainConfig(), slots=slots, seconds=budget.seconds).start()
    wait_until(lambda: seed.state == WAITING)
    promised = seed.longest_wait
    assert promised is not None and 0 < promised <= budget.seconds
    wait_until(lambda: seed.state != WAITING, timeout=60)
    waited = time.perf_counter() - asked
    assert waited <= budget.seconds + 1.0, f"the seed run waited {waited:.1f} s behind a {budget.seconds:.0f} s budget"
    assert seed.join(120) and seed.state == DONE
    assert hog.state == STOPPED and "time budget" in hog.stop_reason


def test_a_job_without_a_budget_runs_on_and_its_waiters_cannot_be_told_a_time():
    slots = Slots(1)
    hog = Job(lambda job: job.stop_event.wait(30), slots=slots).start()
    wait_until(lambda: hog.state == RUNNING)
    waiter = Job(lambda job: None, slots=slots, seconds=10).start()
    wait_until(lambda: waiter.state == WAITING)
    time.sleep(0.6)  # a few of the watch's looks: nothing stops a job without a budget
    assert hog.state == RUNNING and hog.time_left() is None and waiter.longest_wait is None
    hog.stop()
    assert waiter.join(10) and waiter.state == DONE


def test_a_sweep_stopped_by_its_budget_is_stopped_not_failed_even_before_its_first_trial(tmp_path):
    from digitlab.sweep import SweepConfig, sweep_job

    config = SweepConfig(trials=1000, base=TrainConfig(epochs=500), study="budgeted",
                         storage=f"sqlite:///{tmp_path / 'sweeps.sqlite'}")
    job = sweep_job(config, slots=Slots(1), seconds=0.5).start()  # the child process is still importing torch
    assert job.join(120)
    assert job.state == STOPPED and job.error is None, job.error
    assert job.stop_reason == "reached this server's time budget of 0.5 s per job"
