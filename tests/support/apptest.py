"""AppTest helpers: what the drawable canvas hands the Draw page, and a Train page run to its end."""
from __future__ import annotations

from typing import Sequence

Point = tuple[float, float]


def canvas_value(strokes: Sequence[Sequence[Point]], width: float = 20) -> dict:
    """The component value streamlit-drawable-canvas sends after a stroke, without its PNG (the
    Draw page doesn't ask for one): the strokes as its fabric.js pencil records them."""
    return {"drawing": {"raw": pencil_drawing(strokes, width), "data": None}, "backgroundFit": None}


def pencil_drawing(strokes: Sequence[Sequence[Point]], width: float = 20) -> dict:
    """Strokes (lists of (x, y) pointer samples in canvas pixels) as fabric.js's pencil turns them
    into the canvas's json_data: a Path per stroke, quadratic curves through the midpoints of the
    samples (fabric's convertPointsToSVGPath), placed at the centre of its box as fabric does."""
    objects = []
    for stroke in strokes:
        points = [(float(x), float(y)) for x, y in stroke] * (2 if len(stroke) == 1 else 1)  # a dot: two samples
        path = [["M", *points[0]]]
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            if (x0, y0) != (x1, y1):
                path.append(["Q", x0, y0, (x0 + x1) / 2, (y0 + y1) / 2])
        path.append(["L", *points[-1]])
        (left, top), (right, bottom) = _box(path)
        objects.append({"type": "Path", "originX": "center", "originY": "center", "left": (left + right) / 2,
                        "top": (top + bottom) / 2, "stroke": "#000000", "strokeWidth": width,
                        "strokeLineCap": "round", "strokeLineJoin": "round", "scaleX": 1, "scaleY": 1, "angle": 0,
                        "path": path})
    return {"version": "7.4.0", "objects": objects, "background": "#FFFFFF"}


def until_evaluated(at):
    """Rerun until the Train page shows the evaluation: after a run ends, the curves first show its
    remaining epochs arrive, a few per poll (each AppTest run is one poll), then the results."""
    for _ in range(12):
        at.run()
        if any(m.label == "Test accuracy" for m in at.metric):
            break
    return at


def _box(path: list) -> tuple[Point, Point]:
    """A pencil path's box as fabric measures it: its points and each curve's extremes (where the
    curve's derivative is 0 in x or in y)."""
    x, y = path[0][1:3]
    xs, ys = [x], [y]
    for cmd in path[1:]:
        if cmd[0] == "Q":
            cx, cy, x1, y1 = cmd[1:]
            for t in _turns(x, cx, x1) + _turns(y, cy, y1):
                xs.append((1 - t) ** 2 * x + 2 * (1 - t) * t * cx + t * t * x1)
                ys.append((1 - t) ** 2 * y + 2 * (1 - t) * t * cy + t * t * y1)
        x, y = cmd[-2:]
        xs.append(x), ys.append(y)
    return (min(xs), min(ys)), (max(xs), max(ys))


def _turns(a: float, c: float, b: float) -> list[float]:
    d = a - 2 * c + b
    return [(a - c) / d] if d != 0 and 0 < (a - c) / d < 1 else []
