"""Synthetic handwriting for training: font digits and stroke drawings, varied the way hands vary.

Both go through digitlab.preprocess, the same path as a drawing on the canvas, so the model
learns from exactly the kind of 8x8 input it is shown in the app.

  * font_images: a font's digit shape, thickened or thinned, then scaled, stretched, slanted,
    rotated, wobbled (a smooth random displacement field) and placed on a canvas;
  * stroke_drawings: pen paths of the allographs people use and the dataset's 43 writers rarely
    did (open 4, straight-stem 9, plain and curled-top 7, looped 2, small- or open-loop 6,
    flagged 1), rendered with a round brush as the canvas does.
"""
from __future__ import annotations

import threading

import numpy as np
from PIL import Image
from scipy import ndimage

from digitlab.preprocess import preprocess
from digitlab.strokes import BACKGROUNDS, arc, render

CANVAS = 280


class Interrupted(Exception):
    """Rendering stopped (a Stop press, a job's time budget) before the set was complete."""


def _check(stop) -> None:
    if stop is not None and stop.is_set():
        raise Interrupted("while rendering the synthetic training digits, before the first epoch: nothing was "
                          "trained. Ask for fewer font renderings or pen drawings.")


def font_image(shape: np.ndarray, rng: np.random.Generator, canvas: int = CANVAS) -> np.ndarray:
    """One random rendering of a (S, S) bool digit shape as a (canvas, canvas) float ink map 0..1."""
    s = shape.shape[0]
    signed = ndimage.distance_transform_edt(~shape) - ndimage.distance_transform_edt(shape)
    ink = np.clip(rng.uniform(-1.5, 3.5) - signed + 0.5, 0, 1)  # grow/shrink strokes by up to a few px
    height = rng.uniform(0.4, 0.8) * canvas
    scale = height / (s - 8)
    sx, sy = scale * rng.uniform(0.8, 1.2), scale
    shear, angle = rng.uniform(-0.35, 0.35), np.deg2rad(rng.uniform(-12, 12))
    # Output pixel -> source pixel: undo placement, rotation, shear and scale (in that order).
    yy, xx = np.mgrid[0:canvas, 0:canvas].astype(np.float32)
    margin = min(0.6 * max(height, sx * s), canvas / 2)  # room for the digit's slanted, rotated extent
    cx, cy = rng.uniform(margin, canvas - margin), rng.uniform(margin, canvas - margin)
    x, y = xx - cx, yy - cy
    c, si = np.cos(angle), np.sin(angle)
    x, y = c * x + si * y, -si * x + c * y
    x = x + shear * y
    x, y = x / sx + s / 2, y / sy + s / 2
    wobble = rng.uniform(0, 2.5)  # source pixels
    for axis, coarse in zip((x, y), rng.normal(0, 1, (2, 4, 4)).astype(np.float32)):
        axis += wobble * np.asarray(Image.fromarray(coarse, mode="F").resize((canvas, canvas), Image.Resampling.BICUBIC))
    return ndimage.map_coordinates(ink, [y, x], order=1, cval=0.0).astype(np.float32)


def as_canvas(ink: np.ndarray, background: str) -> np.ndarray:
    """A float ink map -> the RGBA image the canvas would hand over with that background."""
    a = (np.clip(ink, 0, 1) * 255).round().astype(np.uint8)
    out = np.empty(ink.shape + (4,), np.uint8)
    if background == "white":
        out[..., :3], out[..., 3] = (255 - a)[..., None], 255
    elif background == "transparent":
        out[..., :3], out[..., 3] = 0, a
    else:  # light ink on a dark canvas
        out[..., :3] = (20 + (215 * (a / 255.0))).astype(np.uint8)[..., None]
        out[..., 3] = 255
    return out


