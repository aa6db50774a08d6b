"""Watch it learn your digit, in a real browser: a digit drawn on the Draw page is watched on the
Train page while the seed preset's 10 epochs train, its probabilities seen arriving epoch by epoch."""
from playwright.sync_api import expect

from tests.support.browser import METRIC, SEVEN, draw, ready_to_draw, wait_idle

LINES = ".st-key-watch_lines .js-plotly-plot"  # a line per digit over epochs (redrawn in place)
BARS = ".st-key-watch_bars .js-plotly-plot"  # the ten bars of the epoch shown
# Upper bounds only: every wait returns as soon as its event happens (slow or shared cores pass too).
STEP = 60_000
RUN = 300_000
# Epochs drawn so far in the per-digit lines: Plotly's own decoded data.
EPOCHS_DRAWN_JS = f"() => document.querySelector('{LINES}')?._fullData?.[0]?.x?.length ?? 0"


def test_a_drawing_from_the_draw_page_is_seen_learned_epoch_by_epoch(page, app_url):
    page.goto(app_url)
    ready_to_draw(page, STEP)
    draw(page, SEVEN)
    expect(page.locator(METRIC).first).not_to_have_text("—", timeout=STEP)  # the drawing reached the server
    wait_idle(page)

    page.get_by_role("link", name="Train", exact=True).click()  # same session: the drawing comes along
    expect(page.get_by_role("button", name="Train", exact=True)).to_be_enabled(timeout=STEP)
    wait_idle(page)
    expect(page.get_by_role("radio", name="My last drawing on the Draw page")).to_be_checked()
    expect(page.get_by_text("What the network will see (8×8)")).to_be_visible()
    # Every distinct number of epochs the lines have drawn, recorded by the page itself every 10 ms.
    # The recorder also keeps the section in view, as a person watching it does (a live chart out of
    # view waits; pressing Train re-lays the page out and can scroll it away on a 900 px screen).
    # It scrolls only once Train is pressed: scrolling while Playwright aims at the button made the
    # click miss on a slow machine.
    page.evaluate(f"""() => {{ window.watchStates = []; window.keepInView = false; setInterval(() => {{
        const n = ({EPOCHS_DRAWN_JS})(), seen = window.watchStates;
        if (n && seen[seen.length - 1] !== n) seen.push(n);
        const section = document.querySelector('.st-key-watch_progress'), box = section?.getBoundingClientRect();
        if (window.keepInView && box && box.height && (box.top < 0 || box.bottom > window.innerHeight))
            section.scrollIntoView({{block: 'center'}});
        }}, 10); }}""")
    page.get_by_role("button", name="Train", exact=True).click()  # the seed preset: 10 epochs
    page.evaluate("() => { window.keepInView = true; }")

    expect(page.get_by_text("Finished: 10 of 10 epochs")).to_be_visible(timeout=RUN)
    expect(page.get_by_test_id("stMetric").filter(has_text="Test accuracy")).to_be_visible(timeout=STEP)
    watched = page.locator(".st-key-watch_progress").get_by_text("the watched drawing (8×8)")
    expect(watched).to_have_count(1, timeout=STEP)  # the fragment's copy gone once the page has rerun
    expect(watched).to_be_visible()
    page.wait_for_function(f"() => ({EPOCHS_DRAWN_JS})() === 10", timeout=STEP)
    states = page.evaluate("window.watchStates")
    assert states == sorted(set(states)) and states[-1] == 10, states  # growing, never going back
    assert len(states) >= 5, f"the watched digit was seen in only {len(states)} states: {states}"

    # The bars show the last epoch: each digit's bar is the last point of its line.
    shown = page.wait_for_function(
        f"""() => {{ const lines = document.querySelector('{LINES}')?._fullData,
                     bars = document.querySelector('{BARS}')?._fullData;
           if (!lines || !bars || !document.querySelector('{BARS}').layout.title.text.includes('epoch 10')) return null;
           return {{bars: Array.from(bars[0].y),
                    last: lines.filter(t => t.meta !== 'labels').map(t => t.y[t.y.length - 1]),
                    epochs: lines.filter(t => t.meta !== 'labels').map(t => Array.from(t.x))}}; }}""",
        timeout=STEP).json_value()
    assert len(shown["bars"]) == 10 and len(shown["last"]) == 10
    assert all(x == list(range(1, 11)) for x in shown["epochs"]), "every digit's line has all ten epochs"
    assert max(abs(b - v) for b, v in zip(shown["bars"], shown["last"])) < 1e-9, shown
    assert abs(sum(shown["bars"]) - 1) < 1e-5, "the ten probabilities of one drawing"
    expect(page.locator("[data-testid=stException]")).to_have_count(0)
