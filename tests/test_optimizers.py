"""The hand-written optimizers match torch.optim in float64 over a cosine schedule, the schedule's
rates are torch's to the last bit, and training never pays for importing torch's compiler."""
import os
import subprocess
import sys

import pytest
import torch
from torch import nn

from digitlab import optimizers

STEPS = 25


def _torch_optimizer(kind: str, param: nn.Parameter, weight_decay: float) -> torch.optim.Optimizer:
    lr = 3e-3
    if kind == "sgd":
        return torch.optim.SGD([param], lr=lr, weight_decay=weight_decay, foreach=False)
    if kind == "momentum":
        return torch.optim.SGD([param], lr=lr, momentum=0.9, weight_decay=weight_decay, foreach=False)
    adam = torch.optim.AdamW if kind == "adamw" else torch.optim.Adam
    return adam([param], lr=lr, weight_decay=weight_decay, foreach=False)


@pytest.mark.parametrize("kind", ["sgd", "momentum", "adam", "adamw"])
@pytest.mark.parametrize("weight_decay", [0.0, 1e-2])
def test_each_optimizer_matches_torch_optim_in_float64(kind, weight_decay):
    gen = torch.Generator().manual_seed(5)
    start = torch.randn(300, generator=gen, dtype=torch.float64)
    mine, grad = start.clone(), torch.zeros(300, dtype=torch.float64)
    theirs = nn.Parameter(start.clone())
    opt_mine = optimizers.make(kind, mine, grad, lr=3e-3, weight_decay=weight_decay)
    opt_theirs = _torch_optimizer(kind, theirs, weight_decay)
    sched_mine = optimizers.CosineSchedule(opt_mine, STEPS)  # the lr changes every step
    sched_theirs = torch.optim.lr_scheduler.CosineAnnealingLR(opt_theirs, STEPS)
    for _ in range(STEPS):
        step_grad = torch.randn(300, generator=gen, dtype=torch.float64)
        grad.copy_(step_grad)
        theirs.grad = step_grad.clone()
        opt_mine.step()
        opt_theirs.step()
        sched_mine.step(), sched_theirs.step()
    assert not torch.equal(mine, start), "the weights moved"
    assert torch.allclose(mine, theirs.detach(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("steps", [1, 7, 1000, 27_000])
def test_the_cosine_rates_are_torch_s_to_the_last_bit(steps):
    mine = optimizers.SGD(torch.zeros(1), torch.zeros(1), lr=2e-3)
    theirs = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=2e-3)
    sched_mine = optimizers.CosineSchedule(mine, steps)
    sched_theirs = torch.optim.lr_scheduler.CosineAnnealingLR(theirs, steps)
    rates_mine, rates_theirs = [], []
    for _ in range(steps):
        theirs.step()  # (keeps torch from warning about the order)
        sched_mine.step(), sched_theirs.step()
        rates_mine.append(mine.lr), rates_theirs.append(theirs.param_groups[0]["lr"])
    assert rates_mine == rates_theirs
    assert rates_mine[-1] == 0.0 and (steps == 1 or rates_mine[0] > 0)


def test_unknown_names_are_refused():
    with pytest.raises(ValueError, match="unknown optimizer"):
        optimizers.make("rmsprop", torch.zeros(1), torch.zeros(1), lr=0.1, weight_decay=0.0)


@pytest.mark.parametrize("preset", ["seed", "diverge"])
def test_a_training_run_never_imports_torch_s_compiler(preset, tmp_path):
    """torch.optim's first optimizer imports torch._dynamo: over a second of a fresh process's CPU
    (several on a slow machine), paid before a first run's first step."""
    code = (f"import sys; from digitlab import service; from digitlab.train import PRESETS; "
            f"service.train(PRESETS[{preset!r}]); print('torch._dynamo' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
                         env={**os.environ, "DIGITLAB_DATA_DIR": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False"
