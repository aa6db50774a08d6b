"""The hand-written training step matches autograd: loss and every gradient, in float64."""
import pytest
import torch
from torch import nn

from digitlab.backprop import ExplicitStep, supports
from digitlab.model import MLP, ModelConfig


def _model(activation: str, hidden=(40, 24), dropout=0.0) -> MLP:
    torch.manual_seed(1)
    config = ModelConfig(hidden=hidden, activation=activation, dropout=dropout,
                         input_mean=tuple(torch.rand(64).mul(8).tolist()), input_scale=4.5)
    model = MLP(config).double()
    model.input_shift, model.input_inv_scale = model.input_shift.double(), model.input_inv_scale.double()
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    return model


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("hidden", [(40, 24), (16,), (33, 20, 12)])
def test_the_explicit_step_matches_autograd_in_float64(activation, hidden):
    model = _model(activation, hidden)
    gen = torch.Generator().manual_seed(7)
    xb = torch.randint(0, 17, (29, 64), generator=gen).double()  # an odd batch, like an epoch's last
    yb = torch.randint(0, 10, (29,), generator=gen)

    loss = ExplicitStep(model)(xb, yb)
    explicit = [p.grad.clone() for p in model.parameters()]

    for p in model.parameters():
        p.grad = None
    reference = nn.functional.cross_entropy(model(xb), yb)
    reference.backward()
    assert loss.item() == pytest.approx(reference.item(), rel=1e-12, abs=1e-12)
    for (name, p), mine in zip(model.named_parameters(), explicit):
        assert torch.allclose(mine, p.grad, rtol=1e-10, atol=1e-12), name
        assert p.grad.abs().sum() > 0, f"{name}: a zero gradient would make this comparison empty"


def test_dropout_and_gelu_stay_on_autograd():
    assert supports(_model("relu"))
    assert not supports(_model("relu", dropout=0.2))
    assert not supports(_model("gelu"))
    with pytest.raises(ValueError):
        ExplicitStep(_model("gelu"))
