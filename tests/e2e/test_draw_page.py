"""The Draw page in a real browser: real canvas, real mouse strokes, real Streamlit server."""
import base64
import time
import urllib.request

import numpy as np
from playwright.sync_api import expect

from digitlab.model import predict_proba
from digitlab.plots.draw import ACCENT, MUTED
from digitlab.preprocess import Preprocessed, preprocess
from digitlab.store import load_model
from digitlab.ui.live_chart import PLOTLY_JS, PLOTLY_URL
from tests.support import drawn_set
from tests.support.browser import (CANVAS, METRIC, ONE, ROOT, SEVEN, ZERO, dimmed_elements, draw, draw_by_touch,
                                   ready_to_draw, reset_canvas, wait_idle, watch_dimming)


def open_draw_page(page, url):
    page.goto(url)
    ready_to_draw(page, 60_000)


PROBS_JS = "document.querySelector('.st-key-probs_chart .js-plotly-plot')"


def chart_probabilities(page) -> list[float]:
    """The y values of the probability bar chart, as Plotly itself decoded and drew them, once they
    are probabilities (the chart shows ten empty bars while the canvas is blank)."""
    handle = page.wait_for_function(
        f"() => {{ const y = {PROBS_JS}?._fullData?.[0]?.y;"
        " return y?.length === 10 && Math.abs(y.reduce((a, b) => a + b, 0) - 1) < 1e-3 ? Array.from(y) : null; }",
        timeout=15_000,
    )
    return handle.json_value()


def drawn_bars(page) -> tuple[list[str], list[float], list[str]]:
    """What the probability chart's SVG shows: each bar's fill, its height in pixels and its text
    (the page itself, not plotly.js's own copy of the data)."""
    return page.evaluate(
        f"() => {{ const bars = [...{PROBS_JS}.querySelectorAll('.trace.bars .point')];"
        " return [bars.map(b => b.querySelector('path').style.fill),"
        " bars.map(b => b.querySelector('path').getBBox().height),"
        " bars.map(b => b.querySelector('text')?.textContent ?? '')]; }")


def rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def assert_bars_show(page, winner: int | None) -> None:
    fills, heights, texts = drawn_bars(page)
    assert len(fills) == 10
    if winner is None:  # a blank canvas: ten empty bars, none highlighted
        assert fills == [rgb(MUTED)] * 10 and max(heights) < 1 and texts == [""] * 10
        return
    assert fills == [rgb(ACCENT) if d == winner else rgb(MUTED) for d in range(10)]
    assert max(range(10), key=heights.__getitem__) == winner and texts[winner].endswith("%")


DRAWING_LAYER = "[data-testid=stBidiComponentIsolated] canvas.dc-canvas.lower-canvas"  # fabric.js draws strokes here


def ink_pixels(page) -> int:
    """Dark pixels on the canvas's drawing layer (fabric.js draws strokes on the lower canvas)."""
    return page.locator(DRAWING_LAYER).evaluate(
        "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;"
        " for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && d[i] < 128) n++; return n; }")


def test_empty_canvas_prompts_to_draw(page, app_url):
    open_draw_page(page, app_url)
    expect(page.locator(METRIC).first).to_have_text("—")
    expect(page.get_by_text("Draw a digit in the box")).to_be_visible()
    expect(page.locator("[data-testid=stException]")).to_have_count(0)


def test_draw_one_then_clear_then_zero(page, app_url):
    open_draw_page(page, app_url)
    watch_dimming(page)
    draw(page, ONE)
    expect(page.locator(METRIC).first).to_have_text("1", timeout=15_000)
    probs = chart_probabilities(page)
    assert len(probs) == 10 and abs(sum(probs) - 1) < 1e-3 and max(probs) == probs[1]
    expect(page.get_by_text("What the network sees")).to_be_visible()
    wait_idle(page)
    assert_bars_show(page, 1)

    reset_canvas(page)
    expect(page.locator(METRIC).first).to_have_text("—", timeout=15_000)
    expect(page.get_by_text("Draw a digit in the box")).to_be_visible()
    wait_idle(page)
    assert_bars_show(page, None)

    draw(page, ZERO)
    expect(page.locator(METRIC).first).to_have_text("0", timeout=15_000)
    wait_idle(page)
    assert_bars_show(page, 0)

    # The page's own Clear button (the canvas's bin shows only on hover): a blank canvas, then a new digit.
    assert ink_pixels(page) > 0
    page.get_by_role("button", name="Clear").click()
    expect(page.locator(METRIC).first).to_have_text("—", timeout=15_000)
    # Clear mounts a new canvas (a new key); the old one can linger for a moment while it unmounts.
    expect(page.locator(CANVAS)).to_have_count(1, timeout=15_000)
    assert ink_pixels(page) == 0, "a blank canvas"
    draw(page, ONE)
    expect(page.locator(METRIC).first).to_have_text("1", timeout=15_000)
    # Streamlit would fade a rerunning page's elements (digitlab/ui/style.py says why not): nothing
    # faded in any frame of the strokes and Clears above.
    wait_idle(page)
    dimmed, frames = dimmed_elements(page)
    assert frames > 10 and dimmed == [], f"faded while the page reran: {dimmed} ({frames} frames checked)"


