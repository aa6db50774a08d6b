"""Figures for the Draw page: the probability bars and the 8x8 input heat map."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from digitlab.plots.unvalidated import figure

ACCENT = "#E4572E"  # the winning class
MUTED = "#9AA5B1"
INK_SCALE = [[0.0, "#FFFFFF"], [1.0, "#111827"]]  # 0 = paper, 16 = full ink
PAPER = 236  # grey level of empty pixels in image previews: light grey, so the box's edge shows


def probability_bars(probs: np.ndarray, height: int = 260) -> go.Figure:
    """Ten softmax probabilities as bars on a fixed 0-1 axis, the winner highlighted."""
    probs = np.asarray(probs, dtype=float).reshape(10)
    winner = int(probs.argmax())
    colours = [ACCENT if d == winner else MUTED for d in range(10)]
    fig = go.Figure(
        go.Bar(
            x=[str(d) for d in range(10)],
            y=probs,
            marker_color=colours,
            text=[f"{p:.0%}" if p >= 0.005 else "" for p in probs],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="digit %{x}: %{y:.1%}<extra></extra>",
        )
    )
    fig.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=10, b=10),
        yaxis=dict(range=[0, 1.12], tickformat=".0%", tickvals=[0, 0.25, 0.5, 0.75, 1.0], fixedrange=True),
        xaxis=dict(type="category", title=None, fixedrange=True),
        showlegend=False,
        bargap=0.25,
    )
    return fig


def input_heatmap(grid: np.ndarray, height: int = 240, title: str | None = None, outline: int | None = None) -> dict:
    """The 8x8 model input, each cell a square shaded by its 0-16 value (shown on hover); the cell
    numbered `outline` (row * 8 + column) framed in the accent colour."""
    grid = np.asarray(grid).reshape(8, 8)
    heat = dict(type="heatmap", z=grid, zmin=0, zmax=16, colorscale=INK_SCALE, showscale=False, xgap=1, ygap=1,
                hovertemplate="row %{y}, column %{x}: %{z} of 16<extra></extra>")
    layout = dict(
        height=height,
        margin=dict(l=0, r=0, t=24 if title else 0, b=0),
        xaxis=dict(visible=False, fixedrange=True, constrain="domain"),
        yaxis=dict(visible=False, autorange="reversed", scaleanchor="x", fixedrange=True, constrain="domain"),
        plot_bgcolor="#E5E7EB",
    )
    if title:
        layout["title"] = dict(text=title, font=dict(size=13), x=0.5)
    if outline is not None:
        r, c = divmod(outline, 8)
        layout["shapes"] = [dict(type="rect", x0=c - 0.5, x1=c + 0.5, y0=r - 0.5, y1=r + 0.5, line=dict(color=ACCENT, width=3))]
    return figure([heat], layout)  # built per stroke (the what-if probe): unvalidated, see plots/unvalidated.py


def upscale(image: np.ndarray, size: int) -> np.ndarray:
    """Nearest-neighbour upscaling of a small 0..1 (or 0..16) image to about `size` pixels, as
    uint8 grey with ink dark on light-grey paper, so every source pixel stays a crisp square."""
    image = np.asarray(image, dtype=float)
    top = image.max() if image.max() > 1 else 1.0
    factor = max(1, size // max(image.shape))
    big = np.kron(image / top, np.ones((factor, factor)))
    return (PAPER - big * PAPER).astype(np.uint8)


def set_probabilities(spec: dict, probs: np.ndarray) -> dict:
    """A probability_bars figure's spec (fig.to_plotly_json()) showing `probs`: a new spec that
    shares the layout. Per stroke this is far cheaper than updating the go.Figure and copying it
    out again (plotly deep-copies a whole figure, its default template included, on the way out)."""
    probs = np.asarray(probs, dtype=float).reshape(10)
    winner = int(probs.argmax()) if probs.any() else None  # all zero (blank canvas): no winner
    bar = spec["data"][0]
    colours = [ACCENT if d == winner else MUTED for d in range(10)]
    bar = {**bar, "y": probs, "marker": {**bar.get("marker", {}), "color": colours},
           "text": [f"{p:.0%}" if p >= 0.005 else "" for p in probs]}
    return {**spec, "data": [bar]}
