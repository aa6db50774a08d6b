import numpy as np

from digitlab import plots


def test_probability_bars_fixed_axis_and_winner_highlighted():
    probs = np.array([0.01, 0.02, 0.6, 0.3, 0.01, 0.01, 0.02, 0.01, 0.01, 0.01])
    fig = plots.probability_bars(probs)
    bar = fig.data[0]
    assert list(bar.x) == [str(d) for d in range(10)] and np.allclose(bar.y, probs)
    colours = list(bar.marker.color)
    assert colours[2] == plots.ACCENT and colours.count(plots.ACCENT) == 1
    assert fig.layout.yaxis.range[0] == 0 and fig.layout.yaxis.range[1] >= 1


def test_set_probabilities_updates_in_place_like_a_fresh_build():
    fig = plots.probability_bars(np.full(10, 0.1))
    probs = np.eye(10)[7] * 0.9 + 0.01
    updated = plots.set_probabilities(fig, probs)
    fresh = plots.probability_bars(probs)
    assert updated is fig
    assert fig.to_plotly_json()["data"] == fresh.to_plotly_json()["data"]


def test_input_heatmap_shows_the_grid_on_the_0_16_scale():
    grid = np.arange(64).reshape(8, 8) % 17
    fig = plots.input_heatmap(grid)
    heat = fig.data[0]
    assert np.array_equal(np.asarray(heat.z), grid) and heat.zmin == 0 and heat.zmax == 16
    assert fig.layout.yaxis.autorange == "reversed", "row 0 at the top, like the image"
    plots.set_grid(fig, np.zeros((8, 8)))
    assert np.asarray(fig.data[0].z).sum() == 0


def test_upscale_is_nearest_neighbour():
    img = np.array([[0, 1], [1, 0]])
    big = plots.upscale(img, 8)
    assert big.shape == (8, 8) and big.dtype == np.uint8
    assert (big[:4, :4] == plots.PAPER).all() and (big[:4, 4:] == 0).all()
