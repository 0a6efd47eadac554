"""The page from the keyboard alone: Tab reaches every control in reading order with a focus ring that
shows, a run is set up, started, paused, resumed and stopped with keys, and the drawing pad is cleared
with keys. Focus is never dropped when the focused button is disabled under it."""
from contextlib import closing

import pytest

from a11y_support import focus_name, from_the_top, tab_walk, unfocused_ring
from e2e_support import DIGITS, App

pytestmark = pytest.mark.e2e

# At Ready, with no model: Pause, Stop and Export are disabled and out of the tab order.
READY_ORDER = ["preset", "iterations", "alpha", "train", "reset", "import", "draw-canvas", "clear"]


@pytest.fixture(scope="module")
def app(browser, site_url):
    with closing(App(browser, site_url).open()) as opened:
        yield opened


def tab_to(page, name, limit=80):
    """Tab from the top of the page to the control `name` (a data-testid or id)."""
    from_the_top(page)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focus_name(page) == name:
            return
    raise AssertionError(f"Tab never reached {name}")


def in_order(names, expected):
    """`expected` appears in `names` in this order (other stops may come between)."""
    positions = [names.index(n) if n in names else -1 for n in expected]
    return -1 not in positions and positions == sorted(positions)


def ink(page):
    return page.evaluate("""() => {
        const c = document.querySelector('[data-testid=draw-canvas]');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let s = 0; for (let i = 3; i < d.length; i += 4) s += d[i]; return s;
    }""")


def phase(page):
    return page.evaluate("() => window.__pynet.phase()")


def test_tab_order_and_visible_focus(app):
    stops = tab_walk(app.page)
    names = [s["name"] for s in stops]
    assert in_order(names, READY_ORDER), names
    params = app.page.evaluate("() => [...document.querySelectorAll('#params-grid input')].map(e => e.dataset.testid)")
    assert params and in_order(names, ["preset", *params, "train"]), (params, names)
    assert_rings(app.page, stops)


def assert_rings(page, stops):
    """Every stop of a tab walk was :focus-visible and drawn with a ring it does not have unfocused."""
    for stop in stops:
        assert stop["visible"], f"{stop['name']} is focused without :focus-visible (walk: {stops})"
        assert stop["ring"] != unfocused_ring(page, stop["name"]), f"{stop['name']} shows no focus ring: {stop['ring']}"


def test_training_from_the_keyboard(app):
    page = app.page
    tab_to(page, "preset")
    options = page.evaluate("() => [...document.querySelectorAll('#preset option')].map(o => o.value)")
    page.keyboard.press("End")  # a select changes its value with keys, without opening
    assert app.tid("preset").input_value() == options[-1]
    page.keyboard.press("Home")
    assert app.tid("preset").input_value() == options[0]
    app.tid("preset").select_option("tanh-softmax")
    for name, value in (("iterations", "2000"), ("train-size", "1000")):
        tab_to(page, name)
        page.keyboard.press("Control+A")
        page.keyboard.type(value)
    assert app.tid("iterations").input_value() == "2000"

    tab_to(page, "train")
    page.keyboard.press("Enter")
    page.wait_for_function("() => window.__pynet.phase() === 'training'", timeout=30_000)
    # Train is disabled under the focus: focus moves on to Pause, the next thing to press.
    page.wait_for_function("() => document.activeElement.dataset.testid === 'pause'", timeout=5_000)

    page.keyboard.press("Space")
    app.wait_status("Paused")
    assert app.tid("pause").get_attribute("aria-pressed") == "true"
    # Pause was disabled while its request was on its way: focus comes back to it.
    page.wait_for_function("() => document.activeElement.dataset.testid === 'pause'", timeout=5_000)
    # Paused, the run's controls are in the tab order, in reading order, each with its focus ring.
    stops = tab_walk(page)
    names = [s["name"] for s in stops]
    assert in_order(names, ["pause", "stop", "reset", "export", "draw-canvas", "clear"]), names  # no Import mid-run
    assert_rings(page, stops)
    tab_to(page, "pause")
    page.keyboard.press("Space")
    app.wait_status("Training")
    assert app.tid("pause").get_attribute("aria-pressed") == "false"

    page.wait_for_function("() => document.activeElement.dataset.testid === 'pause'", timeout=5_000)
    page.keyboard.press("Tab")
    assert focus_name(page) == "stop"
    page.keyboard.press("Enter")
    app.wait_status("Stopped")
    # Stop is disabled under the focus once the run is over: focus goes to Train, the group's first control.
    page.wait_for_function("() => document.activeElement.dataset.testid === 'train'", timeout=5_000)

    # Enter in a field starts a run too; the field is disabled under the focus, which goes to Pause.
    tab_to(page, "iterations")
    page.keyboard.press("Enter")
    page.wait_for_function("() => window.__pynet.phase() === 'training'", timeout=30_000)
    page.wait_for_function("() => document.activeElement.dataset.testid === 'pause'", timeout=5_000)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    app.wait_status("Stopped")

    # With a model, Pause (disabled again), Stop and Export: Export is in the tab order now.
    names = [s["name"] for s in tab_walk(page)]
    assert in_order(names, ["train", "reset", "export", "import", "draw-canvas", "clear"]), names


def test_focus_moved_on_while_a_control_is_disabled_is_not_taken_back(app):
    # Pause is disabled while its request is on its way. Someone who tabs on meanwhile, then leaves the
    # page's controls (focus back on the body), is not pulled back to Pause once the page settles.
    page = app.page
    app.train("tanh-softmax", iterations=2000, train_size=1000)
    tab_to(page, "pause")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.evaluate("() => document.activeElement.blur()")
    app.wait_status("Paused")
    # Nothing to wait for: the focus keeper settles 250 ms after the buttons last changed (SETTLE_MS in
    # web/js/ui/focus-keeper.js), and what is checked is that it did not move the focus by then.
    page.wait_for_timeout(1_000)
    assert page.evaluate("() => document.activeElement === document.body"), focus_name(page)
    app.tid("stop").click()
    app.wait_status("Stopped")


@pytest.mark.parametrize("control, key", [("draw-canvas", "Delete"), ("draw-canvas", "Backspace"),
                                          ("draw-canvas", "Escape"), ("clear", "Enter"), ("clear", "Space")])
def test_pad_clears_from_the_keyboard(app, control, key):
    """On the focused pad, Delete, Backspace or Escape clears it; so does Clear, pressed with keys."""
    app.draw(DIGITS[1])
    assert ink(app.page) > 0
    tab_to(app.page, control)
    app.page.keyboard.press(key)
    assert ink(app.page) == 0
    assert app.tid("draw-canvas").get_attribute("data-empty") == "true"
