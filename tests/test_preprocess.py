"""Preprocessing against the dataset's own statistics and on synthetic canvas drawings."""
import io

import numpy as np
import pytest
from PIL import Image
from sklearn.datasets import load_digits

from digitlab.preprocess import BOX, MAX_WIDTH, TARGET_INK, blocks, preprocess
from digitlab.strokes import BACKGROUNDS, arc, render

ONE = [[(140, 40), (140, 240)]]
ZERO = [arc(140, 140, 60, 95, 0, 360)]


def test_constants_match_the_dataset():
    """The facts preprocess() reproduces, measured on the 1797 digits themselves."""
    x = load_digits().images
    on = x > 0
    assert on.any(axis=2).all(), "every dataset digit spans all 8 rows (height stretched to 32 px)"
    width = on.any(axis=1).sum(axis=1)
    assert np.median(width) == 6 and np.mean(width <= 7) > 0.98  # 20 px box -> 6 blocks
    ink_per_digit = x.sum(axis=(1, 2))  # = on-pixels of the 32x32 bitmap
    assert abs(ink_per_digit.mean() - TARGET_INK) < 3
    centre_x = (x.sum(axis=1) * (np.arange(8) + 0.5)).sum(1) / ink_per_digit * 4
    assert abs(np.median(centre_x) - BOX / 2) < 1.0
    # A wide drawing comes out MAX_WIDTH px wide and centred, spanning as many 8x8 columns as most
    # of the dataset's digits do (a wider box would give 7 blocks, a narrower one 5).
    most_common_width = np.bincount(width).argmax()
    for rx in (70, 130):
        bitmap = preprocess(render([arc(140, 140, rx, 40, 0, 360)])).bitmap
        cols = np.flatnonzero(bitmap.any(axis=0))
        assert cols.max() - cols.min() + 1 == MAX_WIDTH and cols.min() + cols.max() + 1 == BOX
        assert np.flatnonzero(blocks(bitmap).any(axis=0)).size == most_common_width


@pytest.mark.parametrize("background", BACKGROUNDS)
def test_drawn_one_is_a_centred_vertical_bar(background):
    p = preprocess(render(ONE, background=background))
    grid = p.grid.astype(int)
    assert p.bitmap.shape == (32, 32) and grid.shape == (8, 8)
    assert (grid.sum(axis=1) > 0).all(), "fills the full height"
    cols = np.flatnonzero(grid.sum(axis=0))
    assert cols.min() >= 2 and cols.max() <= 5, f"a narrow bar in the middle, got columns {cols}"
    assert grid.max() == 16 and grid.min() == 0


@pytest.mark.parametrize("background", BACKGROUNDS)
def test_drawn_zero_is_a_ring(background):
    grid = preprocess(render(ZERO, background=background)).grid.astype(int)
    assert grid[3:5, 3:5].sum() == 0, "hole in the middle"
    assert grid[0, 2:6].sum() > 20 and grid[7, 2:6].sum() > 20, "top and bottom arcs"
    assert grid[2:6, 1].sum() > 20 and grid[2:6, 6].sum() > 20, "left and right sides"
    assert grid[:, 0].sum() == 0 and grid[:, 7].sum() == 0, "margins like the dataset's"


def test_polarity_and_transparency_give_the_same_input():
    grids = [preprocess(render(ZERO, background=b)).grid for b in BACKGROUNDS]
    for g in grids[1:]:
        assert np.abs(g.astype(int) - grids[0]).max() <= 1


def test_grey_rgb_files_and_bytes_agree(tmp_path):
    rgba = render(ONE)
    grey = rgba[..., :3].mean(axis=2).astype(np.uint8)
    path = tmp_path / "one.png"
    Image.fromarray(grey).save(path)
    jpeg = io.BytesIO()
    Image.fromarray(rgba[..., :3]).save(jpeg, format="JPEG", quality=90)
    ref = preprocess(rgba).grid.astype(int)
    for other in (grey, rgba[..., :3], path, str(path), jpeg.getvalue()):
        assert np.abs(preprocess(other).grid.astype(int) - ref).max() <= 2


@pytest.mark.parametrize("background", BACKGROUNDS)
def test_blank_canvas_and_speck_are_empty(background):
    assert preprocess(render([], background=background)).empty
    speck = preprocess(render([[(50, 50)]], width=6, background=background))
    assert speck.empty and speck.features is None


def test_dataset_digits_survive_a_round_trip():
    """A dataset digit blown up to canvas size and preprocessed again comes back close to itself."""
    x = load_digits().images[:200]
    errors = []
    for grid in x:
        big = np.kron(grid / 16.0, np.ones((35, 35)))  # 8x8 -> 280x280 grey, ink bright on dark
        back = preprocess((big * 255).astype(np.uint8)).grid.astype(float)
        errors.append(np.abs(back - grid).mean())
    assert np.median(errors) < 2.5, f"median mean-abs-error {np.median(errors):.2f} of 16"


@pytest.mark.parametrize(
    "bad, message",
    [
        (b"", "empty"),
        (b"this is not an image", "not a readable image"),
        (np.zeros((3, 3)), "too small"),
        (np.zeros((20, 20, 5)), "expected a grey, RGB or RGBA"),
        (np.full((20, 20), np.nan), "NaN"),
    ],
)
def test_bad_input_gets_a_clear_error(bad, message):
    with pytest.raises(ValueError, match=message):
        preprocess(bad)


def test_truncated_png_is_refused(tmp_path):
    buf = io.BytesIO()
    Image.fromarray(render(ONE)).save(buf, format="PNG")
    with pytest.raises(ValueError, match="not a readable image"):
        preprocess(buf.getvalue()[: len(buf.getvalue()) // 2])


def test_blocks_counts_on_pixels():
    bitmap = np.zeros((32, 32), np.uint8)
    bitmap[:4, :4] = 1
    bitmap[4:6, 4:8] = 1
    g = blocks(bitmap)
    assert g[0, 0] == 16 and g[1, 1] == 8 and g.sum() == 24
