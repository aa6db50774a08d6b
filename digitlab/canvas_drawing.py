"""The canvas's own record of a drawing -> the picture it shows, drawn on the server.

st_canvas sends its drawing as fabric.js JSON (`json_data`): one Path per stroke, with the brush
width and the object's transform. Drawing those paths here, instead of asking the browser for a
PNG of the canvas (`return_image_data`), spares the browser a PNG encode and the server a PNG
decode on every stroke, both on the way to the prediction. The picture then goes through
preprocess() like any other image.

fabric's pencil stores a stroke as quadratic curves through the midpoints of the pointer's
samples; they are drawn here as a round-capped, round-joined polyline of those curves. The JSON
comes from the browser, so it is checked: anything that is not a canvas drawing is a ValueError
with a readable message, and its size is capped.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from digitlab.preprocess import Preprocessed, preprocess

MAX_OBJECTS = 2_000  # strokes on one canvas
MAX_COMMANDS = 200_000  # path commands, all strokes together
MAX_COORD = 1e6  # canvas pixels; far outside any canvas
MAX_WIDTH = 1_000.0
FLATNESS = 0.25  # px: a curve is split until its chords stray no further than this from it
STROKE_TYPES = ("Path", "path")  # fabric 6+ and fabric 5 spell the freehand stroke's type differently


def preprocessed(drawing: Any, size: int) -> Preprocessed | None:
    """A canvas drawing (json_data) of a size x size canvas through the one preprocessing; None
    when nothing is drawn, ValueError for what is not a drawing."""
    image = picture(drawing, size)
    return preprocess(image) if image is not None else None


def picture(drawing: Any, size: int) -> np.ndarray | None:
    """A canvas drawing (json_data) -> (size, size) uint8 grey, black ink on white, as the canvas
    shows it; None when nothing is drawn."""
    strokes = canvas_strokes(drawing)
    if not strokes:
        return None
    img = Image.new("L", (size, size), 255)
    pen = ImageDraw.Draw(img)
    for points, width in strokes:
        r = width / 2
        xy = [tuple(p) for p in points.tolist()]
        if len(xy) > 1:
            pen.line(xy, fill=0, width=max(1, round(width)), joint="curve")
        for x, y in (xy[0], xy[-1]):  # round caps
            pen.ellipse((x - r, y - r, x + r, y + r), fill=0)
    return np.asarray(img)


def canvas_strokes(drawing: Any) -> list[tuple[np.ndarray, float]]:
    """Every visible stroke as (points (n, 2) in canvas pixels, brush width in canvas pixels);
    none for None (a canvas that has sent nothing yet)."""
    if drawing is None:
        return []
    if not isinstance(drawing, dict) or not isinstance(drawing.get("objects", []), list):
        raise ValueError("the canvas sent something that is not a drawing")
    objects = drawing.get("objects", [])
    if len(objects) > MAX_OBJECTS:
        raise ValueError(f"too many strokes ({len(objects)}, at most {MAX_OBJECTS})")
    budget, strokes = MAX_COMMANDS, []
    for obj in objects:
        if not isinstance(obj, dict) or obj.get("type") not in STROKE_TYPES:
            kind = obj.get("type") if isinstance(obj, dict) else type(obj).__name__
            raise ValueError(f"only freehand strokes can be read, and the canvas holds a {kind!r}")
        if obj.get("visible", True) is False:
            continue
        path = obj.get("path")
        if not isinstance(path, list) or not path:
            raise ValueError("a stroke without a path")
        budget -= len(path)
        if budget < 0:
            raise ValueError(f"the drawing is too long (over {MAX_COMMANDS:,} path commands)")
        width = _number(obj.get("strokeWidth", 1), "strokeWidth")
        if not 0 < width <= MAX_WIDTH:
            raise ValueError(f"a brush width of {width:g} px")
        points, box = _polyline(path)
        matrix, scale = _transform(obj, box, width)
        strokes.append((points @ matrix[:, :2].T + matrix[:, 2], width * scale))
    return strokes


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or abs(value) > MAX_COORD:
        raise ValueError(f"a stroke's {what} is not a usable number: {value!r}")
    return float(value)


def _polyline(path: list) -> tuple[np.ndarray, np.ndarray]:
    """fabric path commands (M, L, Q) -> points along them, in the path's own coordinates, and the
    path's box as [[left, top], [right, bottom]], curves' extremes included as fabric measures it."""
    points: list[tuple[float, float]] = []
    extremes: list[tuple[float, float]] = []
    for cmd in path:
        if not isinstance(cmd, list) or not cmd or cmd[0] not in ("M", "L", "Q") \
                or len(cmd) != (5 if cmd[0] == "Q" else 3):
            raise ValueError(f"a stroke's path has a command the canvas's pencil doesn't make: {str(cmd)[:40]}")
        xy = [_number(v, "coordinate") for v in cmd[1:]]
        if cmd[0] == "Q" and points:
            (x0, y0), (cx, cy, x1, y1) = points[-1], xy
            bulge = math.hypot(cx - (x0 + x1) / 2, cy - (y0 + y1) / 2) / 2  # the curve's distance from its chord
            n = max(1, math.ceil(math.sqrt(bulge / FLATNESS)))
            curve = lambda t: ((1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t * t * x1,  # noqa: E731
                               (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t * t * y1)
            points.extend(curve(i / n) for i in range(1, n + 1))
            extremes.extend(curve(t) for t in _turning_points(x0, y0, cx, cy, x1, y1))
        else:
            points.append((xy[-2], xy[-1]))
    line = np.array(points, dtype=np.float64)
    box = np.vstack([line, np.array(extremes).reshape(-1, 2)])
    return line, np.array([box.min(axis=0), box.max(axis=0)])


def _turning_points(x0: float, y0: float, cx: float, cy: float, x1: float, y1: float) -> list[float]:
    """Where a quadratic curve turns back in x or in y (0 < t < 1): its box's extremes."""
    turns = []
    for a, c, b in ((x0, cx, x1), (y0, cy, y1)):
        if (d := a - 2 * c + b) != 0 and 0 < (t := (a - c) / d) < 1:
            turns.append(t)
    return turns


