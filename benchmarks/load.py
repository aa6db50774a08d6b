"""Many people at once: 10 browser sessions drawing on one DigitLab server, vs one session alone,
and drawing while 3 other sessions train; and from it, how many students one server holds.

Every session draws digits ("1" and "0" in turn, clearing in between, pausing 0.3-1.5 s between
digits like a person; --lockstep drops the pauses) and must get the right prediction; the figure is
mouse-up -> "Prediction" updated, timed inside each page. A stroke that times out or shows the
wrong digit is a failure: it is counted, printed, and ranks as slower than every success in the
medians and p95s (never dropped). Printed: the single-session and 10-session medians and p95s, the
p95 ratio (goal <= 2x), and the p95 while 3 sessions train at once on the Train page.

The browsers' CPU over the same phase (every Chromium process) is printed beside the server's: here
ten browsers share the server's machine, which a class's browsers don't.

Capacity: the server process's own CPU time (psutil on its PID, not the browsers') over the
10-session phase, divided by the strokes drawn in it (each a digit plus its Clear), is the CPU one
stroke costs. One Streamlit process runs Python on one core, so at one stroke per 2 s per student
it saturates at 2 s / (CPU per stroke) students; it is counted full at 70% busy (queueing delay
grows steeply beyond), which gives students per replica and replicas for a class of 60.

The server gets a temporary DIGITLAB_DATA_DIR (nothing is written to the project's data/). With
--slow the server and every browser share one core with a CPU hog (benchmarks/conditions.py): the
CPU per stroke, and so the students per replica, of a slow classroom server.

    python benchmarks/load.py [--sessions 10] [--strokes 12] [--trainers 3] [--class-size 60] [--slow]
"""
import argparse
import asyncio
import math
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.async_api import async_playwright  # noqa: E402

from benchmarks.conditions import add_slow_flag, conditions  # noqa: E402
from benchmarks.draw_latency import ARM, POLL_MS  # noqa: E402
from benchmarks.server_cpu import browser_cpu_seconds, cpu_seconds, server_process  # noqa: E402
from tests.support.browser import CANVAS, CHROMIUM, CHROMIUM_ARGS, METRIC, ONE, RESET, ROOT, ZERO, streamlit_app  # noqa: E402

DIGITS = (("1", ONE), ("0", ZERO))
# The harness polls every POLL_MS (draw_latency.py says why): with rAF polling all 10 pages would
# render 60 frames a second while they wait.


async def open_draw_page(browser, url: str):
    # A browser context per session, like separate people: pages of one context can share one
    # renderer process, whose single main thread would then serialize every session's updates.
    context = await browser.new_context(viewport={"width": 1366, "height": 800})
    page = await context.new_page()
    await page.goto(url)
    await page.locator(CANVAS).wait_for(state="visible", timeout=120_000)
    await page.locator("[data-testid=stApp][data-test-script-state=notRunning]").wait_for(timeout=120_000)
    # The script's run ending is not the page drawn: on a slow machine a fresh server's page has
    # been seen to show its widgets (the metric read below among them) seconds later, moving the
    # canvas down 28 px after controls() had measured where to draw.
    await page.locator(METRIC).first.wait_for(state="visible", timeout=120_000)
    await settled_layout(page)
    return page


async def settled_layout(page, timeout: float = 120) -> None:
    """Until the canvas's box is the same in two looks half a second apart."""
    deadline, last = time.monotonic() + timeout, None
    while (box := await page.locator(CANVAS).bounding_box()) != last:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the Draw page's layout did not settle within {timeout:g} s")
        last = box
        await page.wait_for_timeout(500)


async def controls(page) -> tuple[dict, tuple[float, float]]:
    """The canvas's box and the centre of its reset button, measured once per session: the page
    doesn't move, and locator actions re-check visibility/stability in every page per digit, CPU
    that 10 sessions would take from the app under test."""
    box = await page.locator(CANVAS).bounding_box()
    await page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # shows the toolbar
    await page.wait_for_timeout(800)  # it slides in: measure where it comes to rest
    reset = await page.locator(RESET).bounding_box()
    return box, (reset["x"] + reset["width"] / 2, reset["y"] + reset["height"] / 2)


