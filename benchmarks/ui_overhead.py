"""Does training through the Train page cost more than the same config through the CLI?

Side by side, in one run, alternating so both see the same machine load:
  CLI: wall time of `python -m digitlab train --preset P --epochs N`, minus the time the same
       interpreter needs just to start and import the CLI's modules (measured separately), so both
       sides time the same thing: data split, training, test evaluation.
  UI:  in headless Chromium on a real `streamlit run app.py`: click Train on the Train page with the
       same preset, until the test accuracy is shown (live curves polled and redrawn all along).
       Timed on the page's own clock, from the click event to the test accuracy on the page (looked
       for every 100 ms, so up to 0.1 s late). The harness's wall time for the same round (from
       before Playwright's click to its wait seeing the accuracy) is printed beside it: on one
       loaded core Playwright's waits were seen to notice the accuracy 1.1-1.4 s after the page
       showed it, a delay of the harness that the CLI side does not have.
Rounds alternate which side goes first; after a UI round the page is let finish (untimed) before
anything else runs. Prints each time, the medians and the ratio of the medians
UI / CLI (goal: <= 1.10), and the same ratio as the harness saw the UI rounds. The page's curves
are scrolled into view, as a person watching has them. Each UI round also prints where its time
went, on the page's clock: click -> the progress bar shown, -> "Finished", -> the test accuracy,
beside the run's own training time (its "Finished ... in X s" line): what the page adds before the
training shows and after it ends.

Then the cold start, on fresh servers: open the Train page, click Train at once with the seed
preset, until "Finished" shows; then the same in a freshly opened page on the now warm server.
Timed inside the page from the click event to the "Finished" line (and, printed alongside, as the
harness saw it). Goal: the first click <= 1.5 s on the --slow setting (benchmarks/conditions.py).
How long each page took to open is printed too (set-up, not timed). A page that does not open, or
a click whose "Finished" never comes, within WAIT_S is a failed round: it counts as the
slowest possible time in the medians (never dropped) and the run goes on with the next server.

    python benchmarks/ui_overhead.py [--preset seed] [--epochs 300] [--repeats 3] [--cold 3] [--slow]
"""
from __future__ import annotations

import argparse
import math
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.conditions import add_slow_flag, conditions  # noqa: E402
from tests.support.browser import launch, streamlit_app, wait_idle  # noqa: E402

# The limit of every wait that is not a timed one's own: a page opening (a fresh server's Train page
# has taken over 60 s to open on the slow setting), a cold-start click's "Finished", its evaluation.
WAIT_S = 120

# What a CLI run imports before it trains (digitlab.data and .evaluate import scikit-learn where used).
STARTUP = ("import torch; torch.set_num_threads(1); import digitlab.cli, digitlab.train, digitlab.evaluate, "
           "digitlab.store, digitlab.data, tqdm, sklearn.metrics, sklearn.datasets, sklearn.model_selection")


def cli_seconds(preset: str, epochs: int) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "digitlab", "train", "--preset", preset, "--epochs", str(epochs)],
                   cwd=ROOT, check=True, capture_output=True)
    total = time.perf_counter() - start
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", STARTUP], cwd=ROOT, check=True, capture_output=True)
    return total - (time.perf_counter() - start)


def open_until_train_button(page, url: str) -> None:
    page.goto(url + "/train", timeout=WAIT_S * 1000)
    page.get_by_role("button", name="Train", exact=True).wait_for(timeout=WAIT_S * 1000)
    wait_idle(page, timeout=WAIT_S * 1000)


def open_train_page(page, url: str, preset: str, epochs: int) -> None:
    open_until_train_button(page, url)
    page.get_by_test_id("stSelectbox").filter(has_text="Start from a preset").click()
    page.get_by_role("option", name=preset, exact=True).click()
    wait_idle(page)
    epochs_box = page.get_by_role("spinbutton", name="Epochs")
    epochs_box.fill(str(epochs))
    epochs_box.press("Enter")
    wait_idle(page)


def ui_seconds(page) -> tuple[float, dict]:
    """Click Train; wait until this run's test accuracy is on the page. Also where that time went,
    from the page's own clock (ARM_PARTS)."""
    page.evaluate(ARM_PARTS)
    start = time.perf_counter()
    page.get_by_role("button", name="Train", exact=True).click()
    stop = page.get_by_role("button", name="Stop", exact=True)
    # The job is on: Stop shows from the click's own rerun until the job ends, unless a short run
    # has ended within that rerun (then this run's Finished is already there, ARM_PARTS saw it).
    page.wait_for_function(f"() => 'finished' in window.__parts || !!{STOP_BUTTON}", timeout=30_000, polling=100)
    page.evaluate(f"() => {STOP_BUTTON}?.scrollIntoView({{block: 'start'}})")  # the curves under it, in view
    stop.wait_for(state="detached", timeout=600_000)
    page.get_by_test_id("stMetric").filter(has_text="Test accuracy").wait_for(timeout=60_000)
    seconds = time.perf_counter() - start
    parts = page.evaluate("() => window.__parts")
    finished = page.get_by_test_id("stAlert").filter(has_text="Finished").first.inner_text()
    training = re.search(r"in ([0-9.]+) s", finished)
    parts["training"] = float(training.group(1)) if training else math.nan
    return seconds, parts


