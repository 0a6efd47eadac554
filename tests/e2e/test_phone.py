"""The page on a phone (390x844, touch): nothing wider than the screen, every control reachable, and a
digit drawn with a finger on a trained model is read without the page scrolling under the finger."""
from contextlib import closing

import pytest

from a11y_support import horizontal_overflow, phone_app, touch_draw, touch_stroke
from e2e_support import DIGITS

pytestmark = pytest.mark.e2e

TRAINING = dict(iterations=15, train_size=8000)  # as test_model.py: confident on clean strokes

# The page's controls, each by its data-testid or id, and where a finger reaches it (a file input is
# invisible: its label takes the touch).
CONTROLS = """() => [...document.querySelectorAll('button, input, select, textarea, a[href], [tabindex]')]
  .filter((e) => e.getClientRects().length > 0 && e.tabIndex >= 0)
  .map((e) => e.dataset.testid || e.id)"""
REACH = """(name) => {
  const e = document.querySelector(`[data-testid="${name}"]`) || document.getElementById(name);
  const shown = e.type === 'file' ? e.closest('label') : e;
  const r = shown.getBoundingClientRect();
  const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return { left: r.left, right: r.right, width: r.width, height: r.height,
           hits: !!top && (shown.contains(top) || top.contains(shown)) };
}"""
MAIN_CONTROLS = {"preset", "iterations", "train", "pause", "stop", "reset", "export", "import", "draw-canvas", "clear"}


@pytest.fixture(scope="module")
def phone(browser, site_url):
    with closing(phone_app(browser, site_url).open()) as app:
        app.wait_editor()  # the page a moment after Ready: the code panel's plain text has become the editor
        yield app


def test_nothing_overflows_sideways_when_ready(phone):
    scroll_width, width, out = horizontal_overflow(phone.page)
    assert width == 390
    assert scroll_width <= width and not out, out


def test_every_control_is_reachable(phone):
    """Each control lies within the screen's width, is big enough for a finger and, scrolled to, is what a
    finger there touches."""
    names = phone.page.evaluate(CONTROLS)
    assert MAIN_CONTROLS <= set(names), names
    for name in names:
        assert name, f"a control without data-testid or id: {names}"
        control = phone.page.locator(f'[data-testid="{name}"], #{name}').first
        control.scroll_into_view_if_needed()
        hit = phone.page.evaluate(REACH, name)
        assert hit["left"] >= 0 and hit["right"] <= 390, (name, hit)
        assert hit["width"] >= 24 and hit["height"] >= 24, f"{name} is too small for a finger: {hit}"
        assert hit["hits"], f"{name} is covered by another element: {hit}"


def test_touch_drawing_on_a_trained_model(phone):
    app = phone
    app.tid("preset").select_option("tanh-softmax")
    for name, value in TRAINING.items():
        app.set_param(name.replace("_", "-"), value)
    app.tid("train").tap()
    app.wait_status("Done", timeout=240_000)
    assert app.accuracy("test") > 0.8

    pad = app.tid("draw-canvas")
    pad.scroll_into_view_if_needed()
    scrolled = app.page.evaluate("() => window.scrollY")
    assert scrolled > 0, "the pad should sit below the first screen on a phone"
    for digit in (7, 1):  # a 1 is one vertical stroke: the gesture that would scroll the page
        app.page.evaluate("() => { window.__pointerDowns.length = 0; }")
        touch_draw(app, DIGITS[digit])
        app.wait_prediction()
        downs = app.page.evaluate("() => window.__pointerDowns")
        on_pad = [d["type"] for d in downs if d["target"] == "draw-canvas"]
        assert on_pad and set(on_pad) == {"touch"}, downs
        assert app.page.evaluate("() => window.scrollY") == scrolled, "the page scrolled under the finger"
        values = [float(b["p"]) for b in app.probabilities()]
        assert max(range(10), key=values.__getitem__) == digit, values
        assert app.tid("prediction").get_attribute("data-digit") == str(digit)

    # The same finger stroke beside the pad scrolls the page: the pad, not the gesture, keeps it still.
    screen = {"x": 0, "y": 0, "width": 390, "height": 844}
    touch_stroke(app.page, [(0.02, 0.8), (0.02, 0.35)], screen)  # the page's left margin
    app.page.wait_for_function("(y) => window.scrollY !== y", arg=scrolled, timeout=5_000)

    # Trained, with bars and charts shown, the page is still no wider than the phone.
    scroll_width, width, out = horizontal_overflow(app.page)
    assert scroll_width <= width and not out, out
