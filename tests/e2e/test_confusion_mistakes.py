"""From the confusion matrix to the mistakes: after a short run, a click on an off-diagonal cell of
the Train page's confusion matrix narrows the mistakes gallery to that true -> predicted pair, each
shown with its 8x8 input and the model's top three; "Show all mistakes" brings the rest back."""
import re

from playwright.sync_api import expect

from tests.support.browser import wait_idle

STEP = 60_000
RUN = 300_000
CHART = "[class*=_confusion] .js-plotly-plot"  # the matrix's live chart
MISTAKE = ".dl-train_mistakes .dl-mistake"
# The confusion counts (rows: true, columns: predicted) from the chart that has the click targets.
CONFUSION_JS = f"""() => {{
  document.querySelector("[class*=_confusion]")?.scrollIntoView({{block: 'center'}});  // drawn once in view
  const gd = [...document.querySelectorAll('{CHART}')].find(c => c._fullData?.some(t => t.meta === 'cell_targets'));
  return gd ? gd._fullData[0].z.map(r => Array.from(r)) : null; }}"""


def test_click_a_confusion_cell_to_see_only_its_mistakes(page, app_url):
    page.goto(app_url + "/train")
    expect(page.get_by_role("button", name="Train", exact=True)).to_be_enabled(timeout=STEP)
    wait_idle(page)
    box = page.get_by_role("spinbutton", name="Epochs")
    box.fill("1")  # one epoch of the seed network: ~90% right, so a few dozen mistakes to click into
    box.press("Enter")
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.get_by_text("Finished: 1 of 1 epochs")).to_be_visible(timeout=RUN)
    wait_idle(page)
    counts = page.wait_for_function(CONFUSION_JS, timeout=STEP).json_value()
    total_wrong = sum(counts[t][p] for t in range(10) for p in range(10) if t != p)
    assert total_wrong > 0
    expect(page.locator(MISTAKE)).to_have_count(min(total_wrong, 40))  # unfiltered: every mistake

    # The off-diagonal cell with the most mistakes, clicked in the middle of the cell.
    true, predicted = max(((t, p) for t in range(10) for p in range(10) if t != p), key=lambda c: counts[c[0]][c[1]])
    n = counts[true][predicted]
    page.mouse.click(*_cell_centre(page, true, predicted))
    expect(page.get_by_text(f"Mistakes: true {true} → read as {predicted}")).to_be_visible(timeout=STEP)
    wait_idle(page)
    cards = page.locator(MISTAKE)
    expect(cards).to_have_count(min(n, 40))
    for i in range(cards.count()):
        card = cards.nth(i)
        expect(card.locator("img")).to_have_count(1)  # its 8x8 input
        text = card.inner_text()
        assert f"true {true} → {predicted}" in text, text
        top3 = re.findall(r"(\d): (\d+)%", text)
        assert len(top3) == 3 and top3[0][0] == str(predicted), text  # the model's top three, its answer first

    page.get_by_role("button", name="Show all mistakes").click()
    expect(page.get_by_text(f"Mistakes: true {true} → read as {predicted}")).to_have_count(0, timeout=STEP)
    expect(page.locator(MISTAKE)).to_have_count(min(total_wrong, 40))
    expect(page.locator("[data-testid=stException]")).to_have_count(0)


def _cell_centre(page, true: int, predicted: int) -> tuple[float, float]:
    """Where the confusion matrix draws cell (true, predicted), in page pixels (Plotly's own axes),
    once the chart has stopped moving: read while the page still scrolled or settled, the point
    can land on the neighbouring row (CI once clicked 7 -> 1 for 8 -> 1)."""
    point = page.evaluate(f"""async ([t, p]) => {{
      const gd = [...document.querySelectorAll('{CHART}')].find(c => c._fullData?.some(t => t.meta === 'cell_targets'));
      gd.scrollIntoView({{block: 'center'}});
      const frame = () => new Promise(requestAnimationFrame);
      const where = () => {{ const r = gd.getBoundingClientRect(), xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
                             return [r.x + xa._offset + xa.c2p(p), r.y + ya._offset + ya.c2p(t)]; }};
      let last = null, now = where(), still = 0;
      while (still < 5) {{  // the same point over five frames in a row
        await frame(); await frame();
        last = now; now = where();
        still = (now[0] === last[0] && now[1] === last[1]) ? still + 1 : 0;
      }}
      return now; }}""", [true, predicted])
    return point[0], point[1]


def test_on_my_drawings_a_cell_shows_only_its_drawings(page, app_url):
    """Kept drawings with a wrong label make known mistakes: four dataset 1s kept as 7s (the model
    reads them as 1), next to correctly labelled 0s. The 7 -> 1 cell shows exactly those four."""
    from digitlab import drawings
    from digitlab.data import load_splits

    splits = load_splits(val_fraction=0.0)
    ones = splits.x_test[splits.y_test == 1][:4]
    zeros = splits.x_test[splits.y_test == 0][:3]
    kept = [drawings.add(7, grid.reshape(8, 8)) for grid in ones] + [drawings.add(0, g.reshape(8, 8)) for g in zeros]
    try:
        page.goto(app_url + "/my-drawings")
        expect(page.get_by_text("Your drawings", exact=True)).to_be_visible(timeout=STEP)
        wait_idle(page)
        counts = page.wait_for_function(CONFUSION_JS, timeout=STEP).json_value()
        assert counts[7][1] >= 4  # other tests may have kept drawings too: at least ours
        page.mouse.click(*_cell_centre(page, 7, 1))
        expect(page.get_by_text("Mistakes: true 7 → read as 1")).to_be_visible(timeout=STEP)
        wait_idle(page)
        cards = page.locator(".dl-mine_mistakes .dl-mistake")
        expect(cards).to_have_count(counts[7][1])
        for i in range(cards.count()):
            assert "true 7 → 1" in cards.nth(i).inner_text()
    finally:
        drawings.delete(kept)