async def draw(page, strokes, box: dict) -> None:
    for stroke in strokes:
        await page.mouse.move(box["x"] + stroke[0][0], box["y"] + stroke[0][1])
        await page.mouse.down()
        for x, y in stroke[1:]:
            await page.mouse.move(box["x"] + x, box["y"] + y, steps=3)
        await page.mouse.up()


FLOOR = False  # --floor: the bare canvas app, whose metric counts strokes ("1" after each drawing)


THINK = (0.3, 1.5)  # seconds a person pauses between digits (0 with --lockstep)


FAILED = math.inf  # a timed-out or wrong stroke: ranks behind every answer in the medians and p95s
TIMEOUT_MS = 60_000


async def session(page, strokes: int, wrong: list, seed: int = 0) -> list[float]:
    """Draw `strokes` digits in this session, pausing like a person between them; returns one
    latency in seconds per stroke, FAILED for a stroke whose right answer did not show in time
    (also noted in `wrong` with what the page showed)."""
    rng = random.Random(seed)
    times = []
    box, reset = await controls(page)
    for i in range(strokes):
        await asyncio.sleep(rng.uniform(*THINK))
        expected, path = DIGITS[i % 2]
        expected = "1" if FLOOR else expected
        try:
            await page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            await page.mouse.click(*reset)
            await page.wait_for_function(f"() => document.querySelector('{METRIC}')?.textContent.trim() === '—'",
                                         timeout=TIMEOUT_MS, polling=POLL_MS)
            await page.wait_for_timeout(300)
            await page.evaluate(ARM, [expected, None])
            await draw(page, path, box)
            await page.wait_for_function("() => window.__latency !== null", timeout=TIMEOUT_MS, polling=POLL_MS)
        except Exception as exc:  # a timeout (the clear or the answer never came) or the wrong digit
            try:
                shown = (await page.locator(METRIC).first.inner_text(timeout=5_000)).strip()
            except Exception:
                shown = f"nothing ({type(exc).__name__})"
            wrong.append((expected, shown))
            times.append(FAILED)
            continue
        times.append(await page.evaluate("() => window.__latency") / 1000)
    return times


async def start_training(browser, url: str, epochs: int):
    """A session on the Train page that starts a long run (the Train page's own controls): a
    512-256 network for `epochs` epochs, minutes of work, so it is still going when drawing ends."""
    context = await browser.new_context(viewport={"width": 1366, "height": 900})
    page = await context.new_page()
    # Setting this page up is not what is timed: on the slow setting a Train page opened while
    # another session trains can take a minute to show its controls and to answer each one, past
    # Playwright's default 30 s per action, so its actions get the same 120 s as opening a Draw page.
    page.set_default_timeout(120_000)
    await page.goto(url + "/train")
    for label, value in (("Hidden layers", "512,256"), ("Epochs", str(epochs))):
        box = page.get_by_label(label, exact=True)
        await box.fill(value)
        await box.press("Enter")
    await page.get_by_role("button", name="Train", exact=True).click()
    await page.get_by_role("button", name="Stop").wait_for()  # running, or queued for the slot
    return page


def _ms(seconds: float) -> str:
    return "failed" if seconds == FAILED else f"{seconds * 1000:.0f} ms"


def summary(name: str, times: list[float]) -> float:
    """Median and p95 over every stroke, failures included as the slowest (a p95 that lands on a
    failure prints 'failed')."""
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    failed = sum(t == FAILED for t in ordered)
    median = statistics.median_low(ordered)
    print(f"{name:<34} median {_ms(median):>9}   p95 {_ms(p95):>9}   ({len(ordered)} strokes, {failed} failed)")
    if "-v" in sys.argv:
        print("   ", " ".join(_ms(t) for t in ordered))
    return p95


def ratio(a: float, b: float) -> str:
    return "n/a (a p95 stroke failed)" if FAILED in (a, b) else f"{a / b:.2f}x"