STOP_BUTTON = "[...document.querySelectorAll('button')].find((b) => b.innerText.trim() === 'Stop')"


# Where a UI round's time goes, on the page's clock from the click event: the progress bar first
# shown (this run has started training and the page has drawn it), this run's "Finished" line, its
# test accuracy. A "Finished" line is this run's once the progress bar has shown, or, for a run
# short enough to end within the click's own rerun (no progress bar, no Stop button), once that
# rerun is over: until then the last run's line can still be on the page. With the run's own
# training time (its "Finished ... in X s" line) the rest is what the page adds around the
# training: before it shows, and after it ends. Looked for every 100 ms (so up to 0.1 s late), not
# by a MutationObserver: observing the whole page through a run's chart redraws cost the training
# about 0.8 s of its 10 s on the slow setting, which no timer this cheap does.
ARM_PARTS = """() => {
  window.__parts = {};
  let clicked = null;
  addEventListener('click', (e) => { clicked = e.timeStamp; }, {capture: true, once: true});
  const shows = (selector, text) => [...document.querySelectorAll(selector)].some((e) => e.textContent.includes(text));
  const parts = window.__parts;
  const script = (state) => document.querySelector(`[data-testid=stApp][data-test-script-state=${state}]`);
  let ran = false, rerunOver = false;
  const timer = setInterval(() => {
    if (clicked === null) return;
    const now = (performance.now() - clicked) / 1000;
    ran = ran || !!script('running');
    rerunOver = rerunOver || (ran && !!script('notRunning'));
    if (!('progress' in parts) && document.querySelector('[data-testid=stProgress]')) parts.progress = now;
    const thisRun = 'progress' in parts || (rerunOver && !STOP_BUTTON);
    if (thisRun && !('finished' in parts) && shows('[data-testid=stAlert]', 'Finished')) parts.finished = now;
    if ('finished' in parts && shows('[data-testid=stMetric]', 'Test accuracy')) { parts.accuracy = now; clearInterval(timer); }
  }, 100);
}""".replace("STOP_BUTTON", STOP_BUTTON)


def on_page_clock(harness_seconds: float, parts: dict | None) -> float:
    """A UI round's time on the page's clock (click -> test accuracy); the harness's own (later
    to see it, so longer) if the page's clock missed the accuracy; infinite for a failed round."""
    if math.isinf(harness_seconds):
        return harness_seconds
    return (parts or {}).get("accuracy", harness_seconds)


def parts_text(parts: dict | None) -> str:
    """'  (in the page: progress shown at 2.52 s, Finished at 13.44 s, test accuracy at 14.57 s; the run's
    own training 11.1 s)', "" for a failed round."""
    if not parts:
        return ""
    at = lambda key: f"{parts[key]:.2f} s" if key in parts else "never"  # noqa: E731
    return (f"  (in the page: progress shown at {at('progress')}, Finished at {at('finished')}, test accuracy at "
            f"{at('accuracy')}; the run's own training {parts.get('training', math.nan):.1f} s)")


def ui_round(page, url: str, args) -> tuple[float, dict | None]:
    """One timed UI run, then the page let finish. A wait that runs out is a failed round
    (infinite: never dropped), and the Train page is opened afresh for the next one."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        seconds, parts = ui_seconds(page)
    except PlaywrightTimeout as exc:
        report_failed(exc)
        open_train_page(page, url, args.preset, args.epochs)
        return math.inf, None
    settle(page)
    return seconds, parts


def report_failed(exc: Exception) -> None:
    print(f"  failed round: {str(exc).splitlines()[0]}", flush=True)


def settle(page) -> None:
    """Untimed, between rounds: the page's script run over and the tab idle. What the page still
    renders after the test accuracy shows (the mistakes, the compare chart) must not run on into
    the CLI's round: that would slow the CLI and flatter the UI."""
    wait_idle(page, timeout=120_000)
    page.evaluate("() => new Promise((done) => requestIdleCallback(() => done(), {timeout: 30000}))")


# Timed inside the page, as draw_latency.py does: from the click event's own time stamp (so a tab
# still busy when the click comes counts against us) to the first moment a "Finished" line is shown.
ARM_CLICK = """(text) => {
  window.__coldSeconds = null;
  let clicked = null;
  addEventListener('click', (e) => { clicked = e.timeStamp; }, {capture: true, once: true});
  const finished = () => [...document.querySelectorAll('[data-testid=stAlert]')].some((a) => a.textContent.includes(text));
  const observer = new MutationObserver(() => {
    if (clicked !== null && finished()) { observer.disconnect(); window.__coldSeconds = (performance.now() - clicked) / 1000; }
  });
  observer.observe(document.body, {subtree: true, childList: true, characterData: true});
}"""
FINISHED = "Finished: 10 of 10 epochs"


