"""Teach it: label a drawing on the Draw page, keep it, and find it on the My drawings page."""
from playwright.sync_api import expect

from tests.support.browser import METRIC, ONE, draw, keep_drawing_as, ready_to_draw


def test_keep_a_corrected_drawing_and_find_it_in_my_drawings(page, app_url):
    page.goto(app_url)
    ready_to_draw(page, 60_000)
    draw(page, ONE)
    expect(page.locator(METRIC).first).to_have_text("1", timeout=15_000)
    # Correct the label (pretend the person meant a 7) and keep it.
    keep_drawing_as(page, 7, timeout=15_000)

    page.goto(app_url + "/my-drawings")
    expect(page.get_by_text("Your drawings", exact=True)).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("stCheckbox").get_by_text("7 (read 1)")).to_be_visible(timeout=30_000)  # a control first drawn on a busy core shows a placeholder for a while
    expect(page.locator("[data-testid=stException]")).to_have_count(0)