def font_features(shapes: np.ndarray, renders: int, seed: int, stop=None) -> tuple[np.ndarray, np.ndarray]:
    """`renders` random renderings of every shape -> (N, 64) float32 0-16 inputs and the shape index.
    `stop` (anything with is_set()) ends it early with Interrupted."""
    rng = np.random.default_rng(seed)
    xs, idx = [], []
    for i, shape in enumerate(shapes):
        _check(stop)
        for _ in range(renders):
            pre = preprocess(font_image(shape, rng, canvas=140))
            if not pre.empty:
                xs.append(pre.features)
                idx.append(i)
    return np.stack(xs), np.array(idx, np.int64)


# Pen paths in a 100 x 100 box (y down). Several hands per digit; the weak allographs get the most.
def _templates() -> dict[int, list[list[list[tuple[float, float]]]]]:
    return {
        0: [[arc(50, 50, 34, 48, -95, 270)], [arc(50, 50, 44, 48, -70, 290)]],
        1: [[[(50, 0), (50, 100)]], [[(32, 24), (56, 0), (54, 100)]], [[(30, 22), (54, 0), (54, 100)], [(28, 100), (80, 100)]],
            [[(40, 10), (56, 0), (46, 100)]]],
        2: [[arc(50, 30, 34, 30, 200, 360, 16) + [(78, 45), (18, 100), (86, 100)]],
            [arc(50, 30, 34, 30, 195, 365, 16) + [(70, 58), (28, 92)] + arc(26, 88, 12, 10, 0, -300, 14) + [(86, 98)]],
            [[(20, 10), (50, 0), (80, 12), (80, 35), (18, 100), (85, 98)]]],
        3: [[arc(46, 26, 32, 26, 200, 450, 18) + arc(46, 74, 36, 26, 270, 520, 20)],
            [[(20, 0), (80, 0), (46, 40)] + arc(46, 70, 36, 30, 270, 510, 20)]],
        4: [[[(42, 0), (10, 62), (90, 62)], [(70, 20), (70, 100)]],
            [[(18, 0), (16, 56), (88, 56)], [(72, 0), (72, 100)]],
            [[(25, 0), (14, 60), (86, 58)], [(66, 8), (62, 100)]],
            [[(16, 0), (16, 55), (84, 55), (84, 0)], [(84, 55), (84, 100)]],
            [[(70, 100), (70, 0), (10, 66), (90, 66)]]],
        5: [[[(82, 0), (26, 0), (22, 44)] + arc(50, 68, 34, 32, 220, 485, 20)],
            [[(26, 0), (22, 44)] + arc(50, 68, 34, 32, 220, 485, 20), [(26, 0), (84, 0)]]],
        6: [[[(70, 0), (38, 22), (20, 58)] + arc(50, 74, 30, 26, 180, 540, 24)],
            [[(64, 0), (28, 50), (22, 78)] + arc(44, 84, 22, 16, 180, 500, 20)],
            [[(70, 0), (36, 30), (22, 70)] + arc(48, 76, 28, 24, 180, 470, 20)]],
        7: [[[(14, 0), (86, 0), (40, 100)]],
            [[(12, 14), (18, 4), (30, 8), (50, 12), (86, 0), (44, 100)]],
            [[(14, 4), (86, 0), (58, 48), (46, 100)]],
            [[(14, 0), (86, 0), (42, 100)], [(30, 52), (78, 52)]]],
        8: [[arc(50, 25, 28, 25, 90, -270, 24) + arc(50, 75, 34, 25, -90, 270, 24)],
            [arc(50, 26, 28, 26, 0, 360, 22), arc(50, 74, 34, 26, 0, 360, 22)]],
        9: [[arc(50, 30, 32, 30, 0, 365, 26) + [(82, 30), (80, 100)]],
            [arc(48, 28, 30, 28, 10, 370, 26) + [(78, 35), (62, 100)]],
            [arc(46, 26, 30, 26, 0, 360, 24) + [(76, 26), (76, 100)]],
            [arc(50, 30, 32, 30, 0, 365, 26) + [(82, 30), (80, 80), (60, 100), (30, 96)]]],
    }


