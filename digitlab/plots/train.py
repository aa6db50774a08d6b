"""Figures for the Train page: loss/accuracy curves (one run live, or several overlaid) and the
confusion matrix as a heat map."""
from __future__ import annotations

import math
from dataclasses import is_dataclass
from typing import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

# Plotly's default qualitative colours: run i gets RUN_COLOURS[i % 10] in every figure.
RUN_COLOURS = ["#636EFA", "#EF553B", "#00CC96", "#AB63FA", "#FFA15A", "#19D3F3", "#FF6692", "#B6E880",
               "#FF97FF", "#FECB52"]
CONFUSION_SCALE = [[0.0, "#FFFFFF"], [1.0, "#1F4E79"]]


MAX_POINTS = 600  # per curve: a 2000-epoch run is thinned, so a redraw's size stays bounded
SMOOTHING = 0.9  # per-batch loss, TensorBoard-style: each point keeps 0.9 of the smoothed past


def _thin(n: int) -> np.ndarray:
    """Indices of at most MAX_POINTS evenly spaced items of n, always both ends."""
    return np.unique(np.linspace(0, n - 1, min(n, MAX_POINTS)).round().astype(int))


def _rows(history: Sequence) -> list[dict]:
    """EpochMetrics objects (live) or their dicts (a saved model's sidecar), thinned to MAX_POINTS
    evenly spaced epochs (always keeping the last)."""
    if len(history) > MAX_POINTS:
        history = [history[i] for i in _thin(len(history))]
    return [vars(m) if is_dataclass(m) else m for m in history]  # vars(): asdict's deep copy is slow


def batch_losses(history: Sequence) -> tuple[np.ndarray, np.ndarray]:
    """Every batch's training loss along a fractional-epoch axis (batch i of an n-batch epoch e sits at
    e - 1 + i / n, so an epoch's last batch lines up with its epoch point), exponentially smoothed
    (pandas' debiased EWM, weight SMOOTHING), then thinned to MAX_POINTS."""
    rows = [(m.epoch, m.batch_losses) for m in history if is_dataclass(m) and m.batch_losses]
    if not rows:
        return np.zeros(0), np.zeros(0)
    per_epoch = max(len(losses) for _, losses in rows)  # a stopped epoch's batches keep their places
    x = np.concatenate([epoch - 1 + np.arange(1, len(losses) + 1) / per_epoch for epoch, losses in rows])
    y = pd.Series(np.concatenate([losses for _, losses in rows])).ewm(alpha=1 - SMOOTHING).mean().to_numpy()
    keep = _thin(len(x))
    return x[keep], y[keep]


def _curves_figure(height: int, epochs: int | None, start: float = 0.5) -> go.Figure:
    """Two panels side by side, loss (x/y) and accuracy (x2/y2). Laid out by hand: make_subplots
    costs ~15 ms per call, which a live chart redrawn twice a second should not pay."""
    xrange = dict(range=[start, epochs + 0.5]) if epochs else {}
    titles = [dict(text=t, x=x, y=1.0, xref="paper", yref="paper", xanchor="center", yanchor="bottom",
                   showarrow=False, font=dict(size=14)) for t, x in (("Loss (cross-entropy)", 0.23), ("Accuracy", 0.77))]
    return go.Figure(layout=dict(
        height=height, margin=dict(l=10, r=10, t=30, b=10), uirevision="curves", hovermode="x unified",
        legend=dict(orientation="h", yanchor="top", y=-0.2, x=0), annotations=titles,
        xaxis=dict(domain=[0, 0.46], title="epoch", anchor="y", **xrange),
        xaxis2=dict(domain=[0.54, 1], title="epoch", anchor="y2", **xrange),
        yaxis=dict(anchor="x", rangemode="tozero"),
        yaxis2=dict(anchor="x2", range=[0, 1.02], tickformat=".0%"),
    ))


def _curve(label: str, colour: str, split: str, key: str) -> go.Scatter:
    return go.Scatter(
        x=[], y=[], mode="lines", name=f"{label} · {'training' if split == 'train' else 'validation'}",
        legendgroup=label, showlegend=key == "loss", line=dict(color=colour, dash="solid" if split == "train" else "dash", width=2),
        xaxis="x" if key == "loss" else "x2", yaxis="y" if key == "loss" else "y2",
        hovertemplate=f"{split} {key} %{{y:.4f}}<extra>{label}</extra>",
    )


CURVES = [(split, key) for key in ("loss", "acc") for split in ("train", "val")]  # trace order per run


