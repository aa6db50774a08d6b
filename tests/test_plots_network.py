"""The "Inside the network" figures, checked on their numbers (not on pixels)."""
import json

import numpy as np
import plotly.graph_objects as go
import pytest
import torch

from digitlab import plots
from digitlab.introspect import edge_contributions, look_inside
from digitlab.model import MLP, ModelConfig
from digitlab.plots.network import NEGATIVE, POSITIVE, diagram_units
from tests.support.network_figures import diagram_edge_count, edge_segments
from digitlab.plots.unvalidated import valid_spec


def model_of(hidden, activation="tanh"):
    torch.manual_seed(1)
    return MLP(ModelConfig(hidden=hidden, activation=activation, input_mean=tuple(np.linspace(0, 8, 64)),
                           input_scale=5.0))


@pytest.fixture(scope="module")
def drawing():
    rng = np.random.default_rng(0)
    x = np.zeros(64, np.float32)
    x[rng.choice(64, 20, replace=False)] = rng.integers(1, 17, 20)
    return x


@pytest.mark.parametrize("hidden, top_k, expected", [
    ((5, 3), 64, 64 * 5 + 5 * 3 + 3 * 10),  # everything shown
    ((5, 3), 4, 4 * 4 + 4 * 3 + 3 * 10),  # input and layer 1 cut to 4 units, layer 2 and output whole
    ((40,), 12, 12 * 12 + 12 * 10),
    ((7, 6, 5), 100, 64 * 7 + 7 * 6 + 6 * 5 + 5 * 10),
])
def test_diagram_edge_count_matches_the_model(drawing, hidden, top_k, expected):
    inside = look_inside(model_of(hidden), drawing)
    fig = valid_spec(plots.network_diagram(inside, top_k=top_k))
    assert diagram_edge_count(fig) == expected
    assert sum(path.count("M") for path in (s.path for s in fig.layout.shapes)) == expected, "one move-to per edge"
    assert len(fig.layout.shapes) <= 8, "a few paths for the browser, not one per edge"
    assert [len(t.x) for t in fig.data if t.name != "labels"] == [min(top_k, w) for w in (64, *hidden)] + [10]


def test_diagram_says_when_a_layer_is_cut_to_its_top_units(drawing):
    fig = valid_spec(plots.network_diagram(look_inside(model_of((40, 8)), drawing), top_k=12))
    titles = list(next(t for t in fig.data if t.name == "labels").text)
    assert titles == ["input<br>top 12 of 64", "layer 1<br>top 12 of 40", "layer 2<br>all 8", "output<br>all 10"]


def test_diagram_edges_coloured_by_sign_and_thickened_by_size(drawing):
    inside = look_inside(model_of((5, 3)), drawing)
    fig = valid_spec(plots.network_diagram(inside, top_k=64))
    shown = diagram_units(inside, 64)
    contribs = np.concatenate([edge_contributions(inside, k)[np.ix_(shown[k + 1], shown[k])].ravel()
                               for k in range(len(shown) - 1)])
    edges = edge_segments(fig)
    positive = sum(len(rows) for colour, _, rows in edges if colour == POSITIVE)
    negative = sum(len(rows) for colour, _, rows in edges if colour == NEGATIVE)
    assert (positive, negative) == (int((contribs >= 0).sum()), int((contribs < 0).sum()))
    # The strongest edge of the last layer pair sits in the thickest path drawn between those columns.
    last = edge_contributions(inside, len(shown) - 2)
    strongest = np.unravel_index(np.abs(last).argmax(), last.shape)
    colour = POSITIVE if last[strongest] >= 0 else NEGATIVE
    # Every segment between the last two columns in that colour, as (width, [x0, y0, y1]).
    segments = [(width, row[[0, 1, 3]]) for c, width, rows in edges if c == colour for row in rows
                if row[0] == len(shown) - 2]
    y_from = np.linspace(1, 0, len(shown[-2]))[list(shown[-2]).index(strongest[1])]
    y_to = np.linspace(1, 0, 10)[strongest[0]]
    widest = max(width for width, _ in segments)
    assert any(width == widest and np.allclose(row, [len(shown) - 2, y_from, y_to], atol=1e-5) for width, row in segments)


