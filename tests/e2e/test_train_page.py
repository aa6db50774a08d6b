"""The Train page in a real browser: live curves, Stop, the evaluation, saving into the Draw page's
picker, the Draw page staying usable during a run, and two sessions sharing the training slot."""
import re
import time

from playwright.sync_api import expect

from tests.support.browser import CANVAS, METRIC, ONE, dimmed_elements, draw, wait_idle, watch_dimming

CHART = ".st-key-train_curves .js-plotly-plot"  # the live curves (redrawn in place)
# Upper bounds only: every wait below returns as soon as its event happens. Generous, so that a
# machine several times slower per core (or one core shared with a CPU hog) still passes.
STEP = 60_000  # one interaction's effect: a rerun, a job starting or stopping
RUN = 300_000  # a short run (20 epochs) from start to its evaluation
# Epochs drawn so far in the first (live) chart: Plotly's own decoded data, read in one go.
EPOCHS_DRAWN_JS = f"() => document.querySelector('{CHART}')?._fullData?.[0]?.x?.length ?? 0"


def open_train_page(page, url):
    page.goto(url + "/train")
    expect(page.get_by_role("button", name="Train", exact=True)).to_be_enabled(timeout=60_000)
    wait_idle(page)


def watch_curves(page):
    """Scroll the curves into view, as a person watching does (a live chart out of view waits).
    The chart's own container is always on the page (empty axes before a run, the last run's
    curves after it), so this cannot race a short run that ends before a Stop button is found.
    While a rerun moves the chart (from the empty axes to the run's fragment), Streamlit keeps the
    old container, marked stale, until the rerun ends: the live one is the one not stale."""
    page.locator(".st-key-train_curves:not([data-stale=true])").evaluate("c => c.scrollIntoView({block: 'center'})")


def start_training(page, epochs, watch=True):
    """Type the epochs, press Train, wait for Stop (or for the end: a short run on a fast machine
    can finish before a poll shows Stop); then (unless this session's run is still waiting for the
    slot, which shows no curves yet) watch the curves."""
    box = page.get_by_role("spinbutton", name="Epochs")
    box.fill(str(epochs))
    box.press("Enter")  # and click at once: the run must use the value just typed
    page.get_by_role("button", name="Train", exact=True).click()
    stop = page.get_by_role("button", name="Stop", exact=True)
    expect(stop.or_(page.get_by_text(f"Finished: {epochs} of {epochs} epochs"))).to_be_visible(timeout=STEP)
    if watch:
        watch_curves(page)


def epochs_drawn_between(page, low, high, timeout=RUN) -> int:
    handle = page.wait_for_function(f"([low, high]) => {{ const n = ({EPOCHS_DRAWN_JS})(); "
                                    "return n > low && n < high ? n : null; }", arg=[low, high], timeout=timeout)
    return handle.json_value()


def progress_bar_animations(page, looks: int = 10) -> list[str]:
    """Animations seen running in the progress bar, looking every 0.3 s. Its bar moves at every
    poll; an eased move would have the browser render frames between polls too, for the whole run,
    on the core the training shares on a slow machine."""
    seen = set()
    for _ in range(looks):
        seen.update(page.evaluate("""() => document.getAnimations()
            .filter(a => a.playState === 'running' && a.effect?.target?.closest('[data-testid=stProgress]'))
            .map(a => a.transitionProperty || a.animationName)"""))
        page.wait_for_timeout(300)
    return sorted(seen)


