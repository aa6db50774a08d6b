import json

import numpy as np
import plotly.graph_objects as go
import plotly.utils

from digitlab import plots


def test_probability_bars_fixed_axis_and_winner_highlighted():
    probs = np.array([0.01, 0.02, 0.6, 0.3, 0.01, 0.01, 0.02, 0.01, 0.01, 0.01])
    fig = plots.probability_bars(probs)
    bar = fig.data[0]
    assert list(bar.x) == [str(d) for d in range(10)] and np.allclose(bar.y, probs)
    colours = list(bar.marker.color)
    assert colours[2] == plots.ACCENT and colours.count(plots.ACCENT) == 1
    assert fig.layout.yaxis.range[0] == 0 and fig.layout.yaxis.range[1] >= 1


def test_set_probabilities_matches_a_fresh_build_and_leaves_its_base_alone():
    base = plots.probability_bars(np.full(10, 0.1)).to_plotly_json()
    before = json.dumps(base, cls=plotly.utils.PlotlyJSONEncoder)
    probs = np.eye(10)[7] * 0.9 + 0.01
    updated = plots.set_probabilities(base, probs)
    fresh = plots.probability_bars(probs).to_plotly_json()
    as_json = lambda spec: json.loads(json.dumps(spec, cls=plotly.utils.PlotlyJSONEncoder))  # noqa: E731
    assert np.allclose(go.Figure(updated).data[0].y, probs)  # plotly's own build stores y base64-encoded
    bar, fresh_bar = ({k: v for k, v in spec["data"][0].items() if k != "y"} for spec in (updated, fresh))
    assert as_json(bar) == as_json(fresh_bar) and bar["marker"]["color"].count(plots.ACCENT) == 1
    assert as_json(updated["layout"]) == as_json(fresh["layout"])
    assert json.dumps(base, cls=plotly.utils.PlotlyJSONEncoder) == before, "the session's base spec is not changed"


def test_input_heatmap_shows_the_grid_on_the_0_16_scale():
    grid = np.arange(64).reshape(8, 8) % 17
    fig = go.Figure(plots.input_heatmap(grid))  # validated on the way
    heat = fig.data[0]
    assert np.array_equal(np.asarray(heat.z), grid) and heat.zmin == 0 and heat.zmax == 16
    assert fig.layout.yaxis.autorange == "reversed", "row 0 at the top, like the image"


def test_upscale_is_nearest_neighbour():
    img = np.array([[0, 1], [1, 0]])
    big = plots.upscale(img, 8)
    assert big.shape == (8, 8) and big.dtype == np.uint8
    assert (big[:4, :4] == plots.PAPER).all() and (big[:4, 4:] == 0).all()


def test_grid_picture_shades_each_cell_by_its_count():
    grid = np.zeros((8, 8), np.uint8)
    grid[2, 5], grid[7, 0] = 16, 4
    picture = plots.grid_picture(grid, cell=20)
    assert picture.shape == (161, 161, 3) and picture.dtype == np.uint8
    corner = lambda r, c: picture[r * 20 + 2, c * 20 + 2]  # a cell's corner: shade, no digit drawn there
    assert (corner(0, 0) == 255).all(), "0 is white paper"
    assert corner(2, 5).max() < 50, "16 is full ink"
    assert 170 < corner(7, 0).mean() < 220, "4 of 16 is a light grey"
    # The count is written in the cell: the full-ink cell's centre has light (digit) pixels in it.
    centre = picture[2 * 20 + 4 : 3 * 20 - 3, 5 * 20 + 4 : 6 * 20 - 3]
    assert centre.max() > 200 and centre.min() < 50


def test_grid_picture_refuses_values_off_the_scale():
    import pytest

    with pytest.raises(ValueError):
        plots.grid_picture(np.full((8, 8), 17))


def test_what_the_network_sees_blank_and_drawn():
    blank = plots.what_the_network_sees(None, None, None)
    assert blank.ndim == 3 and (blank == 255).mean() > 0.9, "blank but for the grid's lines"
    crop = np.ones((40, 10))
    bitmap = np.zeros((32, 32), np.uint8)
    bitmap[4:28, 14:18] = 1
    grid = np.zeros((8, 8), np.uint8)
    grid[1:7, 3:5] = 12
    drawn = plots.what_the_network_sees(crop, bitmap, grid)
    assert drawn.shape == blank.shape, "same size blank or drawn: the page doesn't jump"
    assert drawn.mean() < blank.mean()


def test_png_data_uri_holds_the_picture_pixel_for_pixel():
    import base64
    import io

    from PIL import Image

    def decoded(uri: str) -> np.ndarray:
        assert uri.startswith("data:image/png;base64,")
        return np.array(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))))

    rgb = plots.what_the_network_sees(None, None, np.arange(64).reshape(8, 8) % 17)
    grey = plots.upscale(np.eye(8) * 16, 96)
    for picture in (rgb, grey):
        assert np.array_equal(decoded(plots.png_data_uri(picture)), picture)