def test_switching_model_repredicts_without_redrawing(page, app_url):
    open_draw_page(page, app_url)
    draw(page, ZERO)
    expect(page.locator(METRIC).first).to_have_text("0", timeout=15_000)
    wait_idle(page)
    before = chart_probabilities(page)

    page.get_by_test_id("stSelectbox").click()
    page.get_by_role("option", name="weak").click()
    page.wait_for_function(
        f"(before) => {{ const d = {PROBS_JS};"
        " const y = d?._fullData?.[0]?.y; return !!y && JSON.stringify(Array.from(y)) !== JSON.stringify(before); }",
        arg=before, timeout=15_000,
    )
    after = chart_probabilities(page)
    assert abs(sum(after) - 1) < 1e-3
    assert max(abs(a - b) for a, b in zip(after, before)) > 0.05, "the weak model sees the same drawing differently"
    expect(page.locator(METRIC).first).not_to_have_text("—")


def test_a_phone_draws_with_a_finger_and_sees_the_answer_on_the_first_screen(browser, app_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        open_draw_page(page, app_url)
        draw_by_touch(page, SEVEN)
        expect(page.locator(METRIC).first).to_have_text("7", timeout=15_000)
        # No scrolling needed: the toolbar moves under the drawing on a narrow screen.
        canvas, answer = page.locator(CANVAS).bounding_box(), page.locator(METRIC).first.bounding_box()
        toolbar = page.get_by_text("Brush width").bounding_box()
        assert answer["y"] + answer["height"] <= 844 and toolbar["y"] > canvas["y"] + canvas["height"]
        page.get_by_role("button", name="Clear").tap()  # no hover on a phone: the canvas's bin stays hidden
        expect(page.locator(METRIC).first).to_have_text("—", timeout=15_000)
    finally:
        context.close()


def test_live_charts_use_the_plotly_js_served_from_the_package_and_nothing_is_copied(page, app_url):
    open_draw_page(page, app_url)
    draw(page, SEVEN)
    # drawnAt is set by the live chart's own code after Plotly.react: the fast path, not st.plotly_chart.
    page.wait_for_function("document.querySelector('.st-key-probs_chart .dl-live-chart')?.dataset.drawnAt",
                           timeout=60_000)  # plotly.js is 4.8 MB: slow to parse on a loaded single core
    sources = page.evaluate("[...document.scripts].map(s => s.src).filter(s => s.endsWith('plotly.min.js'))")
    assert sources == [f"{app_url}/{PLOTLY_URL}"]
    with urllib.request.urlopen(sources[0], timeout=10) as response:
        assert response.read() == PLOTLY_JS.read_bytes()
    assert not (ROOT / "static").exists(), "plotly.js must not be copied into the checkout"


# The Draw page draws the canvas's strokes itself (digitlab.canvas_drawing) instead of asking the
# browser for a PNG: what it makes of a drawing must be what the canvas's own pixels make of it.


def canvas_pixels(page) -> Preprocessed:
    """The canvas's drawing layer as the browser painted it, white background included (the PNG
    return_image_data would send), through the one preprocessing."""
    url = page.locator(DRAWING_LAYER).evaluate("c => c.toDataURL('image/png')")
    return preprocess(base64.b64decode(url.split(",", 1)[1]))


def settled_probabilities(page, timeout: float = 30) -> np.ndarray:
    """The chart's probabilities once the last stroke's answer is in: the canvas sends a drawing
    200 ms after its last change, so an answer to the first of two strokes can show meanwhile. The
    same in two looks half a second apart, the page idle at both."""
    deadline, last = time.monotonic() + timeout, None
    while True:
        wait_idle(page)
        now = chart_probabilities(page)
        if now == last:
            return np.array(now)
        assert time.monotonic() < deadline, "the page's probabilities kept changing"
        last = now
        page.wait_for_timeout(500)


def one_of_each_digit() -> list[dict]:
    chosen: dict[int, dict] = {}
    for item in drawn_set.load():
        if item["background"] == "white" and 14 <= item["width"] <= 26:  # near the page's default brush (20)
            chosen.setdefault(item["label"], item)
    return [chosen[d] for d in range(10)]


def test_the_page_reads_a_drawing_as_the_canvas_s_own_pixels_read(page, app_url):
    model = load_model(ROOT / "models" / "default.safetensors").model
    open_draw_page(page, app_url)
    gaps, report = [], []
    for item in one_of_each_digit():
        reset_canvas(page)
        expect(page.locator(METRIC).first).to_have_text("—", timeout=15_000)
        wait_idle(page)
        draw(page, item["strokes"], steps=1)
        expect(page.locator(METRIC).first).not_to_have_text("—", timeout=15_000)
        shown = settled_probabilities(page)
        pixels = canvas_pixels(page)
        assert not pixels.empty, f"the canvas shows no {item['label']}"
        own = predict_proba(model, pixels.features)
        gaps.append(float(np.abs(shown - own).max()))
        report.append(f"{item['label']} ({item['style']}): page says {shown.argmax()} at {shown.max():.0%}, "
                      f"the canvas's pixels {own.argmax()} at {own.max():.0%}")
        assert shown.argmax() == own.argmax(), report[-1]
    # The two pictures differ only in antialiased edge pixels: no probability moves by much.
    assert max(gaps) <= 0.10 and float(np.median(gaps)) <= 0.01, (gaps, report)
