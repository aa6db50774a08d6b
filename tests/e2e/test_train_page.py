"""The Train page in a real browser: live curves, Stop, the evaluation, saving into the Draw page's
picker, the Draw page staying usable during a run, and two sessions sharing the training slot."""
import re

from playwright.sync_api import expect

from tests.support.browser import CANVAS, METRIC, ONE, draw, wait_idle

CHART = "[data-testid=stPlotlyChart] .js-plotly-plot"
# Epochs drawn so far in the first (live) chart: Plotly's own decoded data, read in one go.
EPOCHS_DRAWN_JS = f"() => document.querySelector('{CHART}')?._fullData?.[0]?.x?.length ?? 0"


def open_train_page(page, url):
    page.goto(url + "/train")
    expect(page.get_by_role("button", name="Train", exact=True)).to_be_enabled(timeout=60_000)
    wait_idle(page)


def start_training(page, epochs):
    box = page.get_by_role("spinbutton", name="Epochs")
    box.fill(str(epochs))
    box.press("Enter")  # and click at once: the run must use the value just typed
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.get_by_role("button", name="Stop", exact=True)).to_be_visible(timeout=15_000)


def epochs_drawn_between(page, low, high, timeout=60_000) -> int:
    handle = page.wait_for_function(f"([low, high]) => {{ const n = ({EPOCHS_DRAWN_JS})(); "
                                    "return n > low && n < high ? n : null; }", arg=[low, high], timeout=timeout)
    return handle.json_value()


def test_curves_update_live_then_the_evaluation_appears(page, app_url):
    open_train_page(page, app_url)
    epochs = 400
    start_training(page, epochs)
    expect(page.get_by_test_id("stProgress")).to_contain_text(f"/{epochs}")
    first = epochs_drawn_between(page, 0, epochs)
    second = epochs_drawn_between(page, first, epochs)  # a later redraw, still before the end
    assert 0 < first < second < epochs
    expect(page.get_by_test_id("stProgress")).to_contain_text(f"/{epochs}")
    expect(page.get_by_text(f"Finished: {epochs} of {epochs} epochs")).to_be_visible(timeout=180_000)
    expect(page.get_by_test_id("stMetric").filter(has_text="Test accuracy")).to_be_visible()
    expect(page.get_by_role("button", name="Stop", exact=True)).to_have_count(0)  # polling is over
    assert epochs_drawn_between(page, epochs - 1, epochs + 1) == epochs  # the whole run is drawn
    # The smoothed per-batch loss: thinned, from inside epoch 1 to the last batch of the last epoch.
    batch_x = page.evaluate(f"""() => Array.from(document.querySelector('{CHART}')._fullData
                                                 .find(t => t.meta === 'batches').x)""")
    assert 100 < len(batch_x) <= 600 and 0 < batch_x[0] < 1 and batch_x[-1] == epochs
    expect(page.locator("[data-testid=stException]")).to_have_count(0)


def test_stop_a_long_run_see_the_confusion_matrix_save_it_and_use_it_on_the_draw_page(page, app_url):
    open_train_page(page, app_url)
    start_training(page, 2000)
    epochs_drawn_between(page, 0, 2000)

    # The Draw page stays usable while the job trains (same session: navigate in the app).
    page.get_by_role("link", name="Draw", exact=True).click()
    page.locator(CANVAS).wait_for(state="visible", timeout=30_000)
    draw(page, ONE)
    expect(page.locator(METRIC).first).to_have_text("1", timeout=15_000)
    page.get_by_role("link", name="Train", exact=True).click()

    stop = page.get_by_role("button", name="Stop", exact=True)
    expect(stop).to_be_visible(timeout=15_000)  # still training, still this session's job
    expect(page.get_by_role("spinbutton", name="Epochs")).to_have_value("2000")  # the controls kept their values
    stop.click()
    expect(page.get_by_text(re.compile(r"Stopped \(stopped by the user\): \d+ of 2000 epochs"))).to_be_visible(timeout=15_000)
    expect(page.get_by_text("Confusion matrix")).to_be_visible()
    heat = page.wait_for_function(
        f"() => {{ const d = [...document.querySelectorAll('{CHART}')].map(c => c._fullData?.[0])"
        ".find(t => t?.type === 'heatmap'); return d ? d.z.map(r => Array.from(r)) : null; }", timeout=15_000).json_value()
    assert len(heat) == 10 and all(len(row) == 10 for row in heat)
    assert sum(map(sum, heat)) == 360, "every test digit is counted once"

    page.get_by_role("textbox", name="Model name").fill("e2e-stopped")
    page.get_by_role("textbox", name="Model name").press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Save model").click()
    expect(page.get_by_text("Saved as e2e-stopped")).to_be_visible(timeout=15_000)
    page.get_by_role("button", name="Use e2e-stopped on the Draw page").click()
    picker = page.get_by_role("combobox", name="Model", exact=True)
    expect(picker).to_have_value(re.compile(r"^e2e-stopped"), timeout=15_000)  # the active model
    picker.click()
    expect(page.get_by_role("option", name=re.compile("^e2e-stopped"))).to_be_visible()


def test_a_second_session_waits_for_the_slot_with_a_message(browser, app_url):
    first, second = browser.new_page(), browser.new_page()
    try:
        open_train_page(first, app_url)
        start_training(first, 2000)
        epochs_drawn_between(first, 0, 2000)
        expect(first.get_by_test_id("stProgress")).to_contain_text("/2000")
        open_train_page(second, app_url)
        start_training(second, 2000)
        expect(second.get_by_text("Waiting for a free training slot")).to_be_visible(timeout=15_000)
        first.get_by_role("button", name="Stop", exact=True).click()
        expect(first.get_by_text("Stopped (stopped by the user)")).to_be_visible(timeout=15_000)
        expect(second.get_by_test_id("stProgress")).to_be_visible(timeout=15_000)  # its turn now
        epochs_drawn_between(second, 0, 2000)
        second.get_by_role("button", name="Stop", exact=True).click()
        expect(second.get_by_text("Stopped (stopped by the user)")).to_be_visible(timeout=15_000)
    finally:
        first.close()
        second.close()


def test_a_job_whose_session_goes_away_is_stopped_and_frees_the_slot(browser, app_url):
    gone = browser.new_page()
    open_train_page(gone, app_url)
    box = gone.get_by_role("spinbutton", name="Batch size")
    box.fill("4")  # ~0.3 s an epoch: ten minutes for the run if nothing stopped it
    box.press("Enter")
    expect(box).to_have_value("4")
    start_training(gone, 2000)
    epochs_drawn_between(gone, 0, 2000)
    gone.close()  # the browser session ends; its job must not keep the only slot
    page = browser.new_page()
    try:
        open_train_page(page, app_url)
        start_training(page, 2000)
        # Running long before the orphan's ten minutes are up: it was stopped once its session
        # had been gone for the grace period (10 s, which covers a brief reconnect).
        expect(page.get_by_test_id("stProgress")).to_contain_text("/2000", timeout=45_000)
        page.get_by_role("button", name="Stop", exact=True).click()
        expect(page.get_by_text("Stopped (stopped by the user)")).to_be_visible(timeout=15_000)
    finally:
        page.close()
