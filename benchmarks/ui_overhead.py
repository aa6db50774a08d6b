"""Does training through the Train page cost more than the same config through the CLI?

Side by side, in one run, alternating so both see the same machine load:
  CLI: wall time of `python -m digitlab train --preset P --epochs N`, minus the time the same
       interpreter needs just to start and import the CLI's modules (measured separately), so both
       sides time the same thing: data split, training, test evaluation.
  UI:  in headless Chromium on a real `streamlit run app.py`: click Train on the Train page with the
       same preset, until the test accuracy is shown (live curves polled and redrawn all along).
Prints each time, the best of each and the ratio UI / CLI (goal: <= 1.10).

    python benchmarks/ui_overhead.py [--preset default] [--epochs 100] [--repeats 2]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.browser import launch, streamlit_app, wait_idle  # noqa: E402

STARTUP = ("import torch; torch.set_num_threads(1); import digitlab.cli, digitlab.train, digitlab.evaluate, "
           "digitlab.store, digitlab.data, tqdm, sklearn.metrics")


def cli_seconds(preset: str, epochs: int) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "digitlab", "train", "--preset", preset, "--epochs", str(epochs)],
                   cwd=ROOT, check=True, capture_output=True)
    total = time.perf_counter() - start
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", STARTUP], cwd=ROOT, check=True, capture_output=True)
    return total - (time.perf_counter() - start)


def open_train_page(page, url: str, preset: str, epochs: int) -> None:
    page.goto(url + "/train")
    page.get_by_role("button", name="Train", exact=True).wait_for(timeout=60_000)
    wait_idle(page)
    page.get_by_test_id("stSelectbox").filter(has_text="Start from a preset").click()
    page.get_by_role("option", name=preset, exact=True).click()
    wait_idle(page)
    epochs_box = page.get_by_role("spinbutton", name="Epochs")
    epochs_box.fill(str(epochs))
    epochs_box.press("Enter")
    wait_idle(page)


def ui_seconds(page) -> float:
    """Click Train; wait until this run's test accuracy is on the page."""
    start = time.perf_counter()
    page.get_by_role("button", name="Train", exact=True).click()
    stop = page.get_by_role("button", name="Stop", exact=True)
    stop.wait_for(timeout=30_000)  # the job is on: shown from the click's own rerun until the job ends
    stop.wait_for(state="detached", timeout=600_000)
    page.get_by_test_id("stMetric").filter(has_text="Test accuracy").wait_for(timeout=60_000)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="default")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    cli, ui = [], []
    with tempfile.TemporaryDirectory() as models, streamlit_app(ROOT / "app.py", env={"DIGITLAB_MODELS_DIR": models}) as url, \
            sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        open_train_page(page, url, args.preset, args.epochs)
        for i in range(1, args.repeats + 1):
            cli.append(cli_seconds(args.preset, args.epochs))
            ui.append(ui_seconds(page))
            print(f"repeat {i}: CLI {cli[-1]:.2f} s   UI {ui[-1]:.2f} s", flush=True)
        browser.close()
    best_cli, best_ui = min(cli), min(ui)
    print(f"\n{args.preset} preset, {args.epochs} epochs (best of {args.repeats}; median CLI "
          f"{statistics.median(cli):.2f} s, UI {statistics.median(ui):.2f} s)")
    print(f"CLI (minus interpreter start-up): {best_cli:.2f} s")
    print(f"UI  (click Train -> test accuracy shown): {best_ui:.2f} s")
    print(f"ratio UI / CLI: {best_ui / best_cli:.3f}  (goal <= 1.10)")


if __name__ == "__main__":
    main()
