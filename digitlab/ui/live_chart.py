"""A Plotly chart that is redrawn in place on every stroke, for the Draw page and its inside panel.

st.plotly_chart hashes the figure into the element's id, so a chart whose data changes is torn
down and built again from scratch on every rerun: the costliest thing a stroke asks of a browser
(benchmarks/load.py, benchmarks/draw_latency.py). This keyed components-v2 element keeps one chart
per key and hands each new figure to Plotly.react, which redraws only what changed, and only
once the chart is in view: the Draw page's inside panel mostly sits below the fold while a person
draws.

plotly.js is the copy shipped inside the plotly Python package, served from there as a
components-v2 asset (nothing is copied anywhere) and loaded once per browser tab.
"""
from __future__ import annotations

import base64
import json
import logging
import threading
from pathlib import Path
from typing import Callable

import numpy as np
import plotly
import plotly.graph_objects as go
import streamlit as st

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
# Streamlit serves a registered component's asset folder at /_stcore/bidi-components/<name>/<file>.
PLOTLY_ASSETS = "digitlab.plotlyjs"
PLOTLY_URL = f"_stcore/bidi-components/{PLOTLY_ASSETS}/{PLOTLY_JS.name}"
PRELOAD_KEY = "plotly_preload"  # its element is hidden (style.py)
log = logging.getLogger(__name__)
_serving = threading.Lock()

# Streamlit's look for Plotly (its own theme is applied only inside st.plotly_chart).
_JS = """
const TEMPLATE = {layout: {
  font: {family: '"Source Sans Pro", "Source Sans 3", sans-serif', size: 13, color: '#31333F'},
  paper_bgcolor: 'rgba(0,0,0,0)', plot_bgcolor: 'rgba(0,0,0,0)',
  xaxis: {automargin: true, gridcolor: '#E6EAF1', linecolor: '#D5DAE5', zerolinecolor: '#D5DAE5', tickcolor: '#D5DAE5'},
  yaxis: {automargin: true, gridcolor: '#E6EAF1', linecolor: '#D5DAE5', zerolinecolor: '#D5DAE5', tickcolor: '#D5DAE5'},
  hoverlabel: {font: {family: '"Source Sans Pro", sans-serif'}},
}};

function plotly() {
  if (!window.__digitlabPlotly) {
    window.__digitlabPlotly = new Promise((resolve, reject) => {
      if (window.Plotly) return resolve(window.Plotly);
      const script = document.createElement('script');
      script.src = new URL('__PLOTLY_URL__', document.baseURI).href;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => { window.__digitlabPlotly = null; reject(new Error('plotly.js did not load')); };
      document.head.appendChild(script);
    });
  }
  return window.__digitlabPlotly;
}

// A chart nobody sees, drawn once and thrown away: plotly.js's first drawing of a kind of trace is
// several times slower than later ones (half a second on a slow machine), and would otherwise be
// paid by the page's first chart, just as the person starts using the page.
function rehearse(Plotly) {
  const div = document.createElement('div');
  div.style.cssText = 'position: fixed; left: -10000px; top: 0; width: 400px; height: 300px; visibility: hidden;';
  document.body.appendChild(div);
  const data = [{type: 'scatter', mode: 'lines', y: [1, 3, 2]}, {type: 'bar', y: [2, 1, 3], text: ['a', 'b', 'c']},
                {type: 'heatmap', z: [[1, 2], [3, 4]], xaxis: 'x2', yaxis: 'y2'}];
  const layout = {template: TEMPLATE, xaxis2: {domain: [0.6, 1]}, yaxis2: {anchor: 'x2'}, xaxis: {domain: [0, 0.5]}};
  return Plotly.newPlot(div, data, layout).then(() => { Plotly.purge(div); div.remove(); });
}

// Called with every new figure. A chart scrolled out of view keeps only the latest figure and
// draws it when it comes back into view: strokes don't pay for charts nobody can see. (No margin
// around the view: Streamlit scrolls an inner element, which clips the observer's view anyway.)
// With data.clickable, a click on a point is sent back as the trigger value "clicked": {x, y}.
export default function ({ data, parentElement, setTriggerValue }) {
  // Running plotly.js blocks the tab for a while (seconds on a slow machine): it is fetched, run
  // and rehearsed as soon as a page opens (preload_plotly), not when a chart first comes into view.
  if (data.preload) {
    if (!window.__digitlabRehearsed) window.__digitlabRehearsed = plotly().then(rehearse).catch(() => {});
    return;
  }
  const div = parentElement.querySelector('.dl-live-chart');
  div.style.minHeight = `${data.height}px`;  // its place on the page is kept even before it is drawn
  div.onPoint = data.clickable ? (point) => setTriggerValue('clicked', {x: point.x, y: point.y}) : null;
  if (data.figure === div.shown) { div.pending = null; return; }  // the same figure again: nothing to draw
  div.pending = data.figure;
  if (!div.observer) {
    div.observer = new IntersectionObserver((entries) => {
      div.inView = entries[entries.length - 1].isIntersecting;
      if (div.inView) draw(div);
    });
    div.observer.observe(div);  // its first report comes right away and draws the first figure
  } else if (div.inView) {
    draw(div);
  }
}

function draw(div) {
  if (!div.pending) return;
  const figure = JSON.parse(div.pending);
  div.shown = div.pending;
  div.pending = null;
  figure.layout.template = TEMPLATE;
  plotly()
    .then((Plotly) => Plotly.react(div, figure.data, figure.layout, {displayModeBar: false, responsive: true}))
    .then(() => {
      if (!div.listening) {  // once per chart: plotly.js keeps its handlers across redraws
        div.listening = true;
        div.on('plotly_click', (event) => div.onPoint?.(event.points[0]));
      }
      div.dataset.drawnAt = String(performance.now());  // when it was last redrawn: for benchmarks
    });
}
"""