def _transform(obj: dict, box: np.ndarray, width: float) -> tuple[np.ndarray, float]:
    """The object's transform as a 2x3 matrix from path to canvas coordinates, and how much it
    scales the brush. fabric draws a path about the centre of its box (its pathOffset), then
    translates, rotates, scales (with flips) and skews; a stroke nobody moved maps to itself."""
    def get(key: str, default: float) -> float:
        return _number(obj.get(key, default), key)

    offset = box.mean(axis=0)
    sx = get("scaleX", 1) * (-1 if obj.get("flipX") is True else 1)
    sy = get("scaleY", 1) * (-1 if obj.get("flipY") is True else 1)
    angle, kx, ky = math.radians(get("angle", 0)), math.tan(math.radians(get("skewX", 0))), \
        math.tan(math.radians(get("skewY", 0)))
    cos, sin = math.cos(angle), math.sin(angle)
    linear = np.array([[cos, -sin], [sin, cos]]) @ np.diag([sx, sy]) @ np.array([[1, kx], [0, 1]]) \
        @ np.array([[1, 0], [ky, 1]])
    centre = np.array([get("left", offset[0]), get("top", offset[1])])
    origin = np.array([_ORIGIN.get(obj.get("originX", "center"), 0.5), _ORIGIN.get(obj.get("originY", "center"), 0.5)])
    if (origin != 0.5).any():  # left/top name another point of the box than its centre
        size = (box[1] - box[0] + width) * np.abs([sx, sy])
        centre = centre + np.array([[cos, -sin], [sin, cos]]) @ ((0.5 - origin) * size)
    matrix = np.hstack([linear, (centre - linear @ offset)[:, None]])
    return matrix, math.sqrt(abs(np.linalg.det(linear)))


_ORIGIN = {"left": 0.0, "top": 0.0, "center": 0.5, "right": 1.0, "bottom": 1.0}
