"""Issue 19 in a real browser: every page by its URL, confirming the guess with one click, CSV
export -> import, a bad upload refused with no page broken, a diverged run called out and not
saved, and a crash that shows no traceback (the details go to the server log)."""
import math
import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import (METRIC, ONE, ROOT, draw, draw_many_points, keep_button, keep_label, open_keep_form,
                                   ready_to_draw, streamlit_app, wait_idle)
from tests.support.model_files import genuine_model_bytes, with_metadata

EXCEPTION = "[data-testid=stException]"


@pytest.fixture(scope="module")
def app_url(models_folder, tmp_path_factory):
    """This module's own drawings database, so counts on My drawings are ours alone."""
    env = {"DIGITLAB_MODELS_DIR": str(models_folder), "DIGITLAB_DATA_DIR": str(tmp_path_factory.mktemp("data19"))}
    with streamlit_app(ROOT / "app.py", env=env) as url:
        yield url


@pytest.mark.parametrize("path, heading", [("", "Draw a digit"), ("/draw", "Draw a digit"), ("/train", "Train a network"),
                                           ("/explore", "Explore hyperparameters"), ("/my-drawings", "My drawings"),
                                           ("/models", "Models")])
def test_every_page_opens_by_its_url(page, app_url, path, heading):
    page.goto(app_url + path)
    expect(page.get_by_role("heading", name=heading)).to_be_visible(timeout=60_000)
    wait_idle(page)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    expect(page.locator(EXCEPTION)).to_have_count(0)


def open_draw(page, app_url):
    page.goto(app_url)
    ready_to_draw(page, 60_000)


def test_clicking_the_guessed_label_confirms_it_and_keeps_the_drawing(page, app_url):
    open_draw(page, app_url)
    draw(page, ONE)
    expect(page.locator(METRIC).first).to_have_text("1", timeout=15_000)
    open_keep_form(page)
    expect(keep_label(page, 1)).to_be_checked()
    keep_label(page, 1).click()  # confirm the guess: before, this deselected it and disabled Keep
    wait_idle(page)
    expect(keep_label(page, 1)).to_be_checked()
    keep = keep_button(page)
    expect(keep).to_be_enabled()
    keep.click()
    expect(page.get_by_text("Kept as a 1")).to_be_visible(timeout=15_000)
    page.goto(app_url + "/my-drawings")
    expect(page.get_by_test_id("stCheckbox").get_by_text("1 ✓")).to_be_visible(timeout=30_000)


def scribble(y0: float, points: int = 2000) -> list[tuple[float, float]]:
    """A long zigzag, every point of it: what a child scribbling across the canvas sends."""
    return [(30 + 220 * (0.5 + 0.5 * math.sin(i / 15)), y0 + i * 70 / points) for i in range(points)]


def test_long_scribbles_export_and_import_back_skipping_duplicates(page, app_url, tmp_path):
    open_draw(page, app_url)
    draw_many_points(page, [scribble(20), scribble(100), scribble(180)])
    expect(page.locator(METRIC).first).not_to_have_text("—", timeout=15_000)
    wait_idle(page)
    open_keep_form(page)
    keep_button(page).click()
    expect(page.get_by_text("Kept as a")).to_be_visible(timeout=15_000)

    page.goto(app_url + "/my-drawings")
    expect(page.get_by_text("Your drawings", exact=True)).to_be_visible(timeout=30_000)
    page.get_by_text("Export or import (CSV)").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download all as CSV").click()
    csv_file = tmp_path / "mine.csv"
    download.value.save_as(csv_file)
    assert csv_file.stat().st_size > 131072, "long strokes: over the csv module's default field limit"
    kept = re.search(r"(\d+) drawings ·", page.get_by_text(re.compile(r"\d+ drawings ·")).inner_text()).group(1)

    def import_it():
        wait_idle(page)  # a rerun's stale elements are gone: one uploader
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(csv_file))
        page.get_by_role("button", name="Import", exact=True).click()

    import_it()
    expect(page.get_by_text(f"Imported 0 drawing(s). Skipped {kept} already kept")).to_be_visible(timeout=15_000)

    for box in page.get_by_test_id("stCheckbox").all():  # delete them all, then import the file back
        box.click()
        wait_idle(page)
    page.get_by_role("button", name=re.compile(r"Delete \d+ selected")).click()
    expect(page.get_by_text("Nothing kept yet")).to_be_visible(timeout=15_000)
    expect(page.get_by_text("Import drawings from a CSV")).to_be_visible()  # open when nothing is kept
    import_it()
    expect(page.get_by_text(f"Imported {kept} drawing(s).")).to_be_visible(timeout=15_000)
    expect(page.get_by_text(f"{kept} drawings ·")).to_be_visible()  # the page refreshed with them
    expect(page.locator(EXCEPTION)).to_have_count(0)


