"""Make a confusion heat map's cells clickable: an invisible square marker sits on every cell, so
a click on a cell picks its marker, whose x/y are the cell's predicted/true digit (Plotly's
selections, as st.plotly_chart reports them, skip heatmap traces; markers work with both)."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go


def with_cell_targets(fig: go.Figure, n: int = 10) -> go.Figure:
    labels = [str(d) for d in range(n)]
    predicted, true = np.meshgrid(labels, labels)
    heat = fig.data[0]
    fig.add_trace(go.Scatter(
        x=predicted.ravel(), y=true.ravel(), mode="markers", showlegend=False, meta="cell_targets",
        # Large enough to cover a cell at the sizes the pages draw the matrix; transparent.
        marker=dict(size=28, symbol="square", color="rgba(0,0,0,0)"),
        # Selecting dims unselected points; they are invisible anyway, keep them so.
        selected=dict(marker=dict(opacity=0)), unselected=dict(marker=dict(opacity=0)),
        hovertemplate=heat.hovertemplate.replace("%{z", "%{customdata") if heat.hovertemplate else None,
        customdata=np.asarray(heat.z).ravel()))
    heat.hoverinfo = "skip"  # the markers answer hover now (one tooltip, not two)
    fig.update_layout(clickmode="event+select", dragmode=False)
    return fig