def test_curves_update_live_then_the_evaluation_appears(page, app_url):
    """Every wait is for an event (epochs drawn, text shown), so the test holds on any machine
    speed: the live part watches a run too long to end before it is stopped, and the finish is a
    short run watched to its end."""
    open_train_page(page, app_url)
    start_training(page, 2000)
    expect(page.get_by_test_id("stProgress")).to_contain_text("/2000")
    first = epochs_drawn_between(page, 0, 2000)
    second = epochs_drawn_between(page, first, 2000)  # a later redraw of the same chart, mid-run
    assert 0 < first < second < 2000
    assert progress_bar_animations(page) == [], "the progress bar animates: frames all run long"
    page.get_by_role("button", name="Stop", exact=True).click()
    expect(page.get_by_text(re.compile(r"Stopped \(stopped by the user\): \d+ of 2000 epochs"))).to_be_visible(
        timeout=STEP)

    epochs = 20
    start_training(page, epochs)
    expect(page.get_by_text(f"Finished: {epochs} of {epochs} epochs")).to_be_visible(timeout=RUN)
    expect(page.get_by_test_id("stMetric").filter(has_text="Test accuracy")).to_be_visible()
    expect(page.get_by_role("button", name="Stop", exact=True)).to_have_count(0)  # polling is over
    assert epochs_drawn_between(page, epochs - 1, epochs + 1) == epochs  # the whole run is drawn
    # The smoothed per-batch loss: thinned, from inside epoch 1 to the last batch of the last epoch.
    batch_x = page.evaluate(f"""() => Array.from(document.querySelector('{CHART}')._fullData
                                                 .find(t => t.meta === 'batches').x)""")
    assert 100 < len(batch_x) <= 600 and 0 < batch_x[0] < 1 and batch_x[-1] == epochs
    expect(page.locator("[data-testid=stException]")).to_have_count(0)


def test_a_short_run_is_seen_growing_epoch_by_epoch(page, app_url):
    """The seed preset's 10 epochs can end between two polls; the page still shows them arrive.
    Every distinct number of epochs the chart has drawn is recorded by the page itself, every 10 ms.
    Nothing on the page fades meanwhile (the click's rerun, the polls, the evaluation's rerun)."""
    open_train_page(page, app_url)
    watch_dimming(page)
    page.evaluate(f"""() => {{ window.epochStates = []; setInterval(() => {{
        const n = ({EPOCHS_DRAWN_JS})(), seen = window.epochStates;
        if (n && seen[seen.length - 1] !== n) seen.push(n); }}, 10); }}""")
    watch_curves(page)  # the empty axes, drawn before the run
    page.get_by_role("button", name="Train", exact=True).click()  # the seed preset: 10 epochs
    expect(page.get_by_text("Finished: 10 of 10 epochs")).to_be_visible(timeout=RUN)
    expect(page.get_by_test_id("stMetric").filter(has_text="Test accuracy")).to_be_visible(timeout=STEP)
    states = page.evaluate("window.epochStates")
    assert states == sorted(set(states)) and states[-1] == 10, states  # growing, never going back
    assert len(states) >= 5, f"the curves were seen in only {len(states)} states: {states}"
    dimmed, frames = dimmed_elements(page)
    assert frames > 10 and dimmed == [], f"faded while the run started and was polled: {dimmed} ({frames} frames)"


