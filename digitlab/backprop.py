"""One training step of the plain MLP by hand: forward, cross-entropy and backward as explicit
matrix products, written straight into the optimizer's gradient buffer.

Why: on a net this small (64-128-64-10, batches of 32) the arithmetic takes microseconds and
autograd's bookkeeping per step (recording the graph, one node per op, then walking it back)
costs more than the products themselves. Without it an epoch is markedly faster (see
benchmarks/train_speed.py). tests/test_backprop.py checks it against autograd in float64.

Covers what the Train page's controls can ask for except dropout and GELU, whose steps
stay on autograd (`supports`). digitlab/optimizers.py does the same for the optimizer's step.
"""
from __future__ import annotations

import torch
from torch import nn

from digitlab.model import MLP

# Each activation's derivative, written from its output a (all three can: saves keeping z).
_DERIVATIVE_FROM_OUTPUT = {
    "relu": lambda d, a: d.mul_(a > 0),
    "tanh": lambda d, a: d.mul_(1 - a * a),
    "sigmoid": lambda d, a: d.mul_(a * (1 - a)),
}
_IN_PLACE = {"relu": torch.Tensor.relu_, "tanh": torch.Tensor.tanh_, "sigmoid": torch.Tensor.sigmoid_}


def supports(model: MLP) -> bool:
    return model.config.dropout == 0 and model.config.activation in _IN_PLACE


class ExplicitStep:
    """step(xb, yb) -> the batch's mean cross-entropy (0-dim tensor); leaves every weight's
    gradient in weight.grad (which make_optimizer points into one flat buffer)."""

    def __init__(self, model: MLP):
        if not supports(model):
            raise ValueError("the explicit step covers relu/tanh/sigmoid without dropout")
        layers = [m for m in model.net if isinstance(m, nn.Linear)]
        # Per layer, once: its bias, its weight transposed (a view: it follows the weights as they
        # are updated in place) and its weight, and where their gradients go.
        self.forward_layers = [(m.bias, m.weight.t()) for m in layers]
        self.backward_layers = [(m.weight, m.weight.grad, m.bias.grad) for m in reversed(layers)]
        self.shift, self.inv_scale = model.input_shift, model.input_inv_scale
        self.activate = _IN_PLACE[model.config.activation]
        self.derivative = _DERIVATIVE_FROM_OUTPUT[model.config.activation]
        self._minus_ones = torch.empty(0)

    @torch.no_grad()
    def __call__(self, xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        outputs = [torch.addcmul(self.shift, xb, self.inv_scale)]
        for bias, weight_t in self.forward_layers[:-1]:
            outputs.append(self.activate(torch.addmm(bias, outputs[-1], weight_t)))
        bias, weight_t = self.forward_layers[-1]
        log_p = torch.log_softmax(torch.addmm(bias, outputs[-1], weight_t), dim=1)
        loss = nn.functional.nll_loss(log_p, yb)  # the batch's mean cross-entropy
        # d(mean CE)/d(logits) = (softmax - one_hot) / batch
        if len(self._minus_ones) < len(yb):
            self._minus_ones = torch.full((len(yb), 1), -1.0, dtype=log_p.dtype)
        delta = log_p.exp_().scatter_add_(1, yb.unsqueeze(1), self._minus_ones[: len(yb)]).div_(len(xb))
        last = len(self.backward_layers) - 1
        for i, (weight, weight_grad, bias_grad) in enumerate(self.backward_layers):
            below = outputs[last - i]
            torch.mm(delta.t(), below, out=weight_grad)
            torch.sum(delta, 0, out=bias_grad)
            if i < last:
                delta = self.derivative(torch.mm(delta, weight), below)
        return loss
