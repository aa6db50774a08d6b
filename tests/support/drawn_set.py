"""A drawn-digit validation set: how people draw on the canvas, not how the dataset was written.

Stroke templates of each digit in several habits (open and closed 4s, crossed 7s, 1s with a flag
and a base, looped 2s, ...) get random, seeded variation - size, aspect, slant, rotation, position,
wobble, stroke width - and are rendered by digitlab.strokes.render (a round brush on a 280x280
canvas) in the canvas's three hand-overs: opaque white, transparent, light ink on dark.

The strokes are committed in drawn_digits.json; rendering them is deterministic.
Regenerate with `python -m tests.support.drawn_set`. NEVER train on this set: it measures.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from digitlab.strokes import BACKGROUNDS, CANVAS, render
from digitlab.synth import densify

PATH = Path(__file__).resolve().parents[1] / "data" / "drawn_digits.json"
PER_CLASS = 60
SEED = 20261129


def _arc(cx, cy, rx, ry, a0, a1, n=24):
    t = np.deg2rad(np.linspace(a0, a1, n))
    return [(cx + rx * np.cos(a), cy + ry * np.sin(a)) for a in t]


# Templates in a 100 (wide) x 100 (tall) box, y down; angles in degrees, 90 = down on screen.
TEMPLATES: dict[int, dict[str, list[list[tuple[float, float]]]]] = {
    0: {
        "oval": [_arc(50, 50, 32, 48, -90, 275, 40)],
        "tilted oval": [_arc(50, 50, 30, 48, -100, 265, 40)],
        "round": [_arc(50, 50, 40, 48, -80, 285, 40)],
    },
    1: {
        "stick": [[(52, 0), (48, 100)]],
        "flag": [[(30, 22), (55, 0), (52, 100)]],
        "flag and base": [[(28, 20), (52, 0), (52, 100)], [(25, 100), (78, 100)]],
    },
    2: {
        "classic": [_arc(50, 28, 32, 28, 190, 360, 16) + [(75, 45), (20, 100), (85, 100)]],
        "swan": [_arc(48, 30, 34, 30, 200, 380, 18) + [(55, 70), (18, 100), (55, 92), (88, 100)]],
        "looped": [_arc(50, 28, 32, 28, 190, 360, 16) + [(70, 55), (30, 92), (18, 100)] + _arc(28, 88, 14, 10, 100, 380, 12) + [(85, 100)]],
    },
    3: {
        "round": [_arc(45, 26, 33, 26, 200, 450, 20) + _arc(45, 74, 35, 26, 270, 520, 20)],
        "flat top": [[(18, 0), (80, 0), (45, 40)] + _arc(45, 70, 36, 30, 270, 510, 20)],
        "two strokes": [_arc(45, 26, 33, 26, 200, 440, 20), _arc(45, 74, 35, 26, 280, 520, 20)],
    },
    4: {
        "open": [[(40, 0), (12, 62), (88, 62)], [(68, 15), (68, 100)]],
        "closed": [[(68, 100), (68, 0), (10, 65), (90, 65)]],
        "open L": [[(15, 0), (15, 58), (85, 58)], [(72, 0), (72, 100)]],
    },
    5: {
        "classic": [[(80, 0), (25, 0), (20, 45)] + _arc(48, 68, 34, 32, 220, 480, 20)],
        "bar last": [[(24, 0), (20, 45)] + _arc(48, 68, 34, 32, 220, 480, 20), [(24, 0), (82, 0)]],
        "sharp": [[(78, 0), (22, 0), (18, 42), (60, 40), (82, 62), (78, 88), (50, 100), (15, 90)]],
    },
    6: {
        "classic": [[(72, 0), (40, 20), (20, 55)] + _arc(50, 72, 30, 28, 180, 540, 26)],
        "straight back": [[(62, 0), (22, 62)] + _arc(50, 72, 30, 28, 180, 540, 26)],
        "round": [_arc(60, 40, 38, 40, -80, -180, 10) + _arc(50, 72, 32, 28, 180, 540, 26)],
    },
    7: {
        "plain": [[(15, 0), (85, 0), (40, 100)]],
        "crossed": [[(15, 0), (85, 0), (40, 100)], [(35, 52), (80, 52)]],
        "curved stem": [[(15, 5), (85, 0), (60, 45), (48, 75), (45, 100)]],
    },
    8: {
        "figure eight": [_arc(50, 25, 28, 25, 90, -270, 24) + _arc(50, 75, 33, 25, -90, 270, 24)],
        "two loops": [_arc(50, 26, 28, 26, 0, 360, 22), _arc(50, 74, 33, 26, 0, 360, 22)],
        "snowman": [_arc(50, 28, 24, 28, 90, -270, 22) + _arc(50, 74, 35, 26, -90, 270, 22)],
    },
    9: {
        "straight stem": [_arc(50, 30, 32, 30, 0, 370, 26) + [(82, 30), (78, 100)]],
        "curved stem": [_arc(50, 30, 32, 30, 0, 370, 26) + [(82, 30), (78, 75), (62, 100), (35, 98)]],
        "g-like": [_arc(48, 28, 30, 28, 10, 370, 26) + [(78, 35), (60, 100)]],
    },
}


def _vary(strokes, rng: np.random.Generator) -> tuple[list[list[tuple[int, int]]], float]:
    height = rng.uniform(110, 230)
    width = height * rng.uniform(0.55, 0.95)
    slant, angle = rng.uniform(-0.35, 0.3), np.deg2rad(rng.uniform(-10, 10))
    wobble = height * rng.uniform(0.0, 0.035)
    phase = rng.uniform(0, 2 * np.pi, 4)
    out = []
    for stroke in strokes:
        p = densify(np.asarray(stroke, float), step=3.0) / 100.0 - 0.5  # centred unit box
        p = p * [width, height]
        p[:, 0] -= slant * p[:, 1]  # forward slant leans the top right
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        p = p @ rot.T
        t = np.linspace(0, 1, len(p))  # a slow, smooth hand wobble
        p += wobble * np.stack([np.sin(5 * t + phase[0]) + 0.5 * np.sin(11 * t + phase[1]),
                                np.sin(4 * t + phase[2]) + 0.5 * np.sin(9 * t + phase[3])], axis=1)
        out.append(p)
    allp = np.concatenate(out)
    brush = rng.uniform(10, 30)
    margin = brush / 2 + 4
    lo, hi = allp.min(0), allp.max(0)
    span = hi - lo
    offset = [rng.uniform(margin - lo[i], max(margin - lo[i], CANVAS - margin - hi[i])) if span[i] < CANVAS - 2 * margin
              else CANVAS / 2 - (lo[i] + hi[i]) / 2 for i in range(2)]
    return [[(int(round(x + offset[0])), int(round(y + offset[1]))) for x, y in s] for s in out], round(float(brush), 1)


def generate(per_class: int = PER_CLASS, seed: int = SEED) -> list[dict]:
    rng = np.random.default_rng(seed)
    items = []
    for digit, styles in TEMPLATES.items():
        names = sorted(styles)
        for i in range(per_class):
            style = names[i % len(names)]
            strokes, brush = _vary(styles[style], rng)
            items.append({"label": digit, "style": style, "width": brush,
                          "background": BACKGROUNDS[(i // len(names)) % len(BACKGROUNDS)], "strokes": strokes})
    return items


@lru_cache(maxsize=1)
def load() -> tuple[dict, ...]:
    return tuple(json.loads(PATH.read_text()))


def images(items=None):
    """Yield (rgba image, label, item) for each drawing, rendered as the canvas would."""
    for item in items or load():
        yield render(item["strokes"], width=item["width"], background=item["background"]), item["label"], item


if __name__ == "__main__":
    data = generate()
    PATH.write_text(json.dumps(data, separators=(",", ":")))
    print(f"wrote {len(data)} drawings to {PATH}")
