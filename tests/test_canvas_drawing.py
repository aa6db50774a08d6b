"""The canvas's strokes (fabric.js JSON) drawn on the server: where the ink lands, how transforms
move it, and that whatever a browser sends gets a picture or a clear ValueError, nothing else.
How close the picture is to the browser's own canvas: tests/e2e/test_canvas_drawing_browser.py."""
import copy

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digitlab.canvas_drawing import MAX_OBJECTS, canvas_strokes, picture
from digitlab.preprocess import preprocess
from digitlab.strokes import arc, render
from digitlab.synth import densify
from tests.support.apptest import pencil_drawing

SIZE = 280
SEVEN = [[(80, 55), (200, 55), (170, 120), (140, 180), (120, 240)]]
ZERO = [arc(140, 140, 60, 95, 0, 360)]


def ink(image: np.ndarray) -> np.ndarray:
    return image < 128


@pytest.mark.parametrize("nothing", [None, {"objects": []}, {"version": "7.4.0", "objects": [], "background": "#FFFFFF"}])
def test_a_canvas_with_no_strokes_has_no_picture(nothing):
    assert picture(nothing, SIZE) is None


def test_a_stroke_is_inked_along_its_samples_with_the_brush_width():
    image = picture(pencil_drawing([[(100, 140), (180, 140)]], width=20), SIZE)
    assert image.shape == (SIZE, SIZE) and image.dtype == np.uint8
    rows, cols = np.nonzero(ink(image))
    assert (rows.min(), rows.max()) in {(130, 150), (130, 149), (131, 150)}  # 20 px thick about y = 140
    assert 89 <= cols.min() <= 91 and 189 <= cols.max() <= 191  # round caps: 10 px past each end
    assert image[140, 60] == 255 and image[100, 140] == 255, "paper elsewhere"


def test_a_single_click_is_a_round_dot():
    image = picture(pencil_drawing([[(140, 140)]], width=20), SIZE)
    rows, cols = np.nonzero(ink(image))
    assert 18 <= rows.max() - rows.min() <= 21 and 18 <= cols.max() - cols.min() <= 21
    assert 250 <= ink(image).sum() <= 380  # ~pi * 10^2


def test_sparse_samples_are_drawn_as_the_pencil_s_curve_not_straight_chords():
    # fabric's pencil passes through the midpoints between samples, bending towards each sample:
    # three samples make a curve from one midpoint to the next whose middle lies halfway between
    # its chord and the corner.
    image = picture(pencil_drawing([[(60, 200), (140, 40), (220, 200)]], width=4), SIZE)
    top = np.nonzero(ink(image)[:, 140])[0].min()
    assert 76 <= top <= 80, top  # the corner is at y=40, the chord at y=120: the curve peaks at y=80, brush 4


@pytest.mark.parametrize("strokes", [SEVEN, ZERO])
def test_densely_sampled_strokes_read_as_the_training_renderer_s_do(strokes):
    # A pointer sampled every 2 px: the pencil's curves through midpoints then hug the samples'
    # polyline, which is what digitlab.strokes.render (the training data's pen) draws.
    dense = [[tuple(p) for p in densify(np.array(s, float), step=2.0)] for s in strokes]
    ours = preprocess(picture(pencil_drawing(dense), SIZE)).grid.astype(int)
    theirs = preprocess(render(dense)).grid.astype(int)
    assert np.abs(ours - theirs).sum() <= 24, (ours, theirs)  # of ~313 ink counts


def test_a_moved_stroke_is_drawn_where_it_was_moved_to():
    drawing = pencil_drawing(SEVEN)
    moved = copy.deepcopy(drawing)
    moved["objects"][0]["left"] += 30
    moved["objects"][0]["top"] -= 20
    np.testing.assert_array_equal(picture(moved, SIZE), np.roll(picture(drawing, SIZE), (-20, 30), axis=(0, 1)))


