"""Share a setup by link, in a real browser: change two controls, the address bar follows; the
'Copy link to this setup' link opened in a fresh browser context (another person) shows them, and
Train there gives the same run; a page switch keeps the link; a hostile link gets notes, not errors."""
import re
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import expect

from tests.support.browser import wait_idle

STEP = 60_000
RUN = 300_000


def open_train(page, url):
    page.goto(url)
    expect(page.get_by_role("button", name="Train", exact=True)).to_be_enabled(timeout=STEP)
    wait_idle(page)


def set_text(page, role, name, value):
    box = page.get_by_role(role, name=name, exact=True)
    box.fill(value)
    box.press("Enter")
    wait_idle(page)


def copied_link(page) -> str:
    page.get_by_role("button", name="Copy link to this setup").click()
    code = page.get_by_test_id("stPopoverBody").locator("code")
    expect(code).to_contain_text("/train?", timeout=STEP)
    text = code.inner_text().strip()
    page.keyboard.press("Escape")
    return text


def query_of(url: str) -> dict:
    return {k: v[-1] for k, v in parse_qs(urlparse(url).query).items()}


def test_a_link_restores_two_changed_controls_in_a_fresh_context_and_trains_the_same_run(browser, app_url):
    teacher = browser.new_context(viewport={"width": 1440, "height": 900})
    student = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        page = teacher.new_page()
        open_train(page, app_url + "/train")
        set_text(page, "textbox", "Hidden layers", "32,16")
        set_text(page, "spinbutton", "Epochs", "3")
        page.wait_for_url(re.compile(r"hidden=32%2C16.*epochs=3|epochs=3.*hidden=32%2C16"), timeout=STEP)
        link = copied_link(page)
        assert link.startswith(app_url + "/train?")
        assert query_of(link) == query_of(page.url)  # the address bar is the same link
        assert query_of(link)["hidden"] == "32,16" and query_of(link)["epochs"] == "3" and query_of(link)["seed"] == "0"

        # Another person opens the link: a new browser context shares no session or storage.
        other = student.new_page()
        open_train(other, link)
        expect(other.get_by_role("textbox", name="Hidden layers", exact=True)).to_have_value("32,16")
        expect(other.get_by_role("spinbutton", name="Epochs", exact=True)).to_have_value("3")
        expect(other.locator("[data-testid=stAlert]").filter(has_text="could not be used")).to_have_count(0)

        # Same seed, same run: both press Train and get the same test result, digit for digit.
        results = []
        for p in (page, other):
            p.get_by_role("button", name="Train", exact=True).click()
            expect(p.get_by_text("Finished: 3 of 3 epochs")).to_be_visible(timeout=RUN)
            wait_idle(p)
            results.append([p.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue")
                            .inner_text() for label in ("Test accuracy", "Misclassified")])
        assert results[0] == results[1], results

        # A page switch and back: the setup and its link are still there.
        page.get_by_role("link", name="Draw", exact=True).click()
        wait_idle(page)
        page.get_by_role("link", name="Train", exact=True).click()
        expect(page.get_by_role("textbox", name="Hidden layers", exact=True)).to_have_value("32,16", timeout=STEP)
        page.wait_for_url(re.compile(r"/train\?.*hidden=32%2C16"), timeout=STEP)
        assert query_of(page.url) == query_of(link)
    finally:
        teacher.close()
        student.close()


def test_a_hostile_link_falls_back_to_defaults_with_a_note(page, app_url):
    hostile = ("/train?epochs=1e9&lr=abc&hidden=" + "9" * 5000 + "&activation=%3Cscript%3Ealert(1)%3C/script%3E"
               "&dropout=-1&colour=red&seed=7")
    open_train(page, app_url + hostile)
    note = page.locator("[data-testid=stAlert]").filter(has_text="could not be used")
    expect(note).to_be_visible()
    for words in ("epochs=1e9: not a whole number", "lr=abc: not a number", "hidden=", "longer than 200",
                  "activation=", "dropout=-1", "unknown setting(s): colour"):
        expect(note).to_contain_text(words)
    expect(page.get_by_role("spinbutton", name="Epochs", exact=True)).to_have_value("10")  # the seed preset's
    expect(page.get_by_role("textbox", name="Hidden layers", exact=True)).to_have_value("128,64")
    expect(page.get_by_role("spinbutton", name="Random seed", exact=True)).to_have_value("7")  # the good one is kept
    expect(page.locator("[data-testid=stException]")).to_have_count(0)
    assert "<script" not in page.locator("[data-testid=stMain]").inner_html().lower()  # shown only as safe text
    page.wait_for_url(re.compile(r"epochs=10"), timeout=STEP)  # the address bar now says what is used
    assert "colour" not in page.url


def test_an_explore_link_restores_its_search_space(browser, app_url):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        page = context.new_page()
        page.goto(app_url + "/explore?lr=0.001:0.1&width=16:256&vary=lr,width&trials=7&sampler=random")
        expect(page.get_by_text("Explore hyperparameters")).to_be_visible(timeout=STEP)
        wait_idle(page)
        expect(page.get_by_role("spinbutton", name="Trials", exact=True)).to_have_value("7", timeout=STEP)
        expect(page.get_by_role("slider", name=re.compile("^Width of the first layer — start"))).to_have_attribute(
            "aria-valuetext", "16")
        expect(page.get_by_role("checkbox", name="vary depth")).not_to_be_checked()
        expect(page.get_by_role("checkbox", name="vary width")).to_be_checked()
        # Change one control, press Update link: the address bar carries it.
        box = page.get_by_role("spinbutton", name="Epochs per trial", exact=True)
        box.fill("9")
        box.press("Tab")
        page.get_by_role("button", name="Update link").click()
        page.wait_for_url(re.compile(r"epochs=9"), timeout=STEP)
        query = query_of(page.url)
        assert query["trials"] == "7" and query["sampler"] == "random" and query["vary"] == "lr,width"
        assert query["width"] == "16:256"
    finally:
        context.close()