def click_to_finished(page, url: str) -> tuple[float, float, float]:
    """Open the Train page, click Train at once (seed preset): seconds from the click to "Finished"
    shown, in the page and as the harness saw it (Playwright's own work included), and seconds the
    page took to open."""
    opening = time.perf_counter()
    open_until_train_button(page, url)
    opened = time.perf_counter() - opening
    assert not page.get_by_text(FINISHED).count(), "a fresh page shows no finished run"
    page.evaluate(ARM_CLICK, FINISHED)
    start = time.perf_counter()
    page.get_by_role("button", name="Train", exact=True).click()
    page.wait_for_function("() => window.__coldSeconds !== null", polling=100, timeout=WAIT_S * 1000)
    harness = time.perf_counter() - start
    seconds = page.evaluate("() => window.__coldSeconds")
    page.get_by_test_id("stMetric").filter(has_text="Test accuracy").wait_for(timeout=WAIT_S * 1000)
    wait_idle(page, timeout=WAIT_S * 1000)
    return seconds, harness, opened


def timed_or_failed(page, url: str) -> tuple[float, float, float]:
    """click_to_finished, or a failed round (infinite times) if a wait ran out."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        return click_to_finished(page, url)
    except PlaywrightTimeout as exc:
        report_failed(exc)
        return math.inf, math.inf, math.inf


def cold_start_seconds(page, url: str) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """On a server nobody has used yet: open the Train page and click Train at once. Then the same
    on the now warm server, in a page opened afresh (so no earlier "Finished" is on it)."""
    return timed_or_failed(page, url), timed_or_failed(page, url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="seed")
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cold", type=int, default=3, help="fresh servers for the cold-start figure")
    add_slow_flag(parser)
    args = parser.parse_args()
    with conditions(args.slow) as setting:
        print(setting)
        run(args)


def run(args) -> None:
    from playwright.sync_api import sync_playwright

    cli, ui, harness, parts = [], [], [], []
    with streamlit_app(ROOT / "app.py") as url, sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        open_train_page(page, url, args.preset, args.epochs)
        for i in range(1, args.repeats + 1):
            if i % 2:
                cli.append(cli_seconds(args.preset, args.epochs))
                seconds, round_parts = ui_round(page, url, args)
            else:
                seconds, round_parts = ui_round(page, url, args)
                cli.append(cli_seconds(args.preset, args.epochs))
            harness.append(seconds), ui.append(on_page_clock(seconds, round_parts)), parts.append(round_parts)
            print(f"repeat {i}: CLI {cli[-1]:.2f} s   UI {ui[-1]:.2f} s (harness {seconds:.2f} s)"
                  f"{parts_text(round_parts)}", flush=True)  # inf: failed
        browser.close()
    med_cli, med_ui = statistics.median(cli), statistics.median(ui)
    print(f"\n{args.preset} preset, {args.epochs} epochs (medians of {args.repeats})")
    print(f"CLI (minus interpreter start-up): {med_cli:.2f} s")
    print(f"UI  (click Train -> test accuracy shown, on the page's clock): {med_ui:.2f} s")
    print(f"ratio UI / CLI: {med_ui / med_cli:.3f}  (goal <= 1.10); failed UI rounds: {sum(map(math.isinf, ui))}")
    print(f"as the harness saw the UI rounds: {statistics.median(harness):.2f} s, "
          f"ratio {statistics.median(harness) / med_cli:.3f}")
    done = [r for r in parts if r and {"progress", "finished", "accuracy"} <= r.keys()]
    if done:  # what the page adds around the training, in the rounds that got that far
        before = statistics.median(r["progress"] for r in done)
        after = statistics.median(r["accuracy"] - r["finished"] for r in done)
        print(f"in the UI rounds (medians of {len(done)}): click -> progress shown {before:.2f} s, "
              f"training (the run's own clock) {statistics.median(r['training'] for r in done):.2f} s, "
              f"Finished -> test accuracy shown {after:.2f} s")

    if args.cold:
        cold_start(args)


def cold_start(args) -> None:
    from playwright.sync_api import sync_playwright

    first, second = [], []
    with sync_playwright() as p:
        browser = launch(p)
        for i in range(args.cold):
            with streamlit_app(ROOT / "app.py") as url:
                page = browser.new_page(viewport={"width": 1440, "height": 900})
                a, b = cold_start_seconds(page, url)
                page.close()
            first.append(a), second.append(b)
            print(f"fresh server {i + 1}: first click -> Finished {a[0]:.2f} s (harness {a[1]:.2f} s), "
                  f"warm server {b[0]:.2f} s (harness {b[1]:.2f} s); pages opened in {a[2]:.1f} s and {b[2]:.1f} s",
                  flush=True)
        browser.close()
    median = lambda runs, k: statistics.median(r[k] for r in runs)  # noqa: E731
    print(f"cold start, seed preset (medians of {args.cold} fresh servers), click -> Finished shown, in the page: "
          f"first click {median(first, 0):.2f} s, on the warm server {median(second, 0):.2f} s  "
          f"(goal: first <= 1.5 s on the slow setting); as the harness saw them: {median(first, 1):.2f} s, "
          f"{median(second, 1):.2f} s; failed rounds: {sum(math.isinf(r[0]) for r in first + second)}")


if __name__ == "__main__":
    main()
