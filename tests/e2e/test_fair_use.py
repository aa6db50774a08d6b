"""Serving a class, in a real browser, on a server with a small time budget (45 s a job): a huge
job stops at the budget and keeps its model, too big a network is refused before it starts, a
second student in line is told how long at most, and no field or link of the Explore page makes the
server create anything outside its data folder."""
import re
import shutil
import urllib.parse
import uuid

import pytest
from playwright.sync_api import expect

from tests.support.browser import streamlit_app, wait_idle
from tests.support.cli import ROOT

STEP = 60_000
BUDGET = 45  # small, yet long enough for a second page to queue (and a sweep to start) on a slow machine


@pytest.fixture(scope="module")
def budget_app(tmp_path_factory, models_folder):
    data = tmp_path_factory.mktemp("fair-use-data")
    models = tmp_path_factory.mktemp("fair-use-models")
    for path in models_folder.iterdir():
        shutil.copy(path, models / path.name)
    env = {"DIGITLAB_DATA_DIR": str(data), "DIGITLAB_MODELS_DIR": str(models), "DIGITLAB_MAX_JOB_SECONDS": str(BUDGET)}
    with streamlit_app(ROOT / "app.py", env=env) as url:
        yield url, data


def new_page(browser, url):
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(url)
    return page


def open_train(browser, url, epochs: int = 10, hidden: str = "128,64"):
    """The Train page set up by a share link: typing into the controls right after a page opens
    raced its first reruns (in CI the run then trained the seed preset's 10 epochs)."""
    page = new_page(browser, f"{url}/train?{urllib.parse.urlencode({'epochs': epochs, 'hidden': hidden})}")
    wait_idle(page)
    expect(page.get_by_role("spinbutton", name="Epochs")).to_have_value(str(epochs), timeout=STEP)
    expect(page.get_by_role("textbox", name="Hidden layers")).to_have_value(hidden)
    return page


def test_a_huge_job_stops_at_the_budget_keeps_its_model_and_says_why(browser, budget_app):
    url, _ = budget_app
    page = open_train(browser, url, 2000, "1000,900")  # the biggest two layers under the size budget, the most epochs
    try:
        expect(page.get_by_role("button", name="Train", exact=True)).to_be_enabled(timeout=STEP)
        expect(page.get_by_text(re.compile(rf"each job may run up to {BUDGET} s and train at most 1,000,000"))).to_be_visible()
        page.get_by_role("button", name="Train", exact=True).click()
        stopped = page.get_by_text(re.compile(rf"Stopped \(reached this server's time budget of {BUDGET} s per job\): "
                                              r"(\d+) of 2000 epochs"))
        expect(stopped).to_be_visible(timeout=BUDGET * 1000 + STEP)
        expect(page.get_by_test_id("stMetric").filter(has_text="Test accuracy")).to_be_visible(timeout=STEP)
        name = page.get_by_role("textbox", name="Model name")
        name.fill("kept-at-budget")
        name.press("Enter")
        wait_idle(page)
        page.get_by_role("button", name="Save model").click()
        expect(page.get_by_text("Saved as kept-at-budget")).to_be_visible(timeout=STEP)
    finally:
        page.close()


def test_too_big_a_network_is_refused_before_it_starts(browser, budget_app):
    url, _ = budget_app
    page = open_train(browser, url, 10, "4096,4096")
    try:
        expect(page.get_by_text(re.compile(r"at most 1,000,000 parameters; 4096-4096 has 17,088,522"))).to_be_visible()
        expect(page.get_by_role("button", name="Train", exact=True)).to_be_disabled()
    finally:
        page.close()


def test_a_student_in_line_is_told_how_long_at_most(browser, budget_app):
    url, _ = budget_app
    first, second = open_train(browser, url, 2000), open_train(browser, url)
    try:
        for page in (first, second):
            expect(page.get_by_role("button", name="Train", exact=True)).to_be_enabled(timeout=STEP)
        first.get_by_role("button", name="Train", exact=True).click()
        expect(first.get_by_test_id("stProgress")).to_be_visible(timeout=STEP)
        second.get_by_role("button", name="Train", exact=True).click()
        line = second.get_by_text(re.compile(r"Waiting for a free training slot.*Your turn comes within (\d+) s at the latest"))
        expect(line).to_be_visible(timeout=STEP)
        within = int(re.search(r"within (\d+) s", line.inner_text()).group(1))
        assert 0 < within <= BUDGET
        expect(second.get_by_text("Finished: 10 of 10 epochs")).to_be_visible(timeout=BUDGET * 1000 + STEP)  # its turn came
    finally:
        first.close()
        second.close()


def test_no_explore_field_or_link_creates_anything_outside_the_data_folder(browser, budget_app, tmp_path):
    """The old hole: 'journal:/tmp/x/deep/x.log' typed into a Storage field created those folders.
    Storage is the operator's setting now; every text field and a link's ?storage= are tried."""
    url, data = budget_app
    target = tmp_path / f"evil-{uuid.uuid4().hex[:8]}"
    hostile = [f"journal:{target}/deep/x.log", f"sqlite:///{target}/evil.db", "postgresql://10.255.255.1:5/x"]
    query = urllib.parse.urlencode({"storage": hostile[0], "study": hostile[1]})
    page = new_page(browser, f"{url}/explore?{query}")
    try:
        expect(page.get_by_text("Explore hyperparameters")).to_be_visible(timeout=STEP)
        wait_idle(page)
        caption = page.get_by_text(re.compile(r"Studies are stored in"))
        expect(caption).to_contain_text(str(data))  # shown read-only: the server's own folder
        boxes = page.get_by_role("textbox")
        labels = [boxes.nth(i).get_attribute("aria-label") for i in range(boxes.count())]
        assert not [label for label in labels if re.search(r"storage|path|host|url|folder", label or "", re.I)], labels
        for i in range(boxes.count()):  # the fields are in a form: Enter there would start a sweep
            boxes.nth(i).fill(hostile[i % len(hostile)])
        page.get_by_label("Trials", exact=True).fill("1")
        page.get_by_label("Epochs per trial", exact=True).fill("1")
        page.get_by_role("textbox", name=re.compile("Study name")).fill(hostile[0])  # a name, not a place
        page.get_by_role("button", name="Start sweep").click()
        expect(page.get_by_text("1 of 1 trials")).to_be_visible(timeout=3 * STEP)  # a sweep process starts
        assert not target.exists(), sorted(target.rglob("*"))
        assert any(data.iterdir())  # the sweep went where the operator said: the data folder
        expect(page.get_by_text(re.compile(r"Traceback|Exception"))).to_have_count(0)
    finally:
        page.close()
