"""Figures for the Explore page: a sweep's study in, go.Figure out.

Optuna's own optuna.visualization builders do the study plots (history, parallel coordinates,
importances, slice, contour); we only give them one look and a friendly placeholder when a study
is too small for a plot. The learning-curve overlay is ours: Optuna has no plot of our per-epoch
history with the pruned trials shown for contrast.
"""
from __future__ import annotations

import warnings

import optuna
import optuna.visualization as ov
import plotly.graph_objects as go
from optuna.trial import TrialState

from digitlab.plots.draw import MUTED

TOP_COLOURS = ["#E4572E", "#2E86AB", "#3BB273", "#7768AE", "#F3A712"]
TARGET = "val accuracy"


def _finish(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(title=dict(text=title, x=0.01, font=dict(size=14)), height=height,
                      margin=dict(l=10, r=10, t=40, b=10), template="plotly_white",
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1))
    return fig


def placeholder(title: str, message: str, height: int = 320) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                       font=dict(size=13, color=MUTED))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _finish(fig, title, height)


def _complete(study: optuna.Study) -> list:
    return study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))


def _varied(study: optuna.Study) -> list[str]:
    """Parameters that took more than one value among the completed trials."""
    values: dict[str, set] = {}
    for t in _complete(study):
        for k, v in t.params.items():
            values.setdefault(k, set()).add(v)
    return [k for k, v in values.items() if len(v) > 1]


def _optuna(builder, study: optuna.Study, title: str, height: int, need: int, **kwargs) -> go.Figure:
    if len(_complete(study)) < need:
        return placeholder(title, f"appears after {need} completed trials", height)
    with warnings.catch_warnings():  # Optuna warns about experimental API; the figure is what we want
        warnings.simplefilter("ignore")
        fig = builder(study, target_name=TARGET, **kwargs)
    return _finish(fig, title, height)


def optimization_history(study: optuna.Study, height: int = 320) -> go.Figure:
    """Every completed trial's score, and the best-so-far line."""
    return _optuna(ov.plot_optimization_history, study, "Optimization history (best so far)", height, 1)


def parallel_coordinates(study: optuna.Study, height: int = 360) -> go.Figure:
    fig = _optuna(ov.plot_parallel_coordinate, study, "Parallel coordinates", height, 2)
    return fig.update_layout(margin_l=40)  # the first axis's tick labels sit left of it


def importances(study: optuna.Study, height: int = 320) -> go.Figure:
    if len(_varied(study)) < 1:
        return placeholder("Parameter importances", "appears once trials differ in their parameters", height)
    return _optuna(ov.plot_param_importances, study, "Parameter importances (fANOVA)", height, 3)


def slices(study: optuna.Study, height: int = 320) -> go.Figure:
    return _optuna(ov.plot_slice, study, "Slice: score against each parameter", height, 2)


def contour(study: optuna.Study, params: list[str] | None = None, height: int = 360) -> go.Figure:
    params = params or _varied(study)[:2]
    if len(params) < 2:
        return placeholder("Contour", "needs two parameters that vary", height)
    return _optuna(ov.plot_contour, study, f"Contour: {params[0]} × {params[1]}", height, 3, params=params[:2])


def learning_curves(study: optuna.Study, top: int = 5, height: int = 340) -> go.Figure:
    """Validation accuracy per epoch of the `top` best trials, over faint curves of all the others
    (pruned ones end early: that is the pruner at work)."""
    trials = [t for t in study.get_trials(deepcopy=False) if t.intermediate_values]
    if not trials:
        return placeholder("Learning curves", "appears after the first epoch of the first trial", height)
    complete = sorted((t for t in trials if t.state == TrialState.COMPLETE and t.value is not None),
                      key=lambda t: (-t.value, t.number))
    best = {t.number: i for i, t in enumerate(complete[:top])}
    fig = go.Figure()
    for t in sorted(trials, key=lambda t: -best.get(t.number, len(best))):  # faint first, then #top .. #1 on top
        steps = sorted(t.intermediate_values)
        rank = best.get(t.number)
        fig.add_trace(go.Scatter(
            x=steps, y=[t.intermediate_values[s] for s in steps], mode="lines",
            name=f"#{rank + 1}: trial {t.number} ({t.value:.3f})" if rank is not None else f"trial {t.number}",
            showlegend=rank is not None, legendrank=rank if rank is not None else 1000,
            line=dict(color=TOP_COLOURS[rank % len(TOP_COLOURS)] if rank is not None else MUTED,
                      width=2.5 if rank is not None else 1),
            opacity=1.0 if rank is not None else 0.35,
            hovertemplate=f"trial {t.number} ({t.state.name.lower()})<br>epoch %{{x}}: %{{y:.3f}}<extra></extra>"))
    fig.update_xaxes(title="epoch")
    fig.update_yaxes(title=TARGET)
    fig = _finish(fig, f"Learning curves: top {min(top, len(complete))} trials (grey: the rest)", height)
    fig.update_layout(legend=dict(orientation="v", yanchor="bottom", y=0.02, xanchor="right", x=0.99,
                                  bgcolor="rgba(255,255,255,0.8)"))
    return fig


__all__ = ["contour", "importances", "learning_curves", "optimization_history", "parallel_coordinates",
           "placeholder", "slices"]
