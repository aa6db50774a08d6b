"""Render stroke paths the way the browser canvas does: a round brush on a 280x280 canvas.

The pen-stroke hands of the training data (synth.py) are drawn with it, and so are the tests' and
benchmarks' drawings. The canvas's own strokes are drawn by canvas_drawing.py (fabric.js's curves,
without this 4x supersampling, fast enough for every stroke); both go through preprocess().
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from PIL import Image, ImageDraw

CANVAS = 280
Stroke = Sequence[tuple[float, float]]
BACKGROUNDS = ("white", "transparent", "dark")


def render(strokes: Sequence[Stroke], width: float = 20, size: int = CANVAS, background: str = "white") -> np.ndarray:
    """Strokes (lists of (x, y) points in canvas pixels) -> an RGBA uint8 (size, size, 4) image.

    background "white": black ink on opaque white (the app's canvas); "transparent": black ink on
    a fully transparent canvas; "dark": light ink on an opaque dark canvas.
    """
    if background not in BACKGROUNDS:
        raise ValueError(f"background must be one of {BACKGROUNDS}, got {background!r}")
    ink, paper = {"white": ((0, 0, 0, 255), (255, 255, 255, 255)),
                  "transparent": ((0, 0, 0, 255), (0, 0, 0, 0)),
                  "dark": ((235, 235, 235, 255), (20, 24, 32, 255))}[background]
    # Draw at 4x and downsample: antialiased edges like the browser's.
    scale = 4
    img = Image.new("RGBA", (size * scale, size * scale), paper)
    draw = ImageDraw.Draw(img)
    r = width * scale / 2
    for stroke in strokes:
        pts = [(x * scale, y * scale) for x, y in stroke]
        if len(pts) > 1:
            draw.line(pts, fill=ink, width=int(round(width * scale)))
        for x, y in pts:  # round caps and joins
            draw.ellipse((x - r, y - r, x + r, y + r), fill=ink)
    return np.asarray(img.resize((size, size), Image.Resampling.BOX))


def arc(cx: float, cy: float, rx: float, ry: float, start_deg: float, end_deg: float, n: int = 40) -> list[tuple[float, float]]:
    """Points along an elliptic arc (angles in degrees, 0 = right, 90 = down as on screen)."""
    t = np.deg2rad(np.linspace(start_deg, end_deg, n))
    return [(float(cx + rx * np.cos(a)), float(cy + ry * np.sin(a))) for a in t]