def training_curves(runs: Sequence[tuple[str, Sequence]], height: int = 340, epochs: int | None = None,
                    per_batch: bool = False) -> go.Figure:
    """Loss (left) and accuracy (right) per epoch for each (label, history): training solid,
    validation dashed, one colour per run. `epochs` fixes the x range (live: the whole run ahead).
    per_batch adds the first run's smoothed per-batch training loss as a thin line (batch_losses)."""
    fig = _curves_figure(height, epochs, start=0.0 if per_batch else 0.5)  # epoch 1's batches lie in (0, 1]
    for i, (label, history) in enumerate(runs):
        for split, key in CURVES:
            fig.add_trace(_curve(label, RUN_COLOURS[i % len(RUN_COLOURS)], split, key))
    if per_batch:  # last, so the run's traces stay at 4 * run
        fig.add_trace(go.Scatter(
            x=[], y=[], mode="lines", name="training · per batch (smoothed)", meta="batches", legendgroup="batches",
            line=dict(color=RUN_COLOURS[0], width=1), opacity=0.45, xaxis="x", yaxis="y",
            hovertemplate="batch loss %{y:.4f} (smoothed)<extra></extra>",
        ))
    for i, (_, history) in enumerate(runs):
        set_history(fig, history, run=i)
    return fig


def set_history(fig: go.Figure, history: Sequence, run: int = 0) -> go.Figure:
    """Put one run's per-epoch metrics into its four traces, in place (no validation split: the
    dashed traces stay empty), and for run 0 its per-batch losses into the per_batch trace if any."""
    per_batch = bool(fig.data) and fig.data[-1].meta == "batches"
    with fig.batch_update():
        for index, props in _history_props(history, run, per_batch).items():
            fig.data[index].update(props)
    return fig


def set_history_spec(spec: dict, history: Sequence) -> dict:
    """set_history for run 0 on the figure's plain JSON (go.Figure.to_plotly_json()), in place: what
    the Train page's polls do several times a second while a run trains, in the server process
    whose lock (the GIL) that run's training thread needs too. Plotly's figure objects validate and
    deep-copy every array at every poll; this writes plain lists (NaN as None, JSON's null)."""
    data = spec["data"]
    for index, props in _history_props(history, 0, bool(data) and data[-1].get("meta") == "batches").items():
        props["x"], props["y"] = _plain(props["x"]), _plain(props["y"])
        data[index].update(props)
    return spec


def _plain(values: np.ndarray) -> list:
    return [v if math.isfinite(v) else None for v in values.tolist()]


def _history_props(history: Sequence, run: int, per_batch: bool) -> dict[int, dict]:
    """Trace index -> the values set_history gives it (x and y as float arrays)."""
    rows = _rows(history)
    x = np.array([r["epoch"] for r in rows], dtype=float)
    props = {}
    if run == 0 and per_batch:
        bx, by = batch_losses(history)
        props[-1] = {"x": np.asarray(bx, dtype=float), "y": np.asarray(by, dtype=float)}
    for offset, (split, key) in enumerate(CURVES):
        y = [r[f"{split}_{key}"] for r in rows]
        has = any(v is not None for v in y)
        props[4 * run + offset] = {"x": x if has else np.zeros(0), "y": np.array(y, dtype=float) if has else np.zeros(0),
                                   "showlegend": has and key == "loss", "mode": "lines+markers" if len(x) == 1 else "lines"}
    return props


def confusion_heatmap(confusion: np.ndarray, normalized: bool = False, height: int = 420) -> go.Figure:
    """Rows are the true digit, columns the predicted one; each cell shows its count, or with
    `normalized` the share of that true digit's examples (each row sums to 100%)."""
    counts = np.asarray(confusion)
    n = counts.shape[0]
    if normalized:
        totals = counts.sum(axis=1, keepdims=True)
        z = np.divide(counts, totals, out=np.zeros(counts.shape, float), where=totals > 0)
        text, zmax = [[f"{v:.0%}" if v else "" for v in row] for row in z], 1.0
        hover = "true %{y}, predicted %{x}: %{z:.1%} of the true %{y}s<extra></extra>"
    else:
        z = counts
        text, zmax = [[str(v) if v else "" for v in row] for row in counts], max(1, int(counts.max()))
        hover = "true %{y}, predicted %{x}: %{z} examples<extra></extra>"
    labels = [str(d) for d in range(n)]
    fig = go.Figure(go.Heatmap(z=z, x=labels, y=labels, zmin=0, zmax=zmax, colorscale=CONFUSION_SCALE, text=text,
                               texttemplate="%{text}", xgap=1, ygap=1, hovertemplate=hover,
                               colorbar=dict(thickness=12, tickformat=".0%" if normalized else "d")))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), plot_bgcolor="#E5E7EB",
                      xaxis=dict(title="predicted digit", type="category", side="top", fixedrange=True, constrain="domain"),
                      yaxis=dict(title="true digit", type="category", autorange="reversed", scaleanchor="x",
                                 fixedrange=True, constrain="domain"))
    return fig
