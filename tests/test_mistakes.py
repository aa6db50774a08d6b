"""From a confusion-matrix cell to its mistakes (digitlab.mistakes): the filter, the order, the
top three, and a click's selection read safely whatever the browser sends."""
import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from digitlab.data import load_splits
from digitlab.evaluate import evaluate
from digitlab.mistakes import cell_from_selection, mistakes, top_k
from digitlab.model import MLP, ModelConfig, predict_proba


def _weak_model_and_eval():
    torch.manual_seed(0)
    model = MLP(ModelConfig(hidden=(16,))).eval()  # untrained: plenty of mistakes in many cells
    splits = load_splits(val_fraction=0.0)
    return model, splits.x_test, evaluate(model, splits.x_test, splits.y_test)


def test_a_cell_gives_exactly_its_mistakes_most_confident_first_with_a_true_top3():
    model, x, ev = _weak_model_and_eval()
    cells = {(int(t), int(p)) for t, p in zip(ev.wrong_true, ev.wrong_pred)}
    assert len(cells) > 3
    for cell in cells:
        found, total = mistakes(model, x, ev, cell, limit=1000)
        assert total == ev.confusion[cell] == len(found)
        assert {(m.true, m.predicted) for m in found} == {cell}
        probs = predict_proba(model, x[[m.index for m in found]])
        confidence = probs[:, cell[1]]
        assert (np.diff(confidence) <= 0).all()  # most confident first
        for m, p in zip(found, probs):
            assert m.top3[0][0] == m.predicted and len(m.top3) == 3
            assert [d for d, _ in m.top3] == list(np.argsort(-p, kind="stable")[:3])
            assert np.array_equal(m.grid, x[m.index].reshape(8, 8))


def test_no_cell_gives_every_mistake_up_to_the_limit_and_the_diagonal_none():
    model, x, ev = _weak_model_and_eval()
    found, total = mistakes(model, x, ev, None, limit=7)
    assert total == len(ev.wrong_index) and len(found) == 7
    assert mistakes(model, x, ev, (3, 3)) == ([], 0)


def test_top_k():
    assert top_k(np.array([0.1, 0.5, 0.0, 0.4]), 3) == ((1, 0.5), (3, 0.4), (0, 0.1))


def test_a_click_on_a_cell_is_read_as_true_and_predicted():
    selection = {"points": [{"curve_number": 1, "point_index": 83, "x": "3", "y": "8"}], "point_indices": [83],
                 "box": [], "lasso": []}
    assert cell_from_selection(selection) == (8, 3)
    assert cell_from_selection({"points": [], "box": [], "lasso": []}) is None
    assert cell_from_selection({"points": [{"x": "3", "y": "10"}]}) is None
    assert cell_from_selection({"points": [{"x": "1", "y": "2"}, {"x": "3", "y": "4"}]}) is None


JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                       lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                       max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(JSONISH | st.fixed_dictionaries({"points": st.lists(st.dictionaries(st.sampled_from(["x", "y", "z"]), JSONISH),
                                                           max_size=2)}))
def test_any_selection_is_a_cell_or_none_never_an_exception(selection):
    cell = cell_from_selection(selection)
    assert cell is None or (len(cell) == 2 and all(0 <= v <= 9 and isinstance(v, int) for v in cell))
