"""The Train page's figures: curves carry exactly the history, the confusion map exactly the matrix."""
from dataclasses import asdict

import numpy as np
from sklearn.metrics import confusion_matrix

from digitlab import plots
from digitlab.plots.train import MAX_POINTS, SMOOTHING, batch_losses
from digitlab.train import EpochMetrics


def history(n, val=True):
    return [EpochMetrics(i, n, 1 / i, 1 - 1 / (i + 1), 2 / i if val else None, 0.5 if val else None, i * 0.1)
            for i in range(1, n + 1)]


def traces_by_name(fig):
    return {t.name: t for t in fig.data}


def test_curves_show_train_and_validation_loss_and_accuracy_per_epoch():
    h = history(5)
    fig = plots.training_curves([("run 1", h)], epochs=20)
    t = traces_by_name(fig)
    loss, val_loss = fig.data[0], fig.data[1]
    assert list(loss.x) == [1, 2, 3, 4, 5] and np.allclose(loss.y, [m.train_loss for m in h])
    assert np.allclose(val_loss.y, [m.val_loss for m in h]) and val_loss.line.dash == "dash"
    assert np.allclose(fig.data[2].y, [m.train_acc for m in h]) and fig.data[2].yaxis == "y2"
    assert "run 1 · training" in t and "run 1 · validation" in t
    assert list(fig.layout.xaxis.range) == [0.5, 20.5], "a live chart spans the whole run ahead"


def test_saved_histories_as_dicts_overlay_with_their_own_colours_and_no_validation_when_absent():
    fig = plots.training_curves([("a", history(3)), ("saved: b", [asdict(m) for m in history(4, val=False)])])
    assert len(fig.data) == 8
    a, b = fig.data[:4], fig.data[4:]
    assert a[0].line.color != b[0].line.color
    assert len(b[1].x) == 0 and len(b[3].x) == 0 and not b[1].showlegend  # no validation split: no dashed curve
    assert np.allclose(b[0].y, [m.train_loss for m in history(4, val=False)])


def test_set_history_updates_in_place_like_a_fresh_build():
    fig = plots.training_curves([("run 1", [])], epochs=10)
    h = history(7)
    assert plots.set_history(fig, h) is fig
    fresh = plots.training_curves([("run 1", h)], epochs=10)
    assert fig.to_plotly_json() == fresh.to_plotly_json()


def test_the_json_update_gives_the_chart_what_the_figure_update_does():
    """The Train page's polls update the figure's plain JSON (set_history_spec): once in the browser
    (JSON, NaN as null) it holds the same curves as set_history's figure, per-batch line included."""
    import json

    import plotly

    h = with_batches(history(7)) + [EpochMetrics(8, 8, float("nan"), 0.5, None, None, 0.8)]  # a diverged epoch
    spec = plots.training_curves([("run 1", [])], epochs=10, per_batch=True).to_plotly_json()
    assert plots.set_history_spec(spec, h) is spec
    fig = plots.set_history(plots.training_curves([("run 1", [])], epochs=10, per_batch=True), h)
    sent = json.loads(json.dumps(spec, cls=plotly.utils.PlotlyJSONEncoder))
    assert len(sent["data"]) == len(fig.data) == 5 and sent["data"][-1]["meta"] == "batches"
    for mine, theirs in zip(sent["data"], fig.data):
        for axis in ("x", "y"):
            got = np.array([np.nan if v is None else v for v in mine[axis]], dtype=float)
            assert np.array_equal(got, np.asarray(getattr(theirs, axis), dtype=float), equal_nan=True)
        assert mine.get("showlegend") == theirs.showlegend and mine.get("mode") == theirs.mode
    assert np.isnan(np.array(fig.data[0].y, dtype=float)[-1]) and sent["data"][0]["y"][-1] is None
    assert len(sent["data"][-1]["x"]) > 7, "the per-batch line came along"


def test_long_runs_are_thinned_but_keep_both_ends():
    fig = plots.training_curves([("long", history(2000))])
    x = np.asarray(fig.data[0].x)
    assert len(x) <= MAX_POINTS and x[0] == 1 and x[-1] == 2000 and np.all(np.diff(x) > 0)


def with_batches(h, per_epoch=4, last=None):
    """h with per-batch losses: epoch i's batches lose 1/i + 0.1 * batch; the last epoch may be partial."""
    out = []
    for m in h:
        n = last if (last is not None and m.epoch == len(h)) else per_epoch
        out.append(EpochMetrics(**m.to_dict(), batch_losses=tuple(1 / m.epoch + 0.1 * b for b in range(n))))
    return out


def test_per_batch_loss_is_smoothed_along_fractional_epochs():
    h = with_batches(history(3), per_epoch=4, last=2)  # a stop after 2 batches of epoch 3
    x, y = batch_losses(h)
    np.testing.assert_allclose(x, [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5])
    raw = [v for m in h for v in m.batch_losses]
    # Reference: the debiased exponential moving average, written out.
    num = den = 0.0
    expected = []
    for v in raw:
        num, den = SMOOTHING * num + v, SMOOTHING * den + 1
        expected.append(num / den)
    np.testing.assert_allclose(y, expected)
    assert y[0] == raw[0] and np.ptp(y) < np.ptp(raw), "starts at the first batch, smoother than the raw losses"


def test_live_curves_carry_the_per_batch_loss_and_update_it_in_place():
    h = with_batches(history(6))
    fig = plots.training_curves([("run 1", [])], epochs=10, per_batch=True)
    plots.set_history(fig, h)
    batches = fig.data[-1]
    assert batches.meta == "batches" and batches.yaxis == "y" and len(fig.data) == 5
    assert list(fig.layout.xaxis.range) == [0, 10.5], "from 0: the first epoch's batches are on the chart"
    np.testing.assert_allclose(batches.x, batch_losses(h)[0])
    assert fig.to_plotly_json() == plots.training_curves([("run 1", h)], epochs=10, per_batch=True).to_plotly_json()
    saved = plots.training_curves([("saved", [m.to_dict() for m in h])], per_batch=True)
    assert len(saved.data[-1].x) == 0, "histories from files have no per-batch losses: the line stays empty"
    long = plots.training_curves([("long", with_batches(history(500), per_epoch=41))], per_batch=True)
    assert len(long.data[-1].x) <= MAX_POINTS and long.data[-1].x[-1] == 500


def test_confusion_heatmap_counts_and_normalized_rows():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, 300)
    pred = np.where(rng.random(300) < 0.8, y, rng.integers(0, 10, 300))
    counts = confusion_matrix(y, pred, labels=range(10))
    heat = plots.confusion_heatmap(counts).data[0]
    assert np.array_equal(np.asarray(heat.z), counts)
    assert heat.text[3][3] == str(counts[3, 3])
    norm = plots.confusion_heatmap(counts, normalized=True).data[0]
    z = np.asarray(norm.z)
    assert np.allclose(z.sum(axis=1), 1) and np.allclose(z, counts / counts.sum(axis=1, keepdims=True))
    assert norm.zmax == 1


def test_confusion_heatmap_survives_a_class_with_no_examples():
    counts = np.zeros((10, 10), int)
    counts[0, 0] = 5
    z = np.asarray(plots.confusion_heatmap(counts, normalized=True).data[0].z)
    assert z[0, 0] == 1 and np.all(z[1:] == 0)