_chart = st.components.v2.component("digitlab.live_chart", html='<div class="dl-live-chart"></div>',
                                    js=_JS.replace("__PLOTLY_URL__", PLOTLY_URL), isolate_styles=False)


def serve_plotly_js() -> bool:
    """Have the running server hand out the plotly package's own plotly.min.js at PLOTLY_URL, by
    registering its folder as a components-v2 asset folder (the way an installed component's
    pyproject.toml would). Nothing is written anywhere. False, with a warning in the log, if that
    fails (no server running, or a Streamlit whose internals moved): the live charts then fall
    back to st.plotly_chart."""
    from streamlit.components.v2.get_bidi_component_manager import get_bidi_component_manager
    from streamlit.components.v2.manifest_scanner import ComponentConfig, ComponentManifest
    from streamlit.runtime import Runtime

    if not Runtime.exists():
        return False
    package, name = PLOTLY_ASSETS.split(".")
    manifest = ComponentManifest(name=package, version="1",
                                 components=[ComponentConfig(name=name, asset_dir=PLOTLY_JS.parent.name)])
    try:
        manager = get_bidi_component_manager()
        manager.register_from_manifest(manifest, package_root=PLOTLY_JS.parents[1])
    except Exception as exc:  # noqa: BLE001 - any failure here only costs the faster charts
        log.warning("live charts fall back to st.plotly_chart: cannot serve plotly.js (%s)", exc)
        return False
    return _plotly_js_served()


def _plotly_js_served() -> bool:
    """The running server hands out plotly.js (serve_plotly_js registered its folder)."""
    from streamlit.components.v2.get_bidi_component_manager import get_bidi_component_manager
    from streamlit.runtime import Runtime

    if not Runtime.exists():
        return False
    folder = get_bidi_component_manager().get_component_path(PLOTLY_ASSETS)
    return folder is not None and (Path(folder) / PLOTLY_JS.name).is_file()


def preload_plotly() -> None:
    """A hidden element that has the browser fetch and run plotly.js now. app.py sends it before
    anything else, so that happens while the server is still building the page (the first page a
    server shows imports for seconds), instead of freezing the tab for seconds when the first chart
    is drawn, such as right after a first click on Train."""
    with _serving:  # sessions opening at once on a fresh server register the folder once
        served = _plotly_js_served() or serve_plotly_js()
    if served:
        _chart(key=PRELOAD_KEY, data={"preload": True})


def live_chart(figure: go.Figure | dict, key: str, on_click: Callable[[], None] | None = None) -> None:
    """Show `figure` (a go.Figure, or its to_plotly_json() dict); the element under `key` keeps its
    chart and redraws it in place next time. With on_click, clicking a point calls it (then reruns)
    with st.session_state[key].clicked set to the point's {"x": ..., "y": ...}."""
    if not _plotly_js_served():  # still a chart, rebuilt per change, without clicks
        st.plotly_chart(figure, key=key, config={"displayModeBar": False})
        return
    spec = figure if isinstance(figure, dict) else figure.to_plotly_json()
    spec = {**spec, "layout": {k: v for k, v in spec["layout"].items() if k != "template"}}  # the page sets the look
    data = {"figure": _to_json(spec),
            "height": spec["layout"].get("height", 450),  # plotly.js's default height
            "clickable": on_click is not None}
    _chart(key=key, data=data, **({"on_clicked_change": on_click} if on_click else {}))


_ENCODER = plotly.utils.PlotlyJSONEncoder()


# numpy dtypes plotly.js reads as typed arrays ({"dtype": ..., "bdata": base64}, as plotly.py sends them)
_TYPED = {"float64": "f8", "float32": "f4", "int8": "i1", "uint8": "u1", "int16": "i2", "uint16": "u2",
          "int32": "i4", "uint32": "u4"}


def _encode(value):
    """A numpy array as a plotly.js typed array: a fraction of the time and size of a list of
    numbers (plotly.py's own converter goes through a dataframe library per array, which per-stroke
    figures can't afford). Anything else as plotly's encoder does."""
    if isinstance(value, np.ndarray) and value.size and value.dtype.name in (*_TYPED, "int64"):
        if value.dtype.name == "int64":
            if not -2**31 <= value.min() <= value.max() < 2**31:
                return _ENCODER.default(value)
            value = value.astype(np.int32)
        little_endian = np.ascontiguousarray(value, value.dtype.newbyteorder("<"))
        typed = {"dtype": _TYPED[value.dtype.name], "bdata": base64.b64encode(little_endian).decode("ascii")}
        if value.ndim > 1:
            typed["shape"] = ", ".join(map(str, value.shape))
        return typed
    return _ENCODER.default(value)


def _to_json(spec: dict) -> str:
    """The figure as JSON. Plotly's encoder writes it, parses it back and writes it again to turn
    NaN into null; a figure without NaN (the Train page's curves at every poll) skips that."""
    try:
        return json.dumps(spec, default=_encode, allow_nan=False)
    except ValueError:  # a NaN or infinity somewhere: null, as plotly.js expects
        return json.dumps(spec, cls=plotly.utils.PlotlyJSONEncoder)
