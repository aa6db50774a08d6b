"""Figures for "Inside the network": hidden activations, first-layer weights as 8x8 images, the
saliency map, a TF-Playground-style diagram and the what-if probe. Pure: an Inside in, a figure out.

Colours follow one rule everywhere: orange pushes up (positive), blue pushes down (negative).
"""
from __future__ import annotations

import math

import numpy as np

from digitlab.introspect import Inside, edge_contributions, top_units
from digitlab.plots.draw import ACCENT, MUTED, input_heatmap
from digitlab.plots.unvalidated import figure

POSITIVE = "#E4572E"
NEGATIVE = "#2F6FD0"
DIVERGING = [[0.0, NEGATIVE], [0.5, "#FFFFFF"], [1.0, POSITIVE]]
EDGE_BINS = 4  # edge widths are binned so the whole diagram is a handful of traces, not one per edge
_AXIS_OFF = dict(visible=False, fixedrange=True)


def _span(values: np.ndarray) -> float:
    """Half-width of a colour range centred on zero (1 when everything is zero, so it still draws)."""
    top = float(np.nanmax(np.abs(values))) if np.size(values) else 0.0
    return top if top > 0 else 1.0


def _cell(i: int) -> str:
    return f"row {i // 8}, col {i % 8}"


def activation_bars(inside: Inside, height_per_layer: int = 120) -> dict:
    """Every hidden layer's activations, one row per layer, units in index order. Drawn as bars
    made of two filled step lines per layer (orange above zero, blue below): a few paths for the
    browser instead of one SVG bar per unit (768 for the default model), redrawn every stroke."""
    n = len(inside.hidden)
    gap = 0.12 / max(n - 1, 1) if n > 1 else 0.0
    row = (1.0 - gap * (n - 1)) / n
    traces, layout, annotations = [], {}, []
    for k, values in enumerate(inside.hidden):
        suffix = "" if k == 0 else str(k + 1)
        top = 1.0 - k * (row + gap)
        for part, colour in ((np.maximum(values, 0), POSITIVE), (np.minimum(values, 0), NEGATIVE)):
            traces.append(dict(
                type="scatter", x=np.arange(len(values)), y=part, xaxis=f"x{suffix}", yaxis=f"y{suffix}", mode="lines",
                line=dict(shape="hvh", width=0, color=colour), fill="tozeroy", fillcolor=colour,
                customdata=values, hovertemplate=f"layer {k + 1}, unit %{{x}}: %{{customdata:.3f}}<extra></extra>",
            ))
        layout[f"xaxis{suffix}"] = dict(anchor=f"y{suffix}", showticklabels=False, fixedrange=True,
                                        range=[-0.5, len(values) - 0.5])
        layout[f"yaxis{suffix}"] = dict(domain=[max(0.0, top - row), min(1.0, top)], anchor=f"x{suffix}", fixedrange=True,
                                        zeroline=True, zerolinecolor="#6B7280", nticks=3)
        firing = int((values > 0).sum())
        annotations.append(dict(text=f"layer {k + 1}: {len(values)} units, {firing} firing",
                                x=0, xref="paper", y=top, yref="paper", yanchor="bottom", xanchor="left",
                                showarrow=False, font=dict(size=12)))
    return figure(traces, dict(layout, height=max(1, n) * height_per_layer + 30, margin=dict(l=10, r=10, t=22, b=5),
                               showlegend=False, annotations=annotations, hovermode="closest"))


