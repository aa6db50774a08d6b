"""Whose is what, in Chromium, on a server started with DIGITLAB_TEACHER_KEY (a served class): two
browser contexts are two students. A student's kept drawing is theirs: another student does not
see it, and once it is shared sees it without any control to delete it; the teacher (key typed)
deletes it. A browser keeps its id across a reload."""
import pytest
from playwright.sync_api import expect

from tests.support.browser import METRIC, ONE, ROOT, draw, keep_drawing_as, ready_to_draw, streamlit_app, wait_idle

KEY = "e2e-teacher-key-7c1f"
GALLERY_CHECKBOX = "[data-testid=stCheckbox]"


@pytest.fixture(scope="module")
def class_url(models_folder, tmp_path_factory):
    env = {"DIGITLAB_MODELS_DIR": str(models_folder), "DIGITLAB_TEACHER_KEY": KEY,
           "DIGITLAB_DATA_DIR": str(tmp_path_factory.mktemp("class-data"))}
    with streamlit_app(ROOT / "app.py", env=env) as url:
        yield url


@pytest.fixture
def student(browser):
    """A fresh browser profile (its own local storage) per call: one student each."""
    contexts = []

    def new():
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        contexts.append(context)
        return context.new_page()

    yield new
    for context in contexts:
        context.close()


def settled(page):
    """The run is over and every element is drawn: a widget type's first use shows a skeleton while
    its code loads (seconds on one busy core), and a missing control must not be a late one."""
    wait_idle(page)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=30_000)
    expect(page.get_by_test_id("stSkeletonElement")).to_have_count(0, timeout=30_000)


def open_my_drawings(page, url, scope: str = "My drawings"):
    page.goto(url + "/my-drawings")
    # The scope control appears only once the browser has said who it is ("Recognising this browser…" before).
    expect(page.get_by_role("radiogroup", name="Show")).to_be_visible(timeout=60_000)
    wait_idle(page)
    show(page, scope)


def show(page, scope: str):
    """Pick My drawings / Class pool (a reload keeps the Streamlit session, and so the last choice)."""
    choice = page.get_by_role("radio", name=scope, exact=True)
    if choice.get_attribute("aria-checked") != "true":
        choice.click()
    expect(choice).to_have_attribute("aria-checked", "true")
    settled(page)


def keep_a_one(page, url, name: str | None = None):
    page.goto(url)
    ready_to_draw(page, 60_000)
    if name:
        field = page.get_by_role("textbox", name="Your name (optional)")
        field.fill(name)
        field.press("Enter")
        wait_idle(page)
    draw(page, ONE)
    expect(page.locator(METRIC).first).to_have_text("1", timeout=15_000)
    keep_drawing_as(page, 1)


def test_one_student_cannot_delete_anothers_drawing_until_the_teacher_does(student, class_url):
    ann, ben, teacher = student(), student(), student()
    keep_a_one(ann, class_url, name="Ann")
    open_my_drawings(ann, class_url)
    expect(ann.get_by_text("you · private")).to_be_visible()

    open_my_drawings(ben, class_url)
    expect(ben.get_by_text("Nothing kept yet")).to_be_visible()
    show(ben, "Class pool")
    expect(ben.get_by_text("Nothing in the class pool yet")).to_be_visible()
    expect(ben.locator(GALLERY_CHECKBOX)).to_have_count(0)

    # Ann shares it into the class pool.
    ann.locator(GALLERY_CHECKBOX).get_by_text("1 ✓").click()
    ann.get_by_role("button", name="Share 1 with the class").click(timeout=30_000)
    expect(ann.get_by_text("you · shared")).to_be_visible(timeout=15_000)

    # Ben sees it, with her name, and has no control to delete it.
    open_my_drawings(ben, class_url, "Class pool")
    expect(ben.get_by_text("Ann · shared")).to_be_visible(timeout=15_000)
    expect(ben.get_by_text("The class pool", exact=True)).to_be_visible()
    expect(ben.get_by_role("button", name="Delete 0 selected")).to_be_disabled(timeout=30_000)  # drawn after the gallery
    settled(ben)
    expect(ben.locator(GALLERY_CHECKBOX)).to_have_count(0)

    # A wrong key is refused; the right one makes the teacher, who deletes it.
    open_my_drawings(teacher, class_url)
    key = teacher.get_by_role("textbox", name="Teacher key")
    key.fill("not-the-key")
    key.press("Enter")
    expect(teacher.get_by_text("That is not the teacher key.")).to_be_visible(timeout=15_000)
    key.fill(KEY)
    key.press("Enter")
    expect(teacher.get_by_text("Teacher: you manage every drawing and model.")).to_be_visible(timeout=15_000)
    show(teacher, "Everyone's")  # the teacher's own view of every drawing, private ones too
    expect(teacher.get_by_text("Ann · shared")).to_be_visible(timeout=15_000)
    teacher.locator(GALLERY_CHECKBOX).get_by_text("1 ✓").click()
    teacher.get_by_role("button", name="Delete 1 selected").click(timeout=30_000)
    expect(teacher.get_by_text("Nothing kept yet")).to_be_visible(timeout=30_000)  # everyone's: none left

    open_my_drawings(ben, class_url, "Class pool")
    expect(ben.get_by_text("Nothing in the class pool yet")).to_be_visible(timeout=15_000)
    open_my_drawings(ann, class_url)
    expect(ann.get_by_text("Nothing kept yet")).to_be_visible()


def test_a_browser_keeps_its_id_across_a_reload_and_a_new_session(student, class_url):
    page = student()
    keep_a_one(page, class_url)
    browser_id = page.evaluate("localStorage.getItem('digitlab.browser_id')")
    assert browser_id and len(browser_id) >= 22
    page.reload()
    open_my_drawings(page, class_url)
    expect(page.get_by_text("you · private")).to_be_visible()
    assert page.evaluate("localStorage.getItem('digitlab.browser_id')") == browser_id
    # A reload may reconnect to the same Streamlit session; a new tab of the same browser is a new
    # session for certain, which knows this browser only by the id in its local storage.
    tab = page.context.new_page()
    open_my_drawings(tab, class_url)
    expect(tab.get_by_text("you · private")).to_be_visible()
    expect(tab.locator(GALLERY_CHECKBOX)).to_have_count(1)
    assert tab.evaluate("localStorage.getItem('digitlab.browser_id')") == browser_id
    assert browser_id not in tab.content(), "the id itself is never on the page"

    other = student()  # another browser profile: another student, who does not see it
    open_my_drawings(other, class_url)
    expect(other.get_by_text("Nothing kept yet")).to_be_visible()
    assert other.evaluate("localStorage.getItem('digitlab.browser_id')") not in (None, browser_id)
