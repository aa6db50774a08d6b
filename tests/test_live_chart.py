"""The live chart's plumbing: plotly.js served from the plotly package, figures sent without a template."""
import base64
import json

import numpy as np
import plotly.graph_objects as go

from digitlab.ui import live_chart


def test_outside_a_running_server_plotly_js_is_not_served_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in live_chart.PLOTLY_JS.parent.iterdir())
    assert live_chart.serve_plotly_js() is False  # pytest/AppTest: no Streamlit runtime
    assert live_chart._plotly_js_served() is False
    assert list(tmp_path.iterdir()) == []
    assert sorted(p.name for p in live_chart.PLOTLY_JS.parent.iterdir()) == before


def test_without_plotly_js_served_the_chart_falls_back_to_st_plotly_chart(monkeypatch):
    shown, sent = [], []
    monkeypatch.setattr(live_chart, "_plotly_js_served", lambda: False)
    monkeypatch.setattr(live_chart.st, "plotly_chart", lambda fig, **kwargs: shown.append((fig, kwargs["key"])))
    monkeypatch.setattr(live_chart, "_chart", lambda **kwargs: sent.append(kwargs))
    fig = go.Figure(go.Bar(y=[1, 2]))
    live_chart.live_chart(fig, key="k", on_click=lambda: None)
    assert shown == [(fig, "k")] and sent == []


def test_the_figure_goes_out_as_json_without_its_template(monkeypatch):
    sent = {}
    monkeypatch.setattr(live_chart, "_plotly_js_served", lambda: True)
    monkeypatch.setattr(live_chart, "_chart", lambda **kwargs: sent.update(kwargs))
    fig = go.Figure(go.Bar(y=np.array([0.25, 0.75]))).update_layout(height=200, template="plotly_dark")
    live_chart.live_chart(fig, key="k")
    spec = json.loads(sent["data"]["figure"])
    assert sent["key"] == "k"
    y = spec["data"][0]["y"]  # numpy arrays travel as plotly.js typed arrays: base64 + dtype
    assert np.array_equal(np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"]), [0.25, 0.75])
    assert spec["layout"]["height"] == 200
    assert "template" not in spec["layout"], "the page gives every live chart the same look"


def test_every_page_starts_with_a_hidden_plotly_js_preload_when_it_is_served(monkeypatch):
    sent = []
    monkeypatch.setattr(live_chart, "_chart", lambda **kwargs: sent.append(kwargs))
    monkeypatch.setattr(live_chart, "_plotly_js_served", lambda: False)
    live_chart.preload_plotly()  # no server here, so nothing to preload
    assert sent == []
    monkeypatch.setattr(live_chart, "_plotly_js_served", lambda: True)
    live_chart.preload_plotly()
    assert sent == [{"key": live_chart.PRELOAD_KEY, "data": {"preload": True}}]
    from digitlab.ui.style import APP_STYLE

    assert f".st-key-{live_chart.PRELOAD_KEY} {{ display: none; }}" in APP_STYLE


def test_figures_go_to_the_browser_as_plotly_would_write_them_nan_as_null():
    import json

    import numpy as np
    import plotly

    from digitlab import plots

    for fig in (plots.probability_bars(np.linspace(0, 1, 10)), plots.confusion_heatmap(np.eye(10, dtype=int) * 3)):
        spec = fig.to_plotly_json()
        assert json.loads(live_chart._to_json(spec)) == json.loads(json.dumps(spec, cls=plotly.utils.PlotlyJSONEncoder))
    assert json.loads(live_chart._to_json({"data": [{"y": [1.0, float("nan"), float("inf")]}]})) == {"data": [{"y": [1.0, None, None]}]}


def test_numpy_arrays_are_sent_as_plotly_typed_arrays_with_their_values():
    def decoded(typed):
        dtypes = {"f8": "<f8", "f4": "<f4", "i4": "<i4", "u1": "u1"}
        values = np.frombuffer(base64.b64decode(typed["bdata"]), dtypes[typed["dtype"]])
        return values.reshape([int(n) for n in typed["shape"].split(",")]) if "shape" in typed else values

    grid = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
    spec = {"data": [{"z": grid, "x": np.arange(5), "y": np.array([0.25, np.nan]), "c": np.array([3, 200], np.uint8),
                      "big": np.array([2**40, 1])}]}
    sent = json.loads(live_chart._to_json(spec))["data"][0]
    assert sent["z"]["dtype"] == "f4" and sent["z"]["shape"] == "3, 4"
    np.testing.assert_array_equal(decoded(sent["z"]), grid)
    assert sent["x"]["dtype"] == "i4" and decoded(sent["x"]).tolist() == [0, 1, 2, 3, 4]  # int64 narrowed
    assert decoded(sent["y"])[0] == 0.25 and np.isnan(decoded(sent["y"])[1])  # NaN kept: a gap, as null would be
    assert decoded(sent["c"]).tolist() == [3, 200]
    assert sent["big"] == [2**40, 1], "an int64 too big for plotly.js's typed arrays goes as a list"
