"""The optimizers the Train page offers (SGD, momentum, Adam, AdamW) and the cosine learning-rate
schedule, as in-place tensor ops (Adam: torch's fused kernel) on the one flat weight tensor that
train.make_optimizer builds.

Why not torch.optim: its first optimizer imports torch._dynamo (the compiler, for its
dynamo-disable wrappers): seconds of a slow machine's CPU before a first run's first step, paid
by every CLI run and by a server's first Train click. Its step also wraps each update in Python
bookkeeping (hooks, profiler records, state lookups) costing several times the arithmetic on a
net this small. tests/test_optimizers.py checks each against torch.optim in float64, and the
schedule's learning rates against torch's CosineAnnealingLR exactly.
"""
from __future__ import annotations

import math

import torch

BETAS, EPS, MOMENTUM = (0.9, 0.999), 1e-8, 0.9  # torch.optim's defaults (and momentum 0.9)


class SGD:
    """Plain SGD, or with heavy-ball momentum as torch.optim.SGD does it (no dampening)."""

    def __init__(self, weights: torch.Tensor, grad: torch.Tensor, *, lr: float, weight_decay: float = 0.0,
                 momentum: float = 0.0):
        self.weights, self.grad = weights, grad
        self.lr, self.weight_decay, self.momentum = lr, weight_decay, momentum
        self.velocity: torch.Tensor | None = None

    @torch.no_grad()
    def step(self) -> None:
        g = self.grad
        if self.weight_decay:
            g = g.add(self.weights, alpha=self.weight_decay)
        if self.momentum:
            if self.velocity is None:  # the first step's velocity is the gradient itself
                self.velocity = g.clone()
            else:
                self.velocity.mul_(self.momentum).add_(g)
            g = self.velocity
        self.weights.add_(g, alpha=-self.lr)


class Adam:
    """Adam, or AdamW (`decoupled`: the weight decay shrinks the weights instead of joining the gradient).

    The update is torch's fused CPU kernel (what torch.optim.Adam(fused=True) calls): one op over
    the flat tensor instead of seven, each of which costs a dispatch and a pass over memory."""

    def __init__(self, weights: torch.Tensor, grad: torch.Tensor, *, lr: float, weight_decay: float = 0.0,
                 decoupled: bool = False):
        self.weights, self.grad = weights, grad
        self.lr, self.weight_decay = lr, weight_decay
        self.m = torch.zeros_like(weights)
        self.v = torch.zeros_like(weights)
        self.steps_taken = torch.zeros((), dtype=weights.dtype)  # the kernel reads the step count as a tensor
        self._kernel = torch._fused_adamw_ if decoupled else torch._fused_adam_

    @torch.no_grad()
    def step(self) -> None:
        self.steps_taken += 1
        self._kernel([self.weights], [self.grad], [self.m], [self.v], [], [self.steps_taken], lr=self.lr,
                     beta1=BETAS[0], beta2=BETAS[1], weight_decay=self.weight_decay, eps=EPS,
                     amsgrad=False, maximize=False)


Optimizer = SGD | Adam


def make(kind: str, weights: torch.Tensor, grad: torch.Tensor, *, lr: float, weight_decay: float) -> Optimizer:
    """An optimizer, by the name TrainConfig.optimizer uses, that updates `weights` from `grad`."""
    if kind == "sgd":
        return SGD(weights, grad, lr=lr, weight_decay=weight_decay)
    if kind == "momentum":
        return SGD(weights, grad, lr=lr, weight_decay=weight_decay, momentum=MOMENTUM)
    if kind in ("adam", "adamw"):
        return Adam(weights, grad, lr=lr, weight_decay=weight_decay, decoupled=kind == "adamw")
    raise ValueError(f"unknown optimizer {kind!r}")


class CosineSchedule:
    """The learning rate falls from its start to 0 along half a cosine over `steps` steps; step()
    after each optimizer step. Computed as torch's CosineAnnealingLR does (each rate from the
    previous one), so a run's rates, and so its weights, are the same to the last bit."""

    def __init__(self, optimizer: Optimizer, steps: int):
        self.optimizer, self.steps, self.done = optimizer, steps, 0

    def step(self) -> None:
        self.done += 1
        e, t = self.done, self.steps
        if e >= t:  # the end of the cosine (where the ratio below would divide by 0 one step later)
            self.optimizer.lr = 0.0
            return
        self.optimizer.lr = ((1 + math.cos(math.pi * e / t)) / (1 + math.cos(math.pi * (e - 1) / t))
                             * self.optimizer.lr)
