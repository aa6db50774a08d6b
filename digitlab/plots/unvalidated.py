"""Figures built from plain dicts, skipping plotly's per-property validation.

The Draw page's inside panel builds six figures per stroke. Validation is about 90% of building
one (network_diagram: 8.4 of 9.3 ms here), which made the panel's server work ~40 ms per stroke.
Builders that run per stroke use figure() instead; tests/test_plots_network.py checks each one's
output against plotly's schema (valid_spec), so a misspelt property still fails a test.
"""
from __future__ import annotations

import plotly.graph_objects as go


def figure(data: list[dict], layout: dict) -> go.Figure:
    """go.Figure(data, layout) without validation (`_validate` is plotly's own switch for this)."""
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def valid_spec(fig: go.Figure) -> go.Figure:
    """The same figure rebuilt with validation: raises ValueError on any property plotly rejects."""
    return go.Figure(fig.to_dict())
