"""The Draw page's per-stroke shortcuts give exactly what the plain versions give."""
import numpy as np
import pytest
from scipy import ndimage

from digitlab import preprocess
from digitlab.plots import pictures


def reference_normalize_stroke(fine: np.ndarray) -> np.ndarray:
    """The plain version: one ink mask per radius, each cut to 32x32 by majority."""
    box, k = preprocess.BOX, preprocess.FINE
    signed = ndimage.distance_transform_edt(~fine) - ndimage.distance_transform_edt(fine)
    radii = np.arange(-2.0 * k, 6.0 * k + 0.01, 0.25 * k)
    bitmaps = (signed[None] <= radii[:, None, None]).reshape(len(radii), box, k, box, k).mean(axis=(2, 4)) > 0.5
    counts = bitmaps.sum(axis=(1, 2))
    cost = np.where(counts > 0, np.abs(counts - preprocess.TARGET_INK), np.inf) + 1e-3 * np.abs(radii)
    return bitmaps[int(np.argmin(cost))].astype(np.uint8)


@pytest.mark.parametrize("seed", range(40))
def test_stroke_normalizing_matches_the_plain_per_radius_version(seed):
    rng = np.random.default_rng(seed)
    side = preprocess.BOX * preprocess.FINE
    fine = np.zeros((side, side), bool)
    for _ in range(rng.integers(1, 6)):  # a few thick or thin strokes at random
        r0, c0 = rng.integers(0, side, 2)
        r1, c1 = rng.integers(0, side, 2)
        t = np.linspace(0, 1, 200)
        rows, cols = np.round(r0 + (r1 - r0) * t).astype(int), np.round(c0 + (c1 - c0) * t).astype(int)
        fine[rows, cols] = True
    fine = ndimage.binary_dilation(fine, iterations=int(rng.integers(0, 8)))
    expected = reference_normalize_stroke(fine)
    assert expected.sum() > 0
    assert np.array_equal(preprocess._normalize_stroke(fine), expected)


def test_an_opaque_canvas_image_reads_as_its_colours_alone_and_a_translucent_one_is_composited():
    rng = np.random.default_rng(3)
    rgba = rng.integers(0, 256, (64, 64, 4)).astype(np.uint8)
    rgba[0], rgba[-1], rgba[:, 0], rgba[:, -1] = 255, 255, 255, 255  # white paper around the edge
    rgba[1:-1, 1:-1, 3] = 255
    assert np.array_equal(preprocess.ink_map(rgba), preprocess.ink_map(rgba[..., :3]))
    rgba[20:30, 20:30, 3] = 0  # a transparent patch shows the white under it: no ink there
    assert preprocess.ink_map(rgba)[20:30, 20:30].max() == 0
    assert preprocess.ink_map(rgba[..., :3])[20:30, 20:30].max() > 0


def test_the_grid_picture_from_ready_cells_is_pixel_identical_to_drawing_it():
    rng = np.random.default_rng(0)
    grids = [rng.integers(0, 17, (8, 8)) for _ in range(50)] + [np.full((8, 8), v) for v in range(17)]
    for grid in grids:
        assert np.array_equal(pictures.grid_picture(grid), pictures._drawn_grid(grid.astype(float), pictures.CELL))
    fractional = np.full((8, 8), 2.5)  # not counts: drawn the plain way
    assert np.array_equal(pictures.grid_picture(fractional), pictures._drawn_grid(fractional, pictures.CELL))
