"""Mouse-up -> "Prediction" updated, for the Draw page vs a floor app, measured side by side.

Starts both apps with the project's .streamlit/config.toml (app.py and benchmarks/floor_app.py,
whose fragment only echoes the stroke count), opens each in headless Chromium, and per trial:
clears the canvas, draws a "1" in one stroke, and times from the browser's mouseup event to the
moment the metric shows the new value (a MutationObserver in the page, so no polling delay).
The two apps are interleaved, alternating which goes first. Goal: ratio <= 1.15.
With --inside the Draw page's "Show inside the network" toggle is on; each trial then also times
until every chart of the panel that is in view has been redrawn for the new drawing ("panel in
view"). Charts out of view are redrawn only when scrolled to (digitlab/ui/live_chart.py): in the
default 1440x900 window most of the panel is below the fold; --height 2100 puts all of it in view.

A stroke whose answer does not come within TIMEOUT_S, or comes wrong, is a failure: it counts as
the slowest possible time in the medians (never dropped) and the failures are printed.
With --slow both apps and the browser share one core with a CPU hog (benchmarks/conditions.py).
With --cost each app's cost per trial (a Clear, then the stroke) is printed too, to see where an
app's extra time goes: its server's CPU time, and how long its tab's main thread was busy
(Chromium's task time, a wall time: on a shared core it includes waiting for the core).

    python benchmarks/draw_latency.py [--trials 40] [--inside [--height 2100]] [--slow] [--cost]
"""
import argparse
import functools
import math
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from benchmarks.conditions import add_slow_flag, conditions  # noqa: E402
from benchmarks.server_cpu import cpu_seconds, server_process  # noqa: E402
from tests.support.browser import INSIDE_CHARTS, METRIC, ONE, ROOT, draw, launch, open_page, reset_canvas, streamlit_app, wait_idle  # noqa: E402

ARM = """([expected, last]) => {
  window.__latency = null; window.__prediction = null;
  let up = null;
  window.addEventListener('mouseup', () => { up = performance.now(); }, {capture: true, once: true});
  // `last`: a selector of live charts; those in view once the prediction shows (the page may have
  // grown since the stroke began) must all have been redrawn after the mouseup too. How many that
  // was is reported: with none in view there is nothing to wait for.
  const inView = (d) => { const r = d.getBoundingClientRect(); return r.top < innerHeight && r.bottom > 0; };
  const redrawn = () => {
    const shown = last ? [...document.querySelectorAll(last)].filter(inView) : [];
    window.__charts = shown.length;
    return shown.every(d => Number(d.dataset.drawnAt) > up);
  };
  const check = () => {
    const el = document.querySelector('%s');
    const shows = up !== null && el && el.textContent.trim() === expected;
    if (shows && window.__prediction === null) window.__prediction = performance.now() - up;
    if (shows && redrawn()) {
      observer.disconnect();
      window.__latency = performance.now() - up;
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document.body, {subtree: true, childList: true, characterData: true,
                                   attributes: true, attributeFilter: ['data-drawn-at']});
}""" % METRIC
TIMEOUT_S = 15  # a stroke not answered by then is a failure
# The harness polls every 50 ms, not on every animation frame (Playwright's default for
# wait_for_function): rAF polling makes the tab render 60 frames a second while it waits, work a
# person's browser doesn't do, on the core the app under test shares on the slow setting. The
# latency itself is timed inside the page by a MutationObserver, so polling doesn't change it.
POLL_MS = 50
INSIDE_LAST = ", ".join(f".st-key-{key} .dl-live-chart" for key in INSIDE_CHARTS)  # every chart of the panel


def one_trial(page, last: str | None = None) -> tuple[float, float, int]:
    """Clear, then draw a '1'; seconds from mouseup to (the metric reading '1', that and every
    chart matching `last` in view redrawn), and how many charts were in view. Without `last` both
    times are the same."""
    reset_canvas(page)
    page.wait_for_function(f"() => document.querySelector('{METRIC}')?.textContent.trim() === '—'", timeout=15_000)
    wait_idle(page)
    page.wait_for_timeout(300)  # let the reset's own rerun settle completely
    page.evaluate(ARM, ["1", last])
    draw(page, ONE)
    try:
        page.wait_for_function("() => window.__latency !== null", timeout=TIMEOUT_S * 1000, polling=POLL_MS)
    except PlaywrightTimeout:  # no answer, or not "1": a failure, counted as the slowest time
        return math.inf, math.inf, 0
    prediction, complete, charts = page.evaluate("() => [window.__prediction, window.__latency, window.__charts]")
    return prediction / 1000, complete / 1000, charts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    # 40, not 20: on the slow setting one stroke's time spreads by tens of ms (the core is shared
    # with the hog and the browser), and a median of 20 moved by ~4% between runs of the same code.
    parser.add_argument("--trials", type=int, default=40, help="strokes per app (default 40)")
    parser.add_argument("--inside", action="store_true", help="Draw page with 'Show inside the network' on")
    parser.add_argument("--height", type=int, default=900, help="browser window height in pixels (width 1440)")
    parser.add_argument("--cost", action="store_true",
                        help="also print each app's cost per trial: its server's CPU time and its tab's "
                             "main-thread task time (the tabs then count their tasks, in the timed trials too)")
    add_slow_flag(parser)
    args = parser.parse_args()
    with conditions(args.slow) as setting:
        print(setting)
        run(args)


