"""Upload and download models in the browser: bad files are refused with a reason, good ones
are validated, added and become pickable on the Draw page."""
import pickle

from playwright.sync_api import expect

from tests.support.browser import wait_idle


def open_models(page, app_url):
    page.goto(app_url + "/models")
    expect(page.get_by_text("Add a model")).to_be_visible(timeout=30_000)
    wait_idle(page)


def upload(page, path):
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path))
    page.get_by_role("button", name="Check and add").click()


def test_a_pickle_posing_as_a_model_is_refused(page, app_url, tmp_path):
    evil = tmp_path / "evil.safetensors"
    evil.write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    open_models(page, app_url)
    upload(page, evil)
    expect(page.get_by_text("Not added:")).to_be_visible(timeout=15_000)
    expect(page.get_by_text("not a valid safetensors file")).to_be_visible()


def test_upload_a_model_then_pick_it_on_the_draw_page(page, app_url, models_folder, tmp_path):
    good = tmp_path / "shared-by-a-friend.safetensors"
    good.write_bytes((models_folder / "weak.safetensors").read_bytes())
    open_models(page, app_url)
    upload(page, good)
    expect(page.get_by_text("Added shared-by-a-friend")).to_be_visible(timeout=15_000)
    assert (models_folder / "shared-by-a-friend.safetensors").exists()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download default.safetensors").click()
    assert download.value.suggested_filename == "default.safetensors"
    page.goto(app_url)
    page.get_by_test_id("stSelectbox").first.click(timeout=30_000)
    expect(page.get_by_role("option", name="shared-by-a-friend")).to_be_visible()


def test_plotly_js_is_loaded_as_any_page_opens_and_its_preload_takes_no_room(page, app_url):
    """The Models page draws no live chart: plotly.js arrives anyway (app.py's preload), so no page's
    first chart, and no first click on Train, waits for it to load and run."""
    open_models(page, app_url)
    page.wait_for_function("() => window.Plotly !== undefined && window.__digitlabRehearsed !== undefined",
                           timeout=60_000)
    preload = page.locator(".st-key-plotly_preload")
    expect(preload).to_have_count(1)
    expect(preload).to_be_hidden()
