"""Still pictures for the Draw page: what the network sees, as one image per stroke.

The 8x8 input is drawn here as a picture with its 0-16 counts written in the cells, not as a
Plotly heat map: a stroke then costs the browser one image, not a second chart to lay out and
draw (half of what the Draw page's charts cost per stroke; see benchmarks/load.py).
"""
from __future__ import annotations

import base64
import io
from functools import lru_cache

import numpy as np
from PIL import Image, ImageColor, ImageDraw, ImageFont

from digitlab.plots.draw import INK_SCALE, PAPER, upscale

CELL = 25  # pixels per 8x8 cell, gaps included
GAP = 1  # white line between cells
STEP = 96  # size of each of the two step images under the grid
INK = np.array(ImageColor.getrgb(INK_SCALE[-1][1]))  # the darkest cell (16 of 16): the heat maps' ink


def grid_picture(grid: np.ndarray | None, cell: int = CELL) -> np.ndarray:
    """The 8x8 input as an RGB image: each cell shaded white (0) to ink (16) with its count
    written in it (blank cells stay blank). A blank (all white) grid for None."""
    values = np.zeros((8, 8)) if grid is None else np.asarray(grid, dtype=float).reshape(8, 8)
    if values.min() < 0 or values.max() > 16:
        raise ValueError("grid values must be on the 0-16 scale")
    if np.array_equal(values, np.round(values)):  # the input's counts: put together from ready cells
        tiles = _cell_tiles(cell)[values.astype(int)]  # (8, 8, cell, cell, 3)
        big = tiles.transpose(0, 2, 1, 3, 4).reshape(8 * cell, 8 * cell, 3)
        return np.pad(big, ((0, GAP), (0, GAP), (0, 0)), constant_values=229)
    return _drawn_grid(values, cell)


@lru_cache(maxsize=4)
def _cell_tiles(cell: int) -> np.ndarray:
    """(17, cell, cell, 3): one cell of the grid picture for each count 0..16, drawn once. Writing
    64 numbers with a font on every stroke cost more than the rest of the picture."""
    tiles = np.stack([_drawn_grid(np.full((8, 8), float(v)), cell)[:cell, :cell] for v in range(17)])
    tiles.flags.writeable = False
    return tiles


def _drawn_grid(values: np.ndarray, cell: int) -> np.ndarray:
    shade = 1 - values / 16  # 1 = paper, 0 = full ink
    colours = (255 * shade[..., None] + INK * (1 - shade[..., None])).astype(np.uint8)
    big = np.kron(colours, np.ones((cell, cell, 1), np.uint8))
    big[::cell], big[:, ::cell] = 229, 229  # light grid lines between (and around) the cells
    image = Image.fromarray(np.pad(big, ((0, GAP), (0, GAP), (0, 0)), constant_values=229))
    draw, font = ImageDraw.Draw(image), ImageFont.load_default(size=max(8, cell // 2))
    for (row, col), v in np.ndenumerate(values):
        if v > 0:
            draw.text(((col + 0.5) * cell + GAP, (row + 0.5) * cell + GAP), f"{v:.0f}", anchor="mm", font=font,
                      fill=(255, 255, 255) if v > 7 else (55, 65, 81))
    return np.asarray(image)


def crop_preview(crop: np.ndarray | None, size: int = STEP) -> np.ndarray:
    """The cropped ink (0..1) on grey paper, scaled into a white size x size square, aspect kept."""
    out = np.full((size, size), 255, np.uint8)
    if crop is None:
        return out
    h, w = crop.shape
    scale = size / max(h, w)
    width, height = max(1, round(w * scale)), max(1, round(h * scale))
    img = Image.fromarray((PAPER - crop * PAPER).astype(np.uint8)).resize((width, height), Image.Resampling.BOX)
    top, left = (size - height) // 2, (size - width) // 2
    out[top : top + height, left : left + width] = np.asarray(img)
    return out


def what_the_network_sees(crop: np.ndarray | None, bitmap: np.ndarray | None, grid: np.ndarray | None) -> np.ndarray:
    """One RGB picture: the 8x8 input on top; under it the two steps that made it (your ink,
    cropped; then fitted into the dataset's 32x32 box). Blank where there is no drawing yet."""
    top = grid_picture(grid)
    blank = np.full((STEP, STEP), 255, np.uint8)
    steps = [crop_preview(crop), np.full((STEP, 24), 255, np.uint8), blank if bitmap is None else upscale(bitmap, STEP)]
    bottom = np.repeat(np.hstack(steps)[..., None], 3, axis=2)
    width = max(top.shape[1], bottom.shape[1])
    rows = []
    for part in (top, np.full((14, width, 3), 255, np.uint8), bottom):
        left = (width - part.shape[1]) // 2
        rows.append(np.pad(part, ((0, 0), (left, width - part.shape[1] - left), (0, 0)), constant_values=255))
    return np.vstack(rows)


def png_data_uri(picture: np.ndarray) -> str:
    """A uint8 grey or RGB picture as a data: URI, for pictures shown inside one HTML element."""
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