class Cost:
    """What one app costs during a trial: its server process's CPU time, and its browser tab's
    main-thread task time (Chromium's TaskDuration, per tab: each page has its own context, so its
    own renderer process)."""

    def __init__(self, page, script: Path):
        self.server = server_process(script)
        self.tab = page.context.new_cdp_session(page)
        self.tab.send("Performance.enable")
        self.server_ms, self.tab_ms = [], []

    def now(self) -> tuple[float, float]:
        metrics = {m["name"]: m["value"] for m in self.tab.send("Performance.getMetrics")["metrics"]}
        return cpu_seconds(self.server), metrics["TaskDuration"]

    def measure(self, trial):
        server0, tab0 = self.now()
        result = trial()
        server1, tab1 = self.now()
        self.server_ms.append((server1 - server0) * 1000)
        self.tab_ms.append((tab1 - tab0) * 1000)
        return result


def run(args) -> None:
    scripts = {"draw page": ROOT / "app.py", "floor": ROOT / "benchmarks" / "floor_app.py"}
    with streamlit_app(scripts["draw page"]) as app_url, streamlit_app(scripts["floor"]) as floor_url, \
            sync_playwright() as p:
        browser = launch(p)
        pages = {"draw page": open_page(browser, app_url, height=args.height),
                 "floor": open_page(browser, floor_url, height=args.height)}
        last = {"draw page": INSIDE_LAST if args.inside else None, "floor": None}
        if args.inside:
            pages["draw page"].get_by_text("Show inside the network").click()
            wait_idle(pages["draw page"])
        for name, page in pages.items():  # warm-up: first stroke loads the model, caches, etc.
            one_trial(page, last[name])
        costs = {name: Cost(page, scripts[name]) for name, page in pages.items()} if args.cost else {}
        trials = {name: [] for name in pages}
        for i in range(args.trials):
            order = list(pages) if i % 2 == 0 else list(pages)[::-1]
            for name in order:
                trial = functools.partial(one_trial, pages[name], last[name])
                trials[name].append(costs[name].measure(trial) if costs else trial())
        browser.close()
    times = {"draw page": [t[0] for t in trials["draw page"]], "floor": [t[0] for t in trials["floor"]]}
    if args.inside:
        times["panel in view"] = [t[1] for t in trials["draw page"]]
    for name, values in times.items():
        values.sort()
        p90 = values[int(0.9 * (len(values) - 1))]
        failed = sum(math.isinf(v) for v in values)
        print(f"{name:>13}: median {statistics.median(values) * 1000:6.0f} ms   p90 {p90 * 1000:6.0f} ms   "
              f"min {values[0] * 1000:6.0f} ms   ({len(values)} strokes, {failed} failed)")
    floor = statistics.median(times["floor"])
    label = "draw page, inside the network on," if args.inside else "draw page"
    print(f"ratio {label} prediction / floor (medians): {statistics.median(times['draw page']) / floor:.2f}x (goal <= 1.15x)")
    for name, cost in costs.items():
        print(f"{name:>13}: per trial (a Clear, then the stroke), medians: server CPU {statistics.median(cost.server_ms):5.0f} ms   "
              f"its tab's main thread busy {statistics.median(cost.tab_ms):5.0f} ms")
    if args.inside:
        charts = sorted({t[2] for t in trials["draw page"]})
        print(f"ratio panel charts in view redrawn / floor (medians): {statistics.median(times['panel in view']) / floor:.2f}x"
              f"   ({'/'.join(map(str, charts))} of {len(INSIDE_CHARTS)} charts in view, window 1440x{args.height})")


if __name__ == "__main__":
    main()