def test_activation_bars_one_row_per_hidden_layer(drawing):
    inside = look_inside(model_of((6, 4, 3)), drawing)
    fig = valid_spec(plots.activation_bars(inside))
    assert len(fig.data) == 2 * 3, "an orange (above zero) and a blue (below) part per layer"
    for k, values in enumerate(inside.hidden):
        above, below = [t for t in fig.data if t.yaxis == ("y" if k == 0 else f"y{k + 1}")]
        assert (above.line.color, below.line.color) == (POSITIVE, NEGATIVE)
        np.testing.assert_array_equal(np.asarray(above.y), np.maximum(values, 0))
        np.testing.assert_array_equal(np.asarray(below.y), np.minimum(values, 0))
        np.testing.assert_array_equal(np.asarray(above.customdata), values)  # hover shows the true value
    domains = [fig.layout[f"yaxis{s}"].domain for s in ("", "2", "3")]
    assert all(a[0] > b[1] for a, b in zip(domains, domains[1:])), "layers stacked top to bottom, no overlap"


def test_weight_images_are_the_most_active_units_weights_in_order(drawing):
    model = model_of((20,), activation="relu")
    inside = look_inside(model, drawing)
    fig = valid_spec(plots.weight_images(inside, k=6, cols=4))
    z = np.asarray(fig.data[0].z, dtype=float)
    assert z.shape == (2 * 10, 4 * 9 - 1)
    order = np.argsort(-np.abs(inside.hidden[0]), kind="stable")[:6]
    weights = model.net[0].weight.detach().numpy()
    for n, unit in enumerate(order):
        r, c = divmod(n, 4)
        np.testing.assert_allclose(z[r * 10 + 2 : r * 10 + 10, c * 9 : c * 9 + 8], weights[unit].reshape(8, 8))
    assert np.isnan(z[10 + 2 :, 2 * 9 :]).all(), "the two unused tile slots stay empty"
    assert fig.data[0].zmin == -fig.data[0].zmax, "colour centred on zero"
    assert [text.split(" ")[0] for text in fig.data[1].text] == [f"#{u}" for u in order], "each tile labelled"


def test_saliency_map_of_a_blank_drawing_is_all_zero():
    inside = look_inside(model_of((5, 3)), np.zeros(64, np.float32))
    fig = valid_spec(plots.saliency_map(inside.saliency, inside.features, inside.predicted))
    z = np.asarray(fig.data[0].z, dtype=float)
    assert z.shape == (8, 8) and np.all(z == 0)
    assert fig.data[0].zmin == -1 and fig.data[0].zmax == 1, "a blank map still has a valid colour range"


def test_saliency_map_is_the_input_times_gradient_on_a_symmetric_scale(drawing):
    inside = look_inside(model_of((5, 3)), drawing)
    fig = valid_spec(plots.saliency_map(inside.saliency, inside.features, inside.predicted))
    heat = fig.data[0]
    np.testing.assert_allclose(np.asarray(heat.z, dtype=float), (drawing * inside.gradient).reshape(8, 8), rtol=1e-6)
    assert heat.zmax == pytest.approx(np.abs(inside.saliency).max()) and heat.zmin == -heat.zmax
    assert fig.layout.yaxis.autorange == "reversed"


def test_probe_figures():
    before, after = np.full(10, 0.1), np.eye(10)[3] * 0.91 + 0.01
    fig = valid_spec(plots.probe_bars(before, after))
    np.testing.assert_allclose(fig.data[0].y, before)
    np.testing.assert_allclose(fig.data[1].y, after)
    assert list(fig.data[1].marker.color).index(plots.ACCENT) == 3
    grid = valid_spec(plots.probe_grid(np.arange(64) % 17, cell=8 * 2 + 5))
    rect = grid.layout.shapes[0]
    assert (rect.x0, rect.x1, rect.y0, rect.y1) == (4.5, 5.5, 1.5, 2.5)


def test_every_per_stroke_figure_passes_plotlys_validation(drawing):
    """They are built unvalidated for speed (plots/unvalidated.py): plotly's schema checks them here."""
    inside = look_inside(model_of((20, 6)), drawing)
    figures = [plots.network_diagram(inside, top_k=12), plots.activation_bars(inside), plots.weight_images(inside),
               plots.saliency_map(inside.saliency, inside.features, inside.predicted),
               plots.probe_bars(inside.probs, inside.probs), plots.probe_grid(inside.features, 9),
               plots.input_heatmap(inside.features, title="input")]
    for spec in figures:
        assert isinstance(spec, dict), "a plain spec, sent as it is (plots/unvalidated.py)"
        unchecked = go.Figure(spec, _validate=False)  # the same encoding (template, typed arrays), no checks
        assert json.loads(valid_spec(spec).to_json()) == json.loads(unchecked.to_json()), "validation changed nothing"


def test_an_invalid_property_fails_validation():
    bad = plots.saliency_map(np.zeros(64), np.zeros(64), 3)
    bad["data"][0]["zmidd"] = 0  # no such property: the unvalidated figure takes it, the check must not
    with pytest.raises(ValueError):
        valid_spec(bad)