def test_scale_rotation_and_flip_are_applied_about_the_stroke_s_centre():
    drawing = pencil_drawing([[(100, 140), (180, 140)]], width=10)
    obj = drawing["objects"][0]
    scaled = copy.deepcopy(drawing)
    scaled["objects"][0].update(scaleX=1.5, scaleY=1.5)
    cols = np.nonzero(ink(picture(scaled, SIZE)).any(axis=0))[0]
    assert 72 <= cols.min() <= 74 and 206 <= cols.max() <= 208  # 80 px -> 120 px, brush 10 -> 15
    turned = copy.deepcopy(drawing)
    turned["objects"][0]["angle"] = 90
    rows, cols = np.nonzero(ink(picture(turned, SIZE)))
    assert 133 <= cols.min() and cols.max() <= 146 and rows.min() <= 96 and rows.max() >= 184  # now vertical
    flipped = copy.deepcopy(pencil_drawing(SEVEN))
    flipped["objects"][0]["flipX"] = True
    centre = flipped["objects"][0]["left"]
    mirror = picture(pencil_drawing([[(2 * centre - x, y) for x, y in SEVEN[0]]]), SIZE)
    assert (ink(picture(flipped, SIZE)) != ink(mirror)).sum() < 0.02 * ink(mirror).sum()
    assert obj["left"] == 140


def test_a_hidden_stroke_is_not_drawn():
    drawing = pencil_drawing(SEVEN + ZERO)
    drawing["objects"][1]["visible"] = False
    np.testing.assert_array_equal(picture(drawing, SIZE), picture(pencil_drawing(SEVEN), SIZE))


@pytest.mark.parametrize("bad, says", [
    ([1, 2], "not a drawing"),
    ({"objects": "lots"}, "not a drawing"),
    ({"objects": [{"type": "rect", "left": 3}]}, "only freehand strokes"),
    ({"objects": [7]}, "only freehand strokes"),
    ({"objects": [{"type": "Path"}]}, "without a path"),
    ({"objects": [{"type": "Path", "path": [["M", 1, 2], ["C", 1, 2, 3, 4, 5, 6]]}]}, "command"),
    ({"objects": [{"type": "Path", "path": [["M", float("nan"), 2]]}]}, "not a usable number"),
    ({"objects": [{"type": "Path", "path": [["M", True, 2]]}]}, "not a usable number"),
    ({"objects": [{"type": "Path", "path": [["M", "1", 2]]}]}, "not a usable number"),
    ({"objects": [{"type": "Path", "path": [["M", 1e300, 2]]}]}, "not a usable number"),
    ({"objects": [{"type": "Path", "path": [["M", 1, 2]], "strokeWidth": -4}]}, "brush width"),
    ({"objects": [{"type": "Path", "path": [["M", 1, 2]], "scaleX": "big"}]}, "not a usable number"),
    ({"objects": [{"type": "Path", "path": [["M", 1, 2]]}] * (MAX_OBJECTS + 1)}, "too many strokes"),
    ({"objects": [{"type": "Path", "path": [["L", 1, 2]] * 200_001}]}, "too long"),
])
def test_what_is_not_a_canvas_drawing_gets_a_readable_error(bad, says):
    with pytest.raises(ValueError, match=says):
        picture(bad, SIZE)


json_value = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=3),
                          lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=8), inner, max_size=6),
                          max_leaves=40)
command = st.lists(st.one_of(st.sampled_from(["M", "L", "Q", "C", "z"]), st.floats(-1e4, 1e4), st.integers(-10, 500)),
                   min_size=0, max_size=6)
stroke = st.fixed_dictionaries({"type": st.sampled_from(["Path", "path", "rect"]), "path": st.lists(command, max_size=8)},
                               optional={"left": json_value, "top": json_value, "scaleX": st.floats(), "angle": st.floats(),
                                         "skewX": st.floats(-89, 89), "flipY": json_value, "strokeWidth": json_value,
                                         "originX": st.sampled_from(["left", "center", "right", "x"]), "visible": json_value})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(json_value, st.fixed_dictionaries({"objects": st.lists(stroke, max_size=4)})))
def test_anything_a_browser_could_send_gets_a_picture_or_a_value_error(sent):
    try:
        image = picture(sent, SIZE)
    except ValueError as exc:
        assert str(exc)
        return
    assert image is None or (image.shape == (SIZE, SIZE) and image.dtype == np.uint8)
    assert image is None or canvas_strokes(sent)
