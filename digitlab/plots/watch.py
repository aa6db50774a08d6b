"""Figures for "watch it learn your digit" on the Train page: one drawing's ten probabilities as
bars (the epoch just shown) and as a line per digit over the epochs of a run. Both are built once
per run and updated in place at every poll (set_watch), like the training curves."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from digitlab.plots.draw import MUTED

# One colour per digit, the same in the bars and the lines: D3's ten hues, with its grey (which
# would read as "inactive" next to the Draw page's muted bars) swapped for a dark slate.
DIGIT_COLOURS = ["#1F77B4", "#FF7F0E", "#2CA02C", "#D62728", "#9467BD", "#8C564B", "#E377C2", "#2F3E46",
                 "#BCBD22", "#17BECF"]
MAX_POINTS = 200  # per digit's line: a 2000-epoch run is thinned, so a poll re-sends a few KB at most


def watch_bars(height: int = 300) -> go.Figure:
    """Ten empty bars on a fixed 0-1 axis, each in its digit's colour (filled by set_watch)."""
    fig = go.Figure(go.Bar(
        x=[str(d) for d in range(10)], y=np.zeros(10), marker_color=DIGIT_COLOURS, text=[""] * 10,
        textposition="outside", cliponaxis=False, hovertemplate="digit %{x}: %{y:.1%}<extra></extra>",
    ))
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=34, b=10), showlegend=False, bargap=0.25,
        title=dict(text="before the first epoch", font=dict(size=14), x=0.5, xanchor="center", y=0.98),
        yaxis=dict(range=[0, 1.12], tickformat=".0%", tickvals=[0, 0.25, 0.5, 0.75, 1.0], fixedrange=True),
        xaxis=dict(type="category", title="digit", fixedrange=True),
    )
    return fig


def watch_lines(epochs: int | None, height: int = 300) -> go.Figure:
    """One line per digit, its probability (0-1) after each epoch; x fixed to the whole run ahead."""
    fig = go.Figure()
    for digit, colour in enumerate(DIGIT_COLOURS):
        fig.add_trace(go.Scatter(
            x=[], y=[], mode="lines", name=str(digit), line=dict(color=colour, width=2),
            hovertemplate=f"digit {digit}: %{{y:.1%}}<extra>epoch %{{x}}</extra>",
        ))
    fig.add_trace(go.Scatter(  # each line's digit written at its end, so no legend needs reading
        x=[], y=[], mode="text", text=[], textposition="middle right", meta="labels", showlegend=False,
        hoverinfo="skip", cliponaxis=False, textfont=dict(size=13),
    ))
    fig.update_layout(
        height=height, margin=dict(l=10, r=30, t=34, b=10), showlegend=False, uirevision="watch",
        title=dict(text="each digit's probability after every epoch", font=dict(size=14), x=0.5,
                   xanchor="center", y=0.98),
        xaxis=dict(title="epoch", range=[0.5, epochs + 0.5] if epochs else None, fixedrange=True),
        yaxis=dict(range=[0, 1.02], tickformat=".0%", tickvals=[0, 0.25, 0.5, 0.75, 1.0], fixedrange=True),
    )
    return fig


def _thin(n: int) -> np.ndarray:
    """Indices of at most MAX_POINTS evenly spaced items of n, always both ends."""
    return np.unique(np.linspace(0, n - 1, min(n, MAX_POINTS)).round().astype(int)) if n else np.zeros(0, int)


def set_watch(bars: go.Figure, lines: go.Figure, probs: Sequence[Sequence[float]],
              epochs: Sequence[int]) -> tuple[go.Figure, go.Figure]:
    """Put a run's per-epoch probabilities (one row of ten per epoch, epoch numbers in `epochs`)
    into both figures, in place: the bars show the last row, the lines every row (thinned)."""
    rows = np.asarray(probs, dtype=float).reshape(-1, 10)
    x = np.asarray(epochs, dtype=int)
    keep = _thin(len(rows))
    with lines.batch_update():
        for digit in range(10):
            trace = lines.data[digit]
            trace.x, trace.y = x[keep], rows[keep, digit]
            trace.mode = "lines+markers" if len(keep) == 1 else "lines"
        labels = lines.data[10]
        if len(rows):  # the three likeliest digits named at the right end of their lines
            top = np.argsort(-rows[-1])[:3]
            labels.x, labels.y = [x[-1]] * len(top), rows[-1, top]
            labels.text = [f" {d}" for d in top]
            labels.textfont.color = [DIGIT_COLOURS[d] for d in top]
        else:
            labels.x, labels.y, labels.text = [], [], []
    last = rows[-1] if len(rows) else np.zeros(10)
    with bars.batch_update():
        bars.data[0].y = last
        bars.data[0].text = [f"{p:.0%}" if p >= 0.005 else "" for p in last]
        bars.data[0].marker.color = DIGIT_COLOURS if len(rows) else [MUTED] * 10
        best = int(last.argmax())
        bars.layout.title.text = (f"after epoch {x[-1]}: most likely a <b>{best}</b> ({last[best]:.0%})"
                                  if len(rows) else "before the first epoch")
    return bars, lines
