"""Per-stroke figures as plain figure specs: {"data": [...], "layout": {...}}, as plotly.js takes them.

The Draw page's inside panel builds six figures per stroke. A go.Figure costs more than the
numbers in it: plotly validates every property on the way in and deep-copies the whole figure on
the way out (to_plotly_json), together most of the panel's server time per stroke. Live
charts (digitlab.ui.live_chart) send a spec as it is, so per-stroke builders return specs.
tests/test_plots_network.py checks each one against plotly's schema (valid_spec), so a misspelt
property still fails a test.
"""
from __future__ import annotations

import plotly.graph_objects as go


def figure(data: list[dict], layout: dict) -> dict:
    """A figure spec, unvalidated and uncopied."""
    return {"data": data, "layout": layout}


def valid_spec(spec: dict) -> go.Figure:
    """The spec built into a validated go.Figure: raises ValueError on any property plotly rejects."""
    return go.Figure(spec)
