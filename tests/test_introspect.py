"""digitlab.introspect against trusted references: forward hooks for activations, plain autograd and
finite differences for the gradient, predict_proba for probabilities; and the shared model untouched."""
import copy
import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn

from digitlab.data import load_splits
from digitlab.introspect import edge_contributions, look_inside, probe, top_units
from digitlab.model import MLP, ModelConfig, predict_proba
from digitlab.store import load_model


@pytest.fixture(scope="module")
def shipped():
    return load_model("default").model


@pytest.fixture(scope="module")
def digits():
    splits = load_splits(0.1)
    return splits.x_test[:5]


def small_model(activation="tanh", dropout=0.0, hidden=(5, 3)) -> MLP:
    torch.manual_seed(0)
    mean = tuple(np.linspace(0, 8, 64))
    return MLP(ModelConfig(hidden=hidden, activation=activation, dropout=dropout, input_mean=mean, input_scale=5.0))


def hooked_activations(model: MLP, x: np.ndarray) -> list[np.ndarray]:
    """Reference: the outputs of every activation module, captured by forward hooks on model()."""
    seen = []
    hooks = [m.register_forward_hook(lambda _m, _i, out: seen.append(out[0].detach().numpy().copy()))
             for m in model.net if not isinstance(m, (nn.Linear, nn.Dropout))]
    try:
        with torch.no_grad():
            model(torch.from_numpy(x.reshape(1, 64).astype(np.float32)))
    finally:
        for h in hooks:
            h.remove()
    return seen


def test_activations_logits_and_probs_match_the_model(shipped, digits):
    for x in digits:
        inside = look_inside(shipped, x)
        reference = hooked_activations(shipped, x)
        widths = list(shipped.config.hidden)
        assert [a.shape for a in inside.hidden] == [(w,) for w in widths] == [a.shape for a in reference]
        for ours, ref in zip(inside.hidden, reference):
            np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(inside.probs, predict_proba(shipped, x), rtol=1e-5, atol=1e-7)
        assert inside.predicted == int(predict_proba(shipped, x).argmax())
        assert [w.shape for w in inside.weights] == list(zip([*widths, 10], [64, *widths]))


def test_gradient_matches_autograd_through_forward_and_finite_differences(digits):
    model = small_model()
    for x in digits[:3]:
        inside = look_inside(model, x)
        reference = copy.deepcopy(model).double()
        xt = torch.tensor(x.reshape(1, 64), dtype=torch.float64, requires_grad=True)
        reference(xt)[0, inside.predicted].backward()
        np.testing.assert_allclose(inside.gradient, xt.grad.numpy()[0], rtol=1e-4, atol=1e-6)
        eps = 1e-3
        for cell in (0, 27, 63):  # central differences on a few cells, float64
            up, down = xt.detach().clone(), xt.detach().clone()
            up[0, cell] += eps
            down[0, cell] -= eps
            with torch.no_grad():
                fd = (reference(up)[0, inside.predicted] - reference(down)[0, inside.predicted]) / (2 * eps)
            assert abs(float(fd) - inside.gradient[cell]) < 1e-4
        np.testing.assert_allclose(inside.saliency, x * inside.gradient)


def test_blank_input_has_zero_saliency_but_a_real_gradient(shipped):
    inside = look_inside(shipped, np.zeros(64, np.float32))
    assert np.all(inside.saliency == 0)
    assert np.abs(inside.gradient).max() > 0, "a blank input still has a slope: where ink would push"


def test_edge_contributions_add_up_to_each_next_pre_activation(digits):
    model = small_model(activation="relu")
    inside = look_inside(model, digits[0])
    linears = [m for m in model.net if isinstance(m, nn.Linear)]
    pre = torch.addcmul(model.input_shift, torch.from_numpy(digits[0]), model.input_inv_scale)
    for layer, linear in enumerate(linears):
        contrib = edge_contributions(inside, layer)
        assert contrib.shape == linear.weight.shape
        with torch.no_grad():
            out = linear(pre)
        np.testing.assert_allclose(contrib.sum(axis=1) + inside.biases[layer], out.numpy(), rtol=1e-5, atol=1e-5)
        pre = torch.relu(out)
    np.testing.assert_allclose(inside.logits, out.numpy(), rtol=1e-5, atol=1e-6)  # the last Linear gives the logits


def test_the_shared_model_is_not_touched(shipped, digits):
    before = {k: v.clone() for k, v in shipped.state_dict().items()}
    assert not shipped.training
    look_inside(shipped, digits[0])
    assert not shipped.training, "mode unchanged"
    assert all(p.grad is None for p in shipped.parameters()), "nothing accumulated into the parameters"
    assert all(torch.equal(before[k], v) for k, v in shipped.state_dict().items())


def test_dropout_is_skipped_whatever_the_mode(digits):
    model = small_model(dropout=0.5)
    model.train()
    first, second = look_inside(model, digits[0]), look_inside(model, digits[0])
    assert model.training, "a training-mode model stays in training mode"
    np.testing.assert_array_equal(first.logits, second.logits)
    model.eval()
    with torch.no_grad():
        eval_logits = model(torch.from_numpy(digits[0].reshape(1, 64)))[0].numpy()
    np.testing.assert_allclose(first.logits, eval_logits, rtol=1e-6)


def test_works_when_the_caller_is_in_inference_mode(shipped, digits):
    with torch.inference_mode():
        inside = look_inside(shipped, digits[1])
    np.testing.assert_allclose(inside.gradient, look_inside(shipped, digits[1]).gradient)


def test_probe_is_one_batched_pass_equal_to_predicting_each_change(shipped, digits):
    x = digits[2]
    values = np.arange(17)
    probs = probe(shipped, x, 27, values)
    assert probs.shape == (17, 10)
    for v in (0, 9, 16):
        changed = x.copy()
        changed[27] = v
        np.testing.assert_allclose(probs[v], predict_proba(shipped, changed), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(probe(shipped, x, 5, [x[5]])[0], predict_proba(shipped, x), rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match="cell"):
        probe(shipped, x, 64, [0])
    with pytest.raises(ValueError, match="0-16"):
        probe(shipped, x, 3, [17])


def test_top_units_strongest_first_by_magnitude():
    values = np.array([0.5, -3.0, 2.0, 0.0, 2.0])
    assert list(top_units(values, 3)) == [1, 2, 4]
    assert list(top_units(values, None)) == [1, 2, 4, 0, 3]
    assert list(top_units(values, 99)) == [1, 2, 4, 0, 3]


def test_core_does_not_import_streamlit():
    code = ("import sys, digitlab.introspect, digitlab.plots.network; "
            "assert 'streamlit' not in sys.modules, 'streamlit imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