def test_an_upload_with_wrong_metadata_is_refused_and_every_page_still_works(page, app_url, tmp_path):
    bad = tmp_path / "broken-metrics.safetensors"
    bad.write_bytes(with_metadata(genuine_model_bytes(), lambda m: m.__setitem__("metrics", ["a"])))
    page.goto(app_url + "/models")
    expect(page.get_by_text("Add a model")).to_be_visible(timeout=30_000)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(bad))
    page.get_by_role("button", name="Check and add").click()
    expect(page.get_by_text("Not added:")).to_be_visible(timeout=15_000)
    expect(page.get_by_text("metrics: ['a'] is not of type 'object'")).to_be_visible()
    for path, heading in (("/draw", "Draw a digit"), ("/train", "Train a network"), ("/models", "Models")):
        page.goto(app_url + path)
        expect(page.get_by_role("heading", name=heading)).to_be_visible(timeout=30_000)
        wait_idle(page)
        expect(page.locator(EXCEPTION)).to_have_count(0)


def test_a_diverged_run_is_called_out_and_not_saved(page, app_url, models_folder):
    page.goto(app_url + "/train")
    expect(page.get_by_role("button", name="Train", exact=True)).to_be_enabled(timeout=60_000)
    wait_idle(page)
    page.get_by_role("textbox", name="Hidden layers").fill("16")
    page.get_by_role("textbox", name="Hidden layers").press("Enter")
    wait_idle(page)
    page.get_by_test_id("stSelectbox").filter(has_text="Optimizer").click()
    page.get_by_role("option", name="momentum", exact=True).click()
    wait_idle(page)
    page.get_by_role("slider", name="Learning rate (log scale)").press("End")  # 10, the largest
    wait_idle(page)
    box = page.get_by_role("spinbutton", name="Epochs")
    box.fill("3")
    box.press("Enter")
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.get_by_text(re.compile(r"Training diverged: the loss became nan"))).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Finished: 3 of 3 epochs")).to_be_visible(timeout=60_000)
    page.get_by_role("textbox", name="Model name").fill("boom")
    page.get_by_role("textbox", name="Model name").press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Save model").click()
    expect(page.get_by_text(re.compile("Not saved: .*NaN or infinite"))).to_be_visible(timeout=15_000)
    expect(page.get_by_role("button", name=re.compile("Use boom"))).to_have_count(0)
    assert not (models_folder / "boom.safetensors").exists()


def test_a_crash_shows_no_traceback_and_is_logged_on_the_server(browser, tmp_path):
    script = tmp_path / "crash.py"
    script.write_text("raise RuntimeError('secret detail at /srv/digitlab/app.py')\n")
    log = tmp_path / "server.log"
    with streamlit_app(script, log_path=log) as url:  # cwd is the project: its .streamlit/config.toml applies
        page = browser.new_page()
        try:
            page.goto(url)
            expect(page.locator(EXCEPTION)).to_be_visible(timeout=60_000)
            expect(page.locator(EXCEPTION)).not_to_contain_text("secret detail")
            expect(page.locator(EXCEPTION)).not_to_contain_text("RuntimeError")
            expect(page.locator(EXCEPTION)).not_to_contain_text("crash.py")
        finally:
            page.close()
    text = log.read_text()
    assert "Traceback" in text and "RuntimeError: secret detail at /srv/digitlab/app.py" in text