def font_canvases(shapes: np.ndarray, renders: int, seed: int):
    """Yield (rgba canvas image, shape index, hand-over) for `renders` renderings of every shape,
    the hand-overs taken in turn: the measuring sets' way of showing fonts as the canvas would."""
    rng = np.random.default_rng(seed)
    k = 0
    for i, shape in enumerate(shapes):
        for _ in range(renders):
            background = BACKGROUNDS[k % len(BACKGROUNDS)]
            k += 1
            yield as_canvas(font_image(shape, rng), background), i, background


def _vary(stroke_set, rng: np.random.Generator, canvas: int) -> tuple[list, float]:
    height = rng.uniform(0.4, 0.8) * canvas
    width = height * rng.uniform(0.5, 1.0)
    slant, angle = rng.uniform(-0.35, 0.3), np.deg2rad(rng.uniform(-10, 10))
    wobble = height * rng.uniform(0.0, 0.04)
    phase = rng.uniform(0, 2 * np.pi, 4)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    out = []
    for stroke in stroke_set:
        p = (np.asarray(stroke, float) / 100.0 - 0.5) * [width, height]
        p = densify(p)
        p[:, 0] -= slant * p[:, 1]
        p = p @ rot.T + rng.normal(0, height * 0.02, 2)  # strokes never meet exactly
        t = np.linspace(0, 1, len(p))
        p += wobble * np.stack([np.sin(5 * t + phase[0]), np.sin(4 * t + phase[1])], axis=1)
        out.append(p)
    allp = np.concatenate(out)
    brush = rng.uniform(0.04, 0.11) * canvas
    lo, hi = allp.min(0), allp.max(0)
    free = np.maximum(canvas - (hi - lo) - brush - 8, 0)
    shift = brush / 2 + 4 - lo + rng.uniform(0, 1, 2) * free
    return [[tuple(q) for q in s + shift] for s in out], brush


def densify(p: np.ndarray, step: float = 2.0) -> np.ndarray:
    """Points along a polyline, no two neighbours more than `step` apart (so a wobble bends it smoothly)."""
    out = [p[0]]
    for a, b in zip(p[:-1], p[1:]):
        n = max(1, int(np.ceil(np.linalg.norm(b - a) / step)))
        out += [a + (b - a) * k / n for k in range(1, n + 1)]
    return np.array(out)


def stroke_features(per_template: int, seed: int, stop=None) -> tuple[np.ndarray, np.ndarray]:
    """`per_template` random drawings of every template -> (N, 64) float32 0-16 inputs and labels."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for digit, hands in _templates().items():
        for hand in hands:
            _check(stop)
            for _ in range(per_template):
                strokes, brush = _vary(hand, rng, 112)
                pre = preprocess(render(strokes, width=brush, size=112, background=BACKGROUNDS[0]))
                if not pre.empty:
                    xs.append(pre.features)
                    ys.append(digit)
    return np.stack(xs), np.array(ys, np.int64)


# The last two sets made, by (font_renders, stroke_renders, seed): sweep trials ask for the same one
# again and again. A set stopped half-way is not kept.
_made: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
_made_lock = threading.Lock()


def training_set(font_renders: int, stroke_renders: int, seed: int = 0, stop=None) -> tuple[np.ndarray, np.ndarray]:
    """The synthetic part of a training split: the training fonts' digits and the stroke hands.
    Tens of thousands of renderings take minutes, so `stop` is checked between shapes (Interrupted)."""
    from digitlab.fonts import load_shapes

    key = (font_renders, stroke_renders, seed)
    with _made_lock:
        if key in _made:
            return _made[key]
    parts_x, parts_y = [np.zeros((0, 64), np.float32)], [np.zeros(0, np.int64)]
    if font_renders:
        shapes, labels, _ = load_shapes()
        x, idx = font_features(shapes, font_renders, seed, stop)
        parts_x.append(x)
        parts_y.append(labels[idx])
    if stroke_renders:
        x, y = stroke_features(stroke_renders, seed + 1, stop)
        parts_x.append(x)
        parts_y.append(y)
    made = np.concatenate(parts_x), np.concatenate(parts_y)
    with _made_lock:
        _made[key] = made
        while len(_made) > 2:
            _made.pop(next(iter(_made)))
    return made
