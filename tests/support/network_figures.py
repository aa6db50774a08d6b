"""Reading a network_diagram figure back (edges per shape, edge count): only tests need this, so
it lives here rather than in digitlab.plots."""
import numpy as np
import plotly.graph_objects as go


def edge_segments(fig: go.Figure) -> list[tuple[str, float, np.ndarray]]:
    """The edges of a network_diagram figure, read back from its shapes: per shape its colour,
    its line width and an (edges, 4) array of x0, y0, x1, y1."""
    out = []
    for shape in fig.layout.shapes:
        if shape.name == "edges":
            numbers = shape.path.replace("M", " ").replace("L", " ").replace(",", " ").split()
            out.append((shape.line.color, shape.line.width, np.array(numbers, dtype=float).reshape(-1, 4)))
    return out


def diagram_edge_count(fig: go.Figure) -> int:
    """Edges drawn in a network_diagram figure (counted from the path segments themselves)."""
    return sum(len(rows) for _, _, rows in edge_segments(fig))
