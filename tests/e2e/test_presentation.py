"""Presentation mode in a real browser, at a projector's 1280x720 and 1920x1080: ?present=1 turns it
on, the key numbers and chart axes are large, the controls are folded away behind a one-line summary,
the curves are on screen without scrolling, no help icon waits for a hover; it stays on across a page
switch, and the switch turns it off again."""
import pytest
from playwright.sync_api import expect

from tests.support.browser import wait_idle

STEP = 60_000
RUN = 300_000
FONT_PX_JS = "el => parseFloat(getComputedStyle(el).fontSize)"


def metric_px(page, label: str) -> float:
    value = page.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue")
    return value.locator("div, p").last.evaluate(FONT_PX_JS)


@pytest.mark.parametrize("width, height", [(1280, 720), (1920, 1080)])
def test_presentation_mode_on_a_projector(browser, app_url, width, height):
    page = browser.new_page(viewport={"width": width, "height": height})
    try:
        page.goto(app_url + "/train?present=1&epochs=4&hidden=32")
        train = page.get_by_role("button", name="Train", exact=True)
        expect(train).to_be_enabled(timeout=STEP)
        wait_idle(page)
        expect(page.get_by_role("switch", name="Presentation mode")).to_be_checked()
        expect(page.get_by_text("32 relu · adam, learning rate 0.001 · 4 epochs · batch 32 · seed 0")).to_be_visible()
        expect(page.get_by_role("textbox", name="Hidden layers")).not_to_be_visible()  # folded away
        expect(page.get_by_role("spinbutton", name="Batch size")).not_to_be_visible()
        train.click()
        expect(page.get_by_text("Finished: 4 of 4 epochs")).to_be_visible(timeout=RUN)
        wait_idle(page)
        page.evaluate("window.scrollTo(0, 0)")
        top = page.wait_for_function("""() => { const el = [...document.querySelectorAll('.js-plotly-plot')]
            .find(e => String(e._fullLayout?.annotations?.map(a => a.text)).includes('Loss'));
            return el ? el.getBoundingClientRect().top : null; }""", timeout=STEP).json_value()
        assert top is not None and top < height - 150, f"the curves start at {top}px of {height}: below the fold"
        tick_px = page.evaluate("""() => Math.min(...[...document.querySelectorAll('.js-plotly-plot g.xtick text')]
            .map(t => parseFloat(getComputedStyle(t).fontSize)))""")
        assert tick_px >= 17, tick_px
        assert metric_px(page, "Test accuracy") >= 90  # 6rem: readable from the back of a room
        visible_help = page.locator("[data-testid=stTooltipIcon]").evaluate_all(
            "els => els.filter(e => e.offsetParent !== null).length")
        assert visible_help == 0, "a help icon needs a hover: hidden while presenting"

        # A page switch keeps it: the Draw page's prediction in large type, present=1 in its address.
        page.get_by_role("link", name="Draw", exact=True).click()
        expect(page.get_by_test_id("stMetric").filter(has_text="Prediction")).to_be_visible(timeout=STEP)
        wait_idle(page)
        assert "present=1" in page.url
        assert metric_px(page, "Prediction") >= 90

        # Off again with the switch on the Train page: the controls and normal type come back.
        page.get_by_role("link", name="Train", exact=True).click()
        switch = page.get_by_role("switch", name="Presentation mode")
        expect(switch).to_be_checked(timeout=STEP)
        switch.click(force=True)
        expect(page.get_by_role("textbox", name="Hidden layers")).to_be_visible(timeout=STEP)
        wait_idle(page)
        assert "present=" not in page.url
        assert metric_px(page, "Test accuracy") < 60
    finally:
        page.close()