def weight_images(inside: Inside, k: int = 16, cols: int = 8) -> dict:
    """The first layer's weights as 8x8 images (one per unit: what input pattern excites it), for the
    k units that fire most for this drawing, strongest first. One tiled heatmap, NaN between tiles."""
    weights, active = inside.weights[0], inside.hidden[0]
    units = top_units(active, k)
    k, cols = len(units), max(1, min(cols, len(units)))
    rows = max(1, math.ceil(k / cols))
    # (k, 8, 8) images padded with NaN (a 1-cell gap right, a 2-cell band above for the label) and
    # laid out rows x cols in one array: one trace however many tiles.
    padded = np.full((rows * cols, 10, 9), np.nan)
    padded[:k, 2:, :8] = weights[units].reshape(k, 8, 8)
    tiles = padded.reshape(rows, cols, 10, 9).transpose(0, 2, 1, 3).reshape(rows * 10, cols * 9)[:, :-1]
    # Hover data per pixel: (unit, its activation); numbers keep the payload small.
    info = np.full((rows * cols, 2), np.nan)
    info[:k] = np.column_stack([units, active[units]])
    info = np.repeat(np.repeat(info.reshape(rows, cols, 2), 10, axis=0), 9, axis=1)[:, :-1]
    labels = _labels([f"#{u} · {active[u]:.1f}" for u in units], x=[(n % cols) * 9 + 3.5 for n in range(k)],
                     y=[(n // cols) * 10 + 1.0 for n in range(k)], size=10)
    span = _span(tiles)
    heat = dict(type="heatmap", z=tiles, customdata=info, zmin=-span, zmax=span, colorscale=DIVERGING, showscale=False,
                hoverongaps=False,
                hovertemplate="unit %{customdata[0]} fires %{customdata[1]:.2f}<br>weight %{z:.3f}<extra></extra>")
    return figure([heat, labels], dict(
        height=int(rows * 92 + 6), margin=dict(l=0, r=0, t=0, b=0), showlegend=False,
        xaxis=dict(_AXIS_OFF, constrain="domain"),
        yaxis=dict(_AXIS_OFF, autorange="reversed", scaleanchor="x", constrain="domain"),
        plot_bgcolor="#FFFFFF",
    ))


def _labels(text: list[str], x, y, size: int = 12) -> dict:
    """Text placed in data coordinates, as one text-only trace named "labels". Not annotations: plotly.js
    lays out every annotation on its own; the 16 weight tiles' labels as annotations made that chart's
    redraw 12 ms in the app, as a text trace 8 ms. (It must lie inside the axis ranges: text outside is hidden.)"""
    return dict(type="scatter", mode="text", x=list(x), y=list(y), text=text, name="labels", hoverinfo="skip",
                cliponaxis=False, textfont=dict(size=size, color="#374151"))


def saliency_map(values: np.ndarray, features: np.ndarray, digit: int, height: int = 240,
                 what: str = "pushed") -> dict:
    """An 8x8 diverging map centred on zero: orange cells pushed for `digit`, blue against."""
    values = np.asarray(values, dtype=float).reshape(8, 8)
    ink = np.asarray(features, dtype=float).reshape(8, 8)
    span = _span(values)
    heat = dict(type="heatmap", z=values, customdata=ink, zmin=-span, zmax=span, zmid=0, colorscale=DIVERGING,
                showscale=False, xgap=1, ygap=1,
                hovertemplate=f"row %{{y}}, column %{{x}}: ink %{{customdata:.0f}} of 16<br>{what} %{{z:+.3f}} "
                              f"for {digit}<extra></extra>")
    return figure([heat], dict(
        height=height, margin=dict(l=0, r=0, t=0, b=0), plot_bgcolor="#E5E7EB",
        xaxis=dict(_AXIS_OFF, constrain="domain"),
        yaxis=dict(_AXIS_OFF, autorange="reversed", scaleanchor="x", constrain="domain"),
    ))


def diagram_units(inside: Inside, top_k: int) -> list[np.ndarray]:
    """Which units each column of the diagram shows, strongest first: the input cells with the
    largest |saliency|, the most active units of each hidden layer, and all ten outputs."""
    shown = [top_units(inside.saliency, top_k)]
    shown += [top_units(a, top_k) for a in inside.hidden]
    shown.append(np.arange(len(inside.logits)))
    return shown


def network_diagram(inside: Inside, top_k: int = 12, height: int = 430) -> dict:
    """Layers as columns of units; each edge coloured by the sign of weight x activation for this
    drawing and thickened by its size (relative to the strongest edge between the same two columns).
    Layers wider than top_k show their top_k strongest units, and the column title says so."""
    shown = diagram_units(inside, top_k)
    ys = [np.linspace(1, 0, len(s)) if len(s) > 1 else np.array([0.5]) for s in shown]
    edges = _edge_shapes([(ys[layer], ys[layer + 1], edge_contributions(inside, layer)[np.ix_(shown[layer + 1], shown[layer])])
                          for layer in range(len(shown) - 1)])
    values = inside.layer_values
    nodes = []
    for col, units in enumerate(shown):
        v = values[col][units]
        last = col == len(shown) - 1
        label = "cell" if col == 0 else "digit" if last else "unit"
        names = [_cell(u) for u in units] if col == 0 else [str(u) for u in units]
        nodes.append(dict(
            type="scatter", x=np.full(len(units), float(col)), y=ys[col],
            mode="markers" if 0 < col < len(shown) - 1 else "markers+text",
            text=_node_labels(inside, col, units, last), textposition="middle right" if last else "middle left",
            textfont=dict(size=11, color="#374151"),
            hovertext=names, customdata=v, name=f"column {col}",
            marker=dict(size=13 if last else 11, color=v, cmin=-_span(v), cmax=_span(v), colorscale=DIVERGING,
                        line=dict(width=[3 if last and u == inside.predicted else 1 for u in units],
                                  color=[ACCENT if last and u == inside.predicted else "#6B7280" for u in units])),
            hovertemplate=f"{label} %{{hovertext}}: %{{customdata:.3f}}<extra></extra>",
        ))
    # Titles above the columns, inside the y range (plotly.js hides text points outside it).
    titles = _labels(_column_titles(inside, shown), x=range(len(shown)), y=[1.12] * len(shown))
    return figure([*nodes, titles], dict(
        height=height, margin=dict(l=10, r=10, t=10, b=10), showlegend=False, plot_bgcolor="#FFFFFF",
        xaxis=dict(_AXIS_OFF, range=[-0.45, len(shown) - 0.55]), yaxis=dict(_AXIS_OFF, range=[-0.05, 1.18]),
        shapes=edges,
    ))


def _edge_shapes(gaps: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> list[dict]:
    """All edges of the diagram as at most 2 x EDGE_BINS path shapes (sign x width bin), each
    spanning every gap between columns. One SVG path per shape: a line trace with gaps would be
    one SVG path per edge (~430 for the default model; 27 vs 19 ms per redraw in Chromium).
    gaps[k] = (y of column k's units, y of column k+1's units, (to, from) contributions)."""
    segments: dict[tuple[bool, int], list[np.ndarray]] = {}
    for layer, (y_from, y_to, contrib) in enumerate(gaps):
        strength = np.abs(contrib) / _span(contrib)  # relative to the strongest edge of this gap
        bins = np.minimum((strength * EDGE_BINS).astype(int), EDGE_BINS - 1)
        to_idx, from_idx = np.indices(contrib.shape)
        for positive in (True, False):
            for b in range(EDGE_BINS):
                mask = ((contrib >= 0) == positive) & (bins == b)
                count = int(mask.sum())
                if count:  # rows of (x0, y0, x1, y1)
                    segments.setdefault((positive, b), []).append(np.column_stack([
                        np.full(count, layer), y_from[from_idx[mask]], np.full(count, layer + 1), y_to[to_idx[mask]]]))
    return [dict(type="path", path="".join(f"M{x0:.0f},{y0:.5f}L{x1:.0f},{y1:.5f}" for x0, y0, x1, y1 in np.vstack(parts)),
                 line=dict(color=POSITIVE if positive else NEGATIVE, width=0.4 + 1.6 * b), opacity=0.25 + 0.2 * b,
                 layer="below", name="edges")
            for (positive, b), parts in sorted(segments.items(), key=lambda item: item[0][::-1])]  # thick on top


def _node_labels(inside: Inside, col: int, units: np.ndarray, last: bool) -> list[str] | None:
    if last:
        return [f"{u}  {inside.probs[u]:.0%}" for u in units]
    return [f"r{u // 8}c{u % 8}" for u in units] if col == 0 else None


def _column_titles(inside: Inside, shown: list[np.ndarray]) -> list[str]:
    widths = [len(inside.scaled), *(len(a) for a in inside.hidden), len(inside.logits)]
    titles = []
    for col, (units, width) in enumerate(zip(shown, widths)):
        name = "input" if col == 0 else "output" if col == len(shown) - 1 else f"layer {col}"
        titles.append(f"{name}<br>top {len(units)} of {width}" if len(units) < width else f"{name}<br>all {width}")
    return titles


def probe_bars(before: np.ndarray, after: np.ndarray, height: int = 240) -> dict:
    """The ten probabilities for the drawing as it is (grey) and with the probed cell changed."""
    before, after = np.asarray(before, float).reshape(10), np.asarray(after, float).reshape(10)
    digits = [str(d) for d in range(10)]
    winner = int(after.argmax())
    bars = [
        dict(type="bar", x=digits, y=before, name="your drawing", marker=dict(color="#D1D5DB"),
             hovertemplate="digit %{x}: %{y:.1%} as drawn<extra></extra>"),
        dict(type="bar", x=digits, y=after, name="what if",
             marker=dict(color=[ACCENT if d == winner else MUTED for d in range(10)]),
             text=[f"{p:.0%}" if p >= 0.005 else "" for p in after], textposition="outside", cliponaxis=False,
             hovertemplate="digit %{x}: %{y:.1%} with the change<extra></extra>"),
    ]
    return figure(bars, dict(
        height=height, margin=dict(l=10, r=10, t=10, b=10), barmode="group", bargap=0.2, bargroupgap=0.05,
        yaxis=dict(range=[0, 1.12], tickformat=".0%", tickvals=[0, 0.5, 1.0], fixedrange=True),
        xaxis=dict(type="category", fixedrange=True),
        legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"),
    ))


def probe_grid(features: np.ndarray, cell: int, height: int = 200) -> dict:
    """The 8x8 input (probed value already in place) with the probed cell outlined."""
    return input_heatmap(features, height=height, outline=int(cell))
