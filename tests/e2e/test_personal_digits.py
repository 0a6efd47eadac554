"""The person's own digits in the page: a correction joins the gallery and survives a reload, digits are
removed one by one or all at once with an undo, the set goes to a .npz file and comes back (a bad file is
refused and the set kept), "Learn from my digits" refuses clearly when it cannot, a training run can
include the set, and the drawing panel names the network made for drawings."""
import io
import json

import numpy as np
import pytest

from e2e_support import DIGITS, App
from pynet import personal

pytestmark = pytest.mark.e2e

QUICK = {"iterations": 3}  # a model to read drawings with; how well it reads them does not matter here


@pytest.fixture(scope="module")
def app(browser, site_url):
    a = App(browser, site_url).open()
    yield a
    a.close()


def gallery(app):
    """The labels shown in the gallery, newest first."""
    return [int(x) for x in app.page.eval_on_selector_all('[data-testid=personal-digit]', "els => els.map(e => e.dataset.label)")]


def stored(app):
    return app.page.evaluate("JSON.parse(localStorage.getItem('pynet.personal-digits') || 'null')")


def draw_and_read(app, digit):
    app.draw(DIGITS[digit])
    app.wait_prediction()
    app.tid("correction").wait_for(state="visible")


def test_before_a_model_the_panel_names_the_drawing_network_and_learning_is_refused(app):
    hint = app.tid("drawing-hint")
    hint.wait_for(state="visible")
    assert "misread many drawn digits" in hint.text_content()
    assert app.tid("learn-digits").is_disabled()
    assert app.tid("learn-hint").text_content().startswith("Nothing to learn yet")
    app.tid("choose-drawing").click()
    assert app.tid("preset").input_value() == "drawing"
    assert "it is chosen, press Train" in hint.text_content() and not app.tid("choose-drawing").is_visible()


def test_a_correction_joins_the_gallery_and_survives_a_reload(app):
    app.train("tanh-softmax", **QUICK)
    app.wait_status("Done", timeout=120_000)
    assert "This tanh-softmax network is one of the notebook's" in app.tid("drawing-hint").text_content()
    assert app.tid("choose-drawing").is_visible()

    draw_and_read(app, 7)
    drawn = app.page.evaluate("window.__pynet.input()")
    app.tid("correct-1").click()
    assert gallery(app) == [1] and "as a 1 (1 in all)" in app.tid("correction-note").text_content()
    app.tid("correct-7").click()  # the same drawing, clicked again: relabelled, not added twice
    assert gallery(app) == [7] and "now a 7" in app.tid("correction-note").text_content()
    draw_and_read(app, 0)
    app.tid("correct-0").click()
    assert gallery(app) == [0, 7] and app.tid("personal-count").text_content() == "2 digits"
    # Kept as bytes: the drawing's 28x28 input, each pixel rounded to 1/255.
    saved = stored(app)["digits"]
    first = np.frombuffer(__import__("base64").b64decode(saved[0]["pixels"]), np.uint8)
    assert np.abs(first / 255 - np.array(drawn)).max() <= 0.5 / 255 + 1e-6 and saved[0]["label"] == 7
    assert app.tid("learn-hint").text_content().startswith("Trains the current network on your 2 digits")

    app.page.reload()
    app.wait_status("Ready", timeout=90_000)
    assert gallery(app) == [0, 7]
    assert app.tid("learn-digits").is_disabled()  # a new worker: no model to teach yet
    assert app.tid("learn-hint").text_content().startswith("Train or import a model first")


def test_remove_one_or_all_with_an_undo(app):
    before = stored(app)
    app.page.locator('[data-testid=personal-digit][data-label="7"] [data-testid=personal-remove]').click()
    assert gallery(app) == [0] and app.tid("personal-message").text_content() == "Removed the 7."
    app.tid("undo-digits").click()
    assert gallery(app) == [0, 7] and stored(app) == before and not app.tid("undo-digits").is_visible()
    app.tid("clear-digits").click()
    assert gallery(app) == [] and stored(app)["digits"] == []
    assert app.tid("personal-message").text_content() == "Removed 2 digits."
    assert app.tid("clear-digits").is_disabled() and app.tid("export-digits").is_disabled()
    app.tid("undo-digits").click()
    assert gallery(app) == [0, 7] and stored(app) == before


def test_export_and_import_round_trip_and_a_bad_file_keeps_the_set(app, tmp_path):
    before = stored(app)
    with app.page.expect_download() as info:
        app.tid("export-digits").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert path.name == "my-digits.npz"
    on_disk = personal.load(path.read_bytes())  # what `python -m pynet train --extra` reads
    assert on_disk.labels.tolist() == [7, 0]

    app.tid("clear-digits").click()
    app.tid("import-digits").set_input_files(str(path))
    app.page.wait_for_function("() => document.querySelector('[data-testid=personal-message]').textContent.startsWith('Imported')")
    assert app.tid("personal-message").text_content() == "Imported 2 digits from my-digits.npz."
    assert gallery(app) == [0, 7] and stored(app) == before

    bad = tmp_path / "bad-digits.npz"
    buffer = io.BytesIO()
    np.savez(buffer, pynet_meta=np.array(json.dumps({"format": "pynet-digits", "version": 1})),
             images=np.full((1, 28, 28), 2.0, np.float32), labels=np.array([3], np.uint8))
    bad.write_bytes(buffer.getvalue())
    app.tid("import-digits").set_input_files(str(bad))
    app.page.wait_for_function("() => document.querySelector('[data-testid=personal-message]').textContent.startsWith('Could not')")
    assert app.tid("personal-message").text_content() == (
        'Could not import "bad-digits.npz": digit set file: pixels must be finite and between 0 and 1. '
        "Your digits are unchanged (2).")
    model = tmp_path / "not-digits.npz"
    model.write_bytes(b"PK\x03\x04 not really a zip")
    app.tid("import-digits").set_input_files(str(model))
    app.page.wait_for_function("() => document.querySelector('[data-testid=personal-message]').textContent.includes('not-digits')")
    assert "Your digits are unchanged (2)." in app.tid("personal-message").text_content()
    assert gallery(app) == [0, 7] and stored(app) == before


def test_a_training_run_can_include_my_digits(app):
    app.tid("include-personal").check()
    app.train("tanh-softmax", **QUICK)
    app.wait_status("Done", timeout=120_000)
    assert app.page.evaluate("window.__pynet.status()")["status"]["params"]["personal_digits"] == 2
    assert app.error_text() == "" and app.page_errors == []