def capacity(cpu_per_stroke: float, class_size: int, every: float = 2.0, busy: float = 0.7) -> None:
    saturated = every / cpu_per_stroke
    per_replica = max(1, math.floor(busy * saturated))
    print(f"server CPU per stroke: {cpu_per_stroke * 1000:.0f} ms (a digit drawn + its Clear, measured over the "
          f"crowd phase)")
    print(f"one replica (one core) at one stroke per {every:g} s per student: saturated at {saturated:.0f} students; "
          f"holds {per_replica} at {busy:.0%} busy")
    print(f"a class of {class_size}: {math.ceil(class_size / per_replica)} replica(s), one core each")


async def run(args) -> None:
    # conditions() (main) has pointed DIGITLAB_DATA_DIR at a temporary folder: kept drawings and the
    # run history never land in the project's data/
    with streamlit_app(ROOT / ("benchmarks/floor_app.py" if FLOOR else "app.py")) as url:
        server = server_process()
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            wrong: list = []
            solo = await open_draw_page(browser, url)
            await session(solo, 2, wrong)  # warm-up
            # The single-session p95 is the yardstick: measured on 3x the strokes, so it isn't just a max.
            single = await session(solo, 3 * args.strokes, wrong)
            pages = [solo] + [await open_draw_page(browser, url) for _ in range(args.sessions - 1)]
            for pg in pages[1:]:
                await controls(pg)  # each page settled (toolbar measured) before the CPU clock starts
            cpu0, browsers0, wall0 = cpu_seconds(server), browser_cpu_seconds(), time.monotonic()
            crowd = [t for ts in await asyncio.gather(*(session(pg, args.strokes, wrong, seed=i) for i, pg in enumerate(pages)))
                     for t in ts]
            crowd_cpu, crowd_wall = cpu_seconds(server) - cpu0, time.monotonic() - wall0
            browsers_cpu = browser_cpu_seconds() - browsers0
            trainers = [await start_training(browser, url, epochs=2000) for _ in range(args.trainers)]
            await asyncio.sleep(3)  # let the runs get going
            busy = await session(solo, args.strokes, wrong)
            running = sum([await t.get_by_role("button", name="Stop").count() for t in trainers])
            await browser.close()  # the training sessions end with it; the server stops their jobs
    p1 = summary("1 session drawing", single)
    p10 = summary(f"{args.sessions} sessions drawing at once", crowd)
    pt = summary(f"1 drawing while {args.trainers} sessions train", busy)
    total = args.strokes * (args.sessions + 4)
    print(f"right predictions: {total - len(wrong)} of {total}" + (f"; wrong or missing: {wrong}" if wrong else ""))
    print(f"p95 ratio {args.sessions} sessions / 1 session: {ratio(p10, p1)} (goal <= 2x)")
    print(f"p95 ratio while {args.trainers} train / 1 session: {ratio(pt, p1)}")
    print(f"crowd phase: {len(crowd)} strokes in {crowd_wall:.0f} s, server CPU {crowd_cpu:.1f} s "
          f"({crowd_cpu / crowd_wall:.0%} of one core; {os.cpu_count()} cores on this machine)")
    print(f"crowd phase, the {args.sessions} browsers' CPU (Chromium, every process): {browsers_cpu:.1f} s, "
          f"{browsers_cpu / crowd_wall:.2f} cores on average: in a class each runs on its own student's machine, "
          f"here they share this one's cores with the server")
    capacity(crowd_cpu / len(crowd), args.class_size)
    if args.trainers:  # one run trains at a time (DIGITLAB_MAX_JOBS, default 1), the others queue
        print(f"training sessions still running or queued when drawing ended: {running} of {args.trainers}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--strokes", type=int, default=12, help="digits each session draws")
    parser.add_argument("--trainers", type=int, default=3)
    parser.add_argument("--class-size", type=int, default=60, help="students to plan replicas for (default 60)")
    parser.add_argument("-v", action="store_true", help="print every latency")
    parser.add_argument("--floor", action="store_true", help="load the bare canvas app instead (a reference)")
    parser.add_argument("--lockstep", action="store_true", help="no pauses: every session lifts the mouse at once")
    add_slow_flag(parser)
    args = parser.parse_args()
    global FLOOR, THINK
    FLOOR = args.floor
    THINK = (0.0, 0.0) if args.lockstep else THINK
    with conditions(args.slow) as setting:
        print(setting)
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
