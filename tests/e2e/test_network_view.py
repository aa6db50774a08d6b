"""Inside the network, in a real browser: toggle it on, draw, see every figure render with the
model's numbers; move the what-if slider and see the probabilities move."""
import json

from playwright.sync_api import expect

from tests.support.browser import INSIDE_CHARTS, METRIC, ROOT, ZERO, draw, ready_to_draw, wait_idle


def full_data(page, key: str) -> list[dict]:
    """The traces Plotly itself drew in the chart with this Streamlit key (plain JSON: lengths, z, y)."""
    handle = page.wait_for_function(
        """(key) => {
            const d = document.querySelector(`.st-key-${key} .js-plotly-plot`)?._fullData;
            if (!d?.length) return null;
            return d.map(t => ({name: t.name, x: t.x ? Array.from(t.x, v => v === null || Number.isNaN(v) ? null : v) : null,
                                y: t.y ? Array.from(t.y) : null, z: t.z ? Array.from(t.z, r => Array.from(r)) : null}));
        }""", arg=key, timeout=15_000)
    return handle.json_value()


def test_inside_the_network_renders_for_a_drawing(page, app_url):
    page.goto(app_url)
    ready_to_draw(page, 60_000)
    expect(page.locator(".st-key-inside_diagram")).to_have_count(0)  # off by default: the page stays fast

    page.get_by_text("Show inside the network").click()
    expect(page.get_by_text("Draw a digit to see how each layer")).to_be_visible(timeout=15_000)
    # Blank canvas: the same views, for blank paper (they stay on the page and redraw per stroke).
    # A chart is drawn once it is in view: the what-if bars, far below the fold, wait until then.
    page.locator(".st-key-inside_diagram").scroll_into_view_if_needed()
    expect(page.locator(".st-key-inside_diagram .js-plotly-plot")).to_be_visible(timeout=15_000)
    page.get_by_text("Show inside the network").scroll_into_view_if_needed()  # back up: the toolbar, the canvas under it
    draw(page, ZERO)
    expect(page.locator(METRIC).first).to_have_text("0", timeout=15_000)
    wait_idle(page)
    expect(page.locator(".st-key-inside_probe_bars .js-plotly-plot")).to_have_count(0)
    for key in INSIDE_CHARTS:
        page.locator(f".st-key-{key}").scroll_into_view_if_needed()
        expect(page.locator(f".st-key-{key} .js-plotly-plot")).to_be_visible(timeout=15_000)
    wait_idle(page)
    expect(page.locator("[data-testid=stException]")).to_have_count(0)

    # The shipped model (two hidden layers, both wider than 12): top 12 inputs, top 12 of each
    # hidden layer, all 10 outputs.
    hidden = json.loads((ROOT / "models" / "default.json").read_text())["model"]["hidden"]
    shown = [min(12, w) for w in (64, *hidden)] + [10]
    diagram = full_data(page, "inside_diagram")
    assert [len(t["x"]) for t in diagram if t["name"] != "labels"] == shown
    # The column titles are drawn, not only in the data (plotly.js hides text outside the axis range).
    page.locator(".st-key-inside_diagram").scroll_into_view_if_needed()
    for title in ("input", "layer 1", "layer 2", "output"):
        expect(page.locator(".st-key-inside_diagram .textpoint").filter(has_text=title)).to_be_visible()
    paths = page.evaluate("""() => document.querySelector('.st-key-inside_diagram .js-plotly-plot')._fullLayout.shapes
                                   .filter(s => s.name === 'edges').map(s => s.path)""")
    assert sum(p.count("M") for p in paths) == sum(a * b for a, b in zip(shown, shown[1:])), "one edge per unit pair"
    drawn = page.locator(".st-key-inside_diagram .layer-subplot .shapelayer path")
    expect(drawn).to_have_count(len(paths))  # the edges are on the page, under the units

    page.locator(".st-key-inside_weights").scroll_into_view_if_needed()
    tile_labels = page.locator(".st-key-inside_weights .textpoint")
    expect(tile_labels).to_have_count(16)  # "#unit · activation" over each of the 16 tiles
    expect(tile_labels.first).to_be_visible()
    expect(tile_labels.last).to_be_visible()

    saliency = full_data(page, "inside_saliency")[0]["z"]
    assert len(saliency) == 8 and all(len(r) == 8 for r in saliency)
    assert any(v > 0 for r in saliency for v in r), "some ink pushed for the 0"

    parts = full_data(page, "inside_activations")  # per layer: the part above zero, then below
    assert [len(t["y"]) for t in parts] == [w for w in hidden for _ in range(2)]
    assert any(v > 0 for v in parts[0]["y"]), "some first-layer units fire for the 0"

    # What if: put full ink in the middle of the 0 (row 3, column 3 is blank paper in a drawn 0).
    before, after = (t["y"] for t in full_data(page, "inside_probe_bars"))
    assert before == after, "value 0 on a blank cell changes nothing"
    assert before.index(max(before)) == 0, "drawn when scrolled to, with the latest drawing (the 0, not the blank)"
    slider = page.locator(".st-key-inside_probe_value input[type=range]")
    slider.focus()
    slider.press("End")
    expect(page.locator(".st-key-inside_probe_value [data-testid=stSliderThumbValue]")).to_have_text("16")
    page.wait_for_function(
        """() => { const d = document.querySelector('.st-key-inside_probe_bars .js-plotly-plot')?._fullData;
                   return !!d && JSON.stringify(Array.from(d[0].y)) !== JSON.stringify(Array.from(d[1].y)); }""",
        timeout=15_000)
    wait_idle(page)
    before, after = (t["y"] for t in full_data(page, "inside_probe_bars"))
    assert abs(sum(after) - 1) < 1e-3 and max(abs(a - b) for a, b in zip(after, before)) > 1e-4
    expect(page.get_by_text("at 16 the network says")).to_be_visible()

    # Click a cell of the probe's grid: the Row and Column sliders move there.
    grid = page.locator(".st-key-inside_probe_grid .js-plotly-plot")
    grid.scroll_into_view_if_needed()
    x, y = grid.evaluate("""(gd) => { const l = gd._fullLayout, box = gd.getBoundingClientRect();
        return [box.left + l.xaxis._offset + l.xaxis.l2p(5), box.top + l.yaxis._offset + l.yaxis.l2p(2)]; }""")  # row 2, col 5
    page.mouse.click(x, y)
    expect(page.locator(".st-key-inside_probe_row [data-testid=stSliderThumbValue]")).to_have_text("2", timeout=15_000)
    expect(page.locator(".st-key-inside_probe_col [data-testid=stSliderThumbValue]")).to_have_text("5")
    expect(page.get_by_text("Cell (row 2, column 5)")).to_be_visible()
