"""Figure builders: pure functions, data in -> go.Figure (or, in pictures.py, an image array) out.
No Streamlit here.

One module per area (draw.py for the Draw page, ...); everything is re-exported here so callers
write `from digitlab import plots; plots.probability_bars(...)`.
"""
from digitlab.plots.draw import (ACCENT, INK_SCALE, MUTED, PAPER, input_heatmap, probability_bars,
                                 set_probabilities, upscale)
from digitlab.plots.pictures import grid_picture, png_data_uri, what_the_network_sees
from digitlab.plots.train import RUN_COLOURS, confusion_heatmap, set_history, set_history_spec, training_curves
from digitlab.plots.network import (activation_bars, network_diagram, probe_bars, probe_grid, saliency_map,
                                    weight_images)

__all__ = ["ACCENT", "INK_SCALE", "MUTED", "PAPER", "input_heatmap", "probability_bars", "set_probabilities",
           "upscale", "grid_picture", "png_data_uri", "what_the_network_sees"]
__all__ += ["RUN_COLOURS", "confusion_heatmap", "set_history", "set_history_spec", "training_curves"]
__all__ += ["activation_bars", "network_diagram", "probe_bars", "probe_grid", "saliency_map", "weight_images"]