def test_stop_a_long_run_see_the_confusion_matrix_save_it_and_use_it_on_the_draw_page(page, app_url):
    open_train_page(page, app_url)
    start_training(page, 2000)
    epochs_drawn_between(page, 0, 2000)

    # The Draw page stays usable while the job trains (same session: navigate in the app).
    page.get_by_role("link", name="Draw", exact=True).click()
    page.locator(CANVAS).wait_for(state="visible", timeout=30_000)
    draw(page, ONE)
    expect(page.locator(METRIC).first).to_have_text("1", timeout=STEP)
    page.get_by_role("link", name="Train", exact=True).click()

    stop = page.get_by_role("button", name="Stop", exact=True)
    expect(stop).to_be_visible(timeout=STEP)  # still training, still this session's job
    expect(page.get_by_role("spinbutton", name="Epochs")).to_have_value("2000")  # the controls kept their values
    stop.click()
    expect(page.get_by_text(re.compile(r"Stopped \(stopped by the user\): \d+ of 2000 epochs"))).to_be_visible(timeout=STEP)
    expect(page.get_by_text("Confusion matrix", exact=True)).to_be_visible()
    page.locator(".st-key-train_confusion").scroll_into_view_if_needed()  # a live chart is drawn once in view
    heat = page.wait_for_function(
        "() => { const d = [...document.querySelectorAll('.st-key-train_confusion .js-plotly-plot')]"
        ".map(c => c._fullData?.[0])"
        ".find(t => t?.type === 'heatmap'); return d ? d.z.map(r => Array.from(r)) : null; }", timeout=STEP).json_value()
    assert len(heat) == 10 and all(len(row) == 10 for row in heat)
    assert sum(map(sum, heat)) == 360, "every test digit is counted once"

    page.get_by_role("textbox", name="Model name").fill("e2e-stopped")
    page.get_by_role("textbox", name="Model name").press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Save model").click()
    expect(page.get_by_text("Saved as e2e-stopped")).to_be_visible(timeout=STEP)
    page.get_by_role("button", name="Use e2e-stopped on the Draw page").click()
    picker = page.get_by_role("combobox", name="Model", exact=True)
    expect(picker).to_have_value(re.compile(r"^e2e-stopped"), timeout=STEP)  # the active model
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
        start_training(second, 2000, watch=False)  # it waits in line: no curves yet
        expect(second.get_by_text("Waiting for a free training slot")).to_be_visible(timeout=STEP)
        first.get_by_role("button", name="Stop", exact=True).click()
        expect(first.get_by_text("Stopped (stopped by the user)")).to_be_visible(timeout=STEP)
        expect(second.get_by_test_id("stProgress")).to_be_visible(timeout=STEP)  # its turn now
        watch_curves(second)
        epochs_drawn_between(second, 0, 2000)
        second.get_by_role("button", name="Stop", exact=True).click()
        expect(second.get_by_text("Stopped (stopped by the user)")).to_be_visible(timeout=STEP)
    finally:
        first.close()
        second.close()


def test_a_job_whose_session_goes_away_is_stopped_and_frees_the_slot(browser, app_url):
    gone = browser.new_page()
    open_train_page(gone, app_url)
    box = gone.get_by_role("spinbutton", name="Batch size")
    box.fill("4")  # this run's mark in the run history (the other tests train with batches of 32)
    box.press("Enter")
    expect(box).to_have_value("4")
    start_training(gone, 2000)  # many minutes if nothing stopped it, on any machine
    epochs_drawn_between(gone, 0, 2000)
    gone.close()  # the browser session ends; its job must not keep the only slot
    # The event: the server records the orphan's run, stopped early, once its session had been gone
    # for the grace period (10 s, which covers a brief reconnect). Nobody pressed its Stop.
    orphan = wait_for_run(lambda r: r.config.batch_size == 4 and r.config.epochs == 2000)
    assert orphan.metrics["stopped_early"] is True and orphan.metrics["epochs_run"] < 2000, orphan.metrics
    page = browser.new_page()
    try:
        open_train_page(page, app_url)
        start_training(page, 2000)  # gets the freed slot: progress, not "Waiting for a free training slot"
        expect(page.get_by_test_id("stProgress")).to_contain_text("/2000", timeout=STEP)
        page.get_by_role("button", name="Stop", exact=True).click()
        expect(page.get_by_text("Stopped (stopped by the user)")).to_be_visible(timeout=STEP)
    finally:
        page.close()


def wait_for_run(match, timeout_s: float = RUN / 1000):
    """The first run in the app's run history (the test session's data folder, which the app
    server shares) that `match`es, polling until it is recorded."""
    from digitlab.runs import list_runs

    deadline = time.monotonic() + timeout_s
    while True:
        found = [r for r in list_runs()[0] if match(r)]
        if found:
            return found[0]
        assert time.monotonic() < deadline, f"no matching run recorded within {timeout_s:.0f} s"
        time.sleep(0.5)
