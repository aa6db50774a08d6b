"""Digits from handwriting fonts never trained on, rendered as canvas drawings: a stand-in for new writers.

Two sets, split by whole font in digitlab/assets/font_split.json before any tuning:
  * "dev"     - 10 fonts, 30 renderings of each digit: for choosing levers and fitting confidence
                (digitlab.calibrate renders the same set);
  * "heldout" - 20 fonts, 5 renderings of each digit: only ever scored, never tuned on.
Each rendering has its own random size, stretch, slant, rotation, stroke width, wobble and place on
a 280x280 canvas, and comes in one of the canvas's three hand-overs (white, transparent, dark).
Rendering is seeded, so both sets are the same on every machine.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from digitlab.calibrate import DEV_RENDERS, DEV_SEED
from digitlab.fonts import DEV_SHAPES, HELDOUT_SHAPES, load_shapes
from digitlab.preprocess import preprocess
from digitlab.synth import font_canvases

SETS = {"dev": (DEV_SHAPES, DEV_RENDERS, DEV_SEED), "heldout": (HELDOUT_SHAPES, 5, 12)}


def images(part: str):
    """Yield (rgba image, label, item) for every rendering in the set."""
    path, renders, seed = SETS[part]
    shapes, labels, fonts = load_shapes(path)
    for image, i, background in font_canvases(shapes, renders, seed):
        yield image, int(labels[i]), {"font": fonts[i], "background": background}


@lru_cache(maxsize=2)
def features(part: str) -> tuple[np.ndarray, np.ndarray, tuple[dict, ...]]:
    """The set through digitlab.preprocess: (N, 64) inputs, (N,) labels and each item's font and hand-over."""
    xs, ys, items = [], [], []
    for image, label, item in images(part):
        pre = preprocess(image)
        xs.append(pre.features if not pre.empty else np.zeros(64, np.float32))
        ys.append(label)
        items.append(item)
    return np.stack(xs), np.array(ys), tuple(items)
