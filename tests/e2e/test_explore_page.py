"""The Explore page in a real browser: start a 5-trial sweep, watch it fill in, see the plots."""
import json

from playwright.sync_api import expect

from tests.support.browser import wait_idle

CHART_KEYS = ("explore_history", "explore_parallel", "explore_curves", "explore_importances", "explore_contour",
              "explore_slice")
CHARTS_JS = """() => { window.charts = () => [...document.querySelectorAll("[class*='st-key-explore_'] .js-plotly-plot")]; }"""


def draw_every_chart(page) -> None:
    """A live chart is drawn once it comes into view: bring each into view until it is drawn."""
    for key in CHART_KEYS:
        box = page.locator(f".st-key-{key}")
        box.scroll_into_view_if_needed()
        expect(box.locator(".js-plotly-plot")).to_have_count(1, timeout=30_000)


def _set_number(page, label: str, value: int) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Tab")


def test_five_trial_sweep_shows_table_and_parallel_coordinates(page, app_url):
    page.goto(app_url + "/explore")
    expect(page.get_by_text("Explore hyperparameters")).to_be_visible(timeout=60_000)
    wait_idle(page)
    _set_number(page, "Trials", 5)
    _set_number(page, "Epochs per trial", 6)
    page.get_by_role("button", name="Start sweep").click()

    # Live: the progress line counts trials, then the page reruns once with the finished study.
    expect(page.get_by_text("5 of 5 trials")).to_be_visible(timeout=120_000)
    expect(page.get_by_role("button", name="Train best & save")).to_be_visible(timeout=60_000)
    wait_idle(page)
    expect(page.get_by_test_id("stDataFrame")).to_be_visible()

    page.evaluate(CHARTS_JS)
    draw_every_chart(page)
    # The parallel-coordinates chart (Optuna draws it as one line trace per completed trial across
    # one x position per axis: the score, then every parameter).
    handle = page.wait_for_function(
        """() => {
            for (const el of charts()) {
                const axis = (el._fullLayout || {}).xaxis || {};
                if (!String((el._fullLayout.title || {}).text).includes('Parallel coordinates')) continue;
                const lines = (el._fullData || []).filter(t => t.mode === 'lines');
                if (lines.length) return JSON.stringify({axes: axis.ticktext, points: lines.map(t => t.x.length)});
            }
            return null;
        }""", timeout=30_000)
    chart = json.loads(handle.json_value())
    axes = chart["axes"]
    assert axes[0] == "val accuracy" and {"lr", "width", "depth", "dropout", "optimizer"} <= set(axes), axes
    assert 2 <= len(chart["points"]) <= 5 and set(chart["points"]) == {len(axes)}  # a line per trial, through every axis

    # The learning curves: one line per trial (pruned ones end early), none past the 6 epochs asked
    # for, and every completed trial (a line in the parallel coordinates) runs all 6.
    curves = json.loads(page.wait_for_function(
        """() => {
            for (const el of charts()) {
                if (!String((el._fullLayout.title || {}).text).includes('Learning curves')) continue;
                const lines = (el._fullData || []).filter(t => t.mode === 'lines');
                if (lines.length) return JSON.stringify(lines.map(t => Array.from(t.x)));
            }
            return null;
        }""", timeout=30_000).json_value())
    assert len(curves) == 5 and all(x and x[0] == 1 and x[-1] <= 6 for x in curves), curves
    assert sum(x[-1] == 6 for x in curves) >= len(chart["points"]), (curves, chart)
    # and the plots of what mattered are all drawn after the sweep
    titles = page.wait_for_function(
        """(wanted) => {
            const titles = [...charts()]
                .map(el => String((el._fullLayout?.title || {}).text));
            return wanted.every(w => titles.some(t => t.includes(w))) ? titles : null;
        }""", arg=["Optimization history", "Parameter importances", "Contour", "Slice"], timeout=30_000).json_value()
    assert len(titles) == 6, titles
