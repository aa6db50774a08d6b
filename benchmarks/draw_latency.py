"""Mouse-up -> "Prediction" updated, for the Draw page vs a floor app, measured side by side.

Starts both apps with the project's .streamlit/config.toml (app.py and benchmarks/floor_app.py,
whose fragment only echoes the stroke count), opens each in headless Chromium, and per trial:
clears the canvas, draws a "1" in one stroke, and times from the browser's mouseup event to the
moment the metric shows the new value (a MutationObserver in the page, so no polling delay).
The two apps are interleaved, alternating which goes first. Goal: ratio <= 1.15.

    python benchmarks/draw_latency.py [--trials 20]
"""
import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.browser import METRIC, ONE, ROOT, draw, launch, open_page, reset_canvas, streamlit_app, wait_idle  # noqa: E402

ARM = """(expected) => {
  window.__latency = null;
  let up = null;
  window.addEventListener('mouseup', () => { up = performance.now(); }, {capture: true, once: true});
  const check = () => {
    const el = document.querySelector('%s');
    if (up !== null && el && el.textContent.trim() === expected) {
      observer.disconnect();
      window.__latency = performance.now() - up;
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document.body, {subtree: true, childList: true, characterData: true});
}""" % METRIC


def one_trial(page) -> float:
    """Clear, then draw a '1' and return seconds from mouseup to the metric reading '1'."""
    reset_canvas(page)
    page.wait_for_function(f"() => document.querySelector('{METRIC}')?.textContent.trim() === '—'", timeout=15_000)
    wait_idle(page)
    page.wait_for_timeout(300)  # let the reset's own rerun settle completely
    page.evaluate(ARM, "1")
    draw(page, ONE)
    page.wait_for_function("() => window.__latency !== null", timeout=15_000)
    return page.evaluate("() => window.__latency") / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=20)
    args = parser.parse_args()
    with streamlit_app(ROOT / "app.py") as app_url, streamlit_app(ROOT / "benchmarks" / "floor_app.py") as floor_url, \
            sync_playwright() as p:
        browser = launch(p)
        pages = {"draw page": open_page(browser, app_url), "floor": open_page(browser, floor_url)}
        for page in pages.values():  # warm-up: first stroke loads the model, caches, etc.
            one_trial(page)
        times = {name: [] for name in pages}
        for i in range(args.trials):
            order = list(pages) if i % 2 == 0 else list(pages)[::-1]
            for name in order:
                times[name].append(one_trial(pages[name]))
        browser.close()
    for name, values in times.items():
        values.sort()
        p90 = values[int(0.9 * (len(values) - 1))]
        print(f"{name:>9}: median {statistics.median(values) * 1000:6.0f} ms   p90 {p90 * 1000:6.0f} ms   "
              f"min {values[0] * 1000:6.0f} ms   ({len(values)} strokes)")
    ratio = statistics.median(times["draw page"]) / statistics.median(times["floor"])
    print(f"ratio draw page / floor (medians): {ratio:.2f}x (goal <= 1.15x)")


if __name__ == "__main__":
    main()
