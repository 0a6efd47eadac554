"""A trained model in use: drawn digits recognised, clear, screenshot, export / import, reset."""
import os

import pytest

from e2e_support import DIGITS, REPO, App

pytestmark = pytest.mark.e2e

# 8,000 training images for 15 iterations: ~90% test accuracy in ~15 s, and confident on clean strokes.
TRAINING = dict(iterations=15, train_size=8000)


@pytest.fixture(scope="module")
def trained(browser, site_url):
    app = App(browser, site_url).open()
    app.train("tanh-softmax", **TRAINING)
    app.wait_status("Done", timeout=240_000)
    assert app.accuracy("test") > 0.8
    yield app
    app.close()


def read_prediction(app):
    app.wait_prediction()
    bars = app.probabilities()
    values = [float(b["p"]) for b in bars]
    return bars, values


@pytest.mark.parametrize("digit", [1, 0, 7])
def test_drawn_digit_is_recognised(trained, digit):
    app = trained
    app.draw(DIGITS[digit])
    bars, values = read_prediction(app)
    assert [b["digit"] for b in bars] == [str(d) for d in range(10)]
    assert abs(sum(values) - 1) < 1e-3
    top = max(range(10), key=values.__getitem__)
    assert top == digit, f"drew a {digit}, got {top}: {values}"
    assert app.tid("prediction").get_attribute("data-digit") == str(digit)
    # The bars are drawn to scale: the top digit's bar fills its share of the track.
    fill, track = app.page.evaluate("""d => {
        const row = document.querySelector(`[data-testid=probabilities] > [data-digit="${d}"]`);
        return [row.querySelector('.fill').getBoundingClientRect().width, row.querySelector('.track').getBoundingClientRect().width];
    }""", str(digit))
    assert track > 0 and abs(fill / track - values[digit]) < 0.05, (fill, track, values[digit])
    assert app.tid("prediction").text_content().strip().startswith(str(digit))


def test_small_off_centre_digit_is_normalised(trained):
    """MNIST preprocessing: a small 7 in a corner is cropped, scaled and centred like a big one."""
    app = trained
    small_seven = [[(0.08 + x * 0.35, 0.05 + y * 0.35) for x, y in DIGITS[7][0]]]
    app.draw(small_seven)
    _, values = read_prediction(app)
    assert max(range(10), key=values.__getitem__) == 7, values
    # The 28x28 preview holds the centred digit: ink's centre of mass near the middle.
    com = app.page.evaluate("""() => {
        const c = document.querySelector('[data-testid=preview]');
        const d = c.getContext('2d').getImageData(0, 0, 28, 28).data;
        let m = 0, x = 0, y = 0;
        for (let i = 0; i < 784; i++) { const v = d[i * 4]; m += v; x += v * (i % 28 + .5); y += v * (Math.floor(i / 28) + .5); }
        return [x / m, y / m];
    }""")
    assert abs(com[0] - 14) < 1.5 and abs(com[1] - 14) < 1.5, com


def test_clear_empties_canvas_and_bars(trained):
    app = trained
    app.draw(DIGITS[0])
    read_prediction(app)
    app.tid("clear").click()
    app.page.wait_for_function("() => document.querySelectorAll('[data-testid=probabilities] > *').length === 0")
    ink = app.page.evaluate("""() => {
        const c = document.querySelector('[data-testid=draw-canvas]');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let s = 0; for (let i = 3; i < d.length; i += 4) s += d[i]; return s;
    }""")
    assert ink == 0
    assert app.tid("prediction").text_content().strip() == ""


def test_screenshot_for_the_readme(trained, tmp_path):
    # The README's picture is refreshed only on request (PYNET_UPDATE_SCREENSHOT=1), so that a test run
    # leaves the checkout as it found it.
    app = trained
    app.draw(DIGITS[7])
    read_prediction(app)
    app.page.wait_for_timeout(300)  # let the bar transitions settle
    update = os.environ.get("PYNET_UPDATE_SCREENSHOT") == "1"
    target = REPO / "tests" / "e2e" / "screenshot.png" if update else tmp_path / "screenshot.png"
    app.page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 20_000


def test_export_then_import_into_a_fresh_worker(trained, tmp_path):
    app = trained
    app.draw(DIGITS[7])
    _, before = read_prediction(app)

    with app.page.expect_download() as info:
        app.tid("export").click()
    download = info.value
    assert download.suggested_filename == "pynet-tanh-softmax.npz"
    model = tmp_path / download.suggested_filename
    download.save_as(model)
    assert model.read_bytes()[:2] == b"PK"  # an .npz is a zip archive

    # A fresh worker has no model...
    app.tid("reset").click()
    app.wait_status("Ready", timeout=90_000)
    assert app.page.evaluate("window.__pynet.hasModel()") is False
    assert app.tid("export").is_disabled()
    app.draw(DIGITS[7])
    app.page.wait_for_timeout(300)
    assert app.probabilities() == []
    assert "Train or import a model" in app.tid("predict-hint").text_content()
    assert app.tid("predict-hint").is_visible()

    # ...until the exported file is imported: the same drawing gets the same answer.
    app.tid("import").set_input_files(str(model))
    app.page.wait_for_function("() => window.__pynet.hasModel()")
    assert app.error_text() == ""
    assert "Ready" in app.status()
    app.draw(DIGITS[7])
    _, after = read_prediction(app)
    assert max(abs(a - b) for a, b in zip(before, after)) < 1e-4

    # A garbage file and a truncated model are refused with a clear message; the model stays.
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"this is not a model\n" * 50)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(model.read_bytes()[: model.stat().st_size // 2])
    for bad in (garbage, truncated):
        app.tid("import").set_input_files(str(bad))
        app.page.wait_for_function("() => !document.querySelector('[data-testid=error]').hidden")
        message = app.error_text()
        assert f'Could not import "{bad.name}"' in message and "current model is kept" in message, message
        app.tid("error").locator("button").click()  # dismiss
        assert app.error_text() == ""
        app.draw(DIGITS[7])
        _, again = read_prediction(app)
        assert max(abs(a - b) for a, b in zip(before, again)) < 1e-4
    assert app.page_errors == []


def test_reset_gives_a_fresh_worker(trained):
    app = trained
    if app.chart_points() == 0:  # e.g. after the import test: train a little so there is something to clear
        app.train("tanh-softmax", iterations=3)
        app.wait_status("Done", timeout=60_000)
    assert app.chart_points() > 0
    app.draw(DIGITS[1])
    read_prediction(app)

    app.tid("reset").click()
    assert "Loading" in app.status()  # the loading steps are shown again
    assert app.chart_points() == 0
    app.wait_status("Ready", timeout=90_000)
    assert app.chart_points() == 0
    assert app.iteration() is None
    assert app.page.evaluate("window.__pynet.hasModel()") is False
    assert app.probabilities() == []
    assert app.page.locator("[data-testid=samples] > li").count() == 0
    assert app.tid("weights").get_attribute("data-tiles") is None
    assert app.tid("train").is_enabled()
    assert app.error_text() == ""
    assert app.console_errors == [] and app.page_errors == []
