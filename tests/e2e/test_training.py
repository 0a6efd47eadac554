"""Training in the page: live charts and figures, accuracy above chance, pause / resume / stop, and the
fast matrix-product libraries."""
import json
import re
import shutil
import time

import pytest

from e2e_support import DIGITS, App
from pynet import blas, elementwise
from pynet.host import Host

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def app(browser, site_url):
    a = App(browser, site_url).open()
    yield a
    a.close()


def test_training_updates_charts_and_figures_live(app):
    # 8,000 images: 40 iterations last long enough to be watched (1,000 would be over in a blink).
    app.train("tanh-softmax", iterations=40, train_size=8000)
    app.wait_status("Done", timeout=180_000)
    assert app.error_text() == ""
    # The page notes each chart redraw and each value of the iteration counter as it happens: while
    # training they went through intermediate values, not just 0 then 40, however fast the machine.
    shown = app.page.evaluate("window.__pynet.shown()")
    points = [p for _, p in shown["charts"]]
    assert len({p for p in points if 0 < p < 40}) >= 3, points
    assert points == sorted(points) and points[-1] == 40  # each redraw shows what came before, and more
    iterations = [i for _, i in shown["iterations"]]
    assert iterations == list(range(1, 41)), iterations  # every iteration was shown, in order
    assert app.chart_points() == 40
    assert app.tid("iteration").text_content().strip() == "40 / 40"
    assert app.accuracy("test") > 0.5
    assert app.accuracy("train") > 0.5
    assert "img/s" in app.tid("speed").text_content()
    # The first layer's weights and the strip of test digits were drawn.
    app.page.wait_for_function("() => document.querySelector('[data-testid=weights]').dataset.tiles === '16'")
    app.page.wait_for_function("() => document.querySelectorAll('[data-testid=samples] > li').length === 20")
    wrong = app.page.locator("[data-testid=samples] > li.wrong")
    assert wrong.count() == int(app.tid("samples").get_attribute("data-wrong"))
    assert app.console_errors == [] and app.page_errors == []


def test_the_page_answers_while_training(app):
    """The worker trains, the page stays usable: a digit drawn mid-training is classified while training
    goes on. (How long the main thread's tasks take while training is a figure: bench/responsiveness.py.)"""
    app.train("tanh-softmax", iterations=2000, train_size=8000)
    app.page.wait_for_function("() => parseInt(document.querySelector('[data-testid=iteration]').textContent) >= 1")
    app.draw(DIGITS[1])
    app.wait_prediction()
    assert len(app.probabilities()) == 10 and "Training" in app.status()
    at = app.iteration()
    app.page.wait_for_function(
        "n => parseInt(document.querySelector('[data-testid=iteration]').textContent) > n", arg=at, timeout=60_000)
    app.tid("stop").click()
    app.wait_status("Stopped", timeout=15_000)
    assert app.error_text() == "" and app.page_errors == []


def test_pause_resume_and_stop(app):
    app.train("tanh-softmax", iterations=2000)
    app.page.wait_for_function("() => parseInt(document.querySelector('[data-testid=iteration]').textContent) >= 2")

    app.tid("pause").click()
    app.wait_status("Paused", timeout=15_000)
    assert app.tid("pause").text_content().strip() == "Resume"
    paused_at, points = app.iteration(), app.chart_points()
    time.sleep(1.2)
    assert app.iteration() == paused_at, "training went on while paused"
    assert app.chart_points() == points

    app.tid("pause").click()  # Resume
    app.wait_status("Training", timeout=15_000)
    assert app.tid("pause").text_content().strip() == "Pause"
    app.wait_iteration_past(paused_at)

    assert app.stop_and_stay() < 2000
    assert app.tid("train").is_enabled()
    assert app.tid("pause").is_disabled() and app.tid("stop").is_disabled()
    assert app.tid("export").is_enabled()

    # The stopped model is kept and usable: a drawing gets ten probabilities.
    app.draw(DIGITS[1])
    app.wait_prediction()
    probabilities = app.probabilities()
    assert len(probabilities) == 10
    assert abs(sum(float(p["p"]) for p in probabilities) - 1) < 1e-3
    assert app.error_text() == ""
    assert app.console_errors == [] and app.page_errors == []


def test_divergence_is_reported(app):
    """The notebook's linear cell at alpha 0.01 on 1,000 images blows up: the page says so plainly."""
    app.train("linear", iterations=100)
    app.wait_status("Diverged", timeout=120_000)
    message = app.error_text()
    assert "diverged" in message.lower() and "alpha" in message.lower(), message
    assert app.tid("train").is_enabled()  # a smaller alpha can be tried right away
    assert app.tid("pause").is_disabled() and app.tid("stop").is_disabled()
    # A model full of Inf/NaN is neither offered for export nor used on drawings.
    assert app.tid("export").is_disabled()
    assert "diverged" in app.tid("predict-hint").text_content()
    assert app.page_errors == []


MATMUL = "() => window.__pynet.metrics().matmul"


def test_xnnpack_takes_the_products_and_cpython_agrees(app, built_site):
    # It loads after Ready; then training through it scores what CPython scores with NumPy's product.
    app.page.wait_for_function(f"() => ({MATMUL})() !== null", timeout=60_000)
    assert app.page.evaluate(MATMUL) == "xnnpack"
    app.train("wide-minibatch", iterations=4)
    app.wait_status("Done", timeout=120_000)
    in_browser = app.accuracy("test")
    in_cpython = cpython_test_accuracy(built_site, "wide-minibatch", {"iterations": 4})
    assert abs(in_browser - in_cpython) <= 0.01, (in_browser, in_cpython)


def cpython_test_accuracy(built_site, preset, params):
    """The test accuracy CPython reaches on the page's digits, with NumPy's product and tanh."""
    host = Host((built_site / "data" / "mnist-digits.bin").read_bytes())
    blas.use_numpy()
    elementwise.use_numpy()
    assert json.loads(host.handle(json.dumps({"type": "configure", "preset": preset, "params": params})))["ok"]
    events = []
    while not events or events[-1]["type"] != "done":
        events += json.loads(host.handle(json.dumps({"type": "run", "max_seconds": 5})))["events"]
    return [e for e in events if e["type"] == "evaluation"][-1]["test_accuracy"]


def test_xnnpacks_sigmoid_does_the_large_tanhs_and_cpython_agrees(app, built_site):
    # conv's hidden layer (128 images x 10,000 units) is a tanh over 1.28 million values a batch: in the
    # page, 2 * sigmoid(2x) - 1 by XNNPACK (pynet/elementwise.py); in CPython, NumPy's tanh.
    app.page.wait_for_function(f"() => ({MATMUL})() !== null", timeout=60_000)
    assert app.page.evaluate("window.__pynet.metrics().tanh") == "xnnpack"
    params = {"iterations": 6, "train_size": 1000, "test_size": 500, "seed": 3}
    app.train("conv", **params)
    app.wait_status("Done", timeout=180_000)
    in_browser = app.accuracy("test")
    in_cpython = cpython_test_accuracy(built_site, "conv", params)
    assert in_browser > 0.2 and abs(in_browser - in_cpython) <= 0.01, (in_browser, in_cpython)  # chance: 0.1


def test_xnnpack_keeps_the_batches_of_the_current_training_only(app):
    # Each 100-image batch and its transpose stay in XNNPACK's memory, packed, while they are trained on;
    # a new training lets the previous one's go (else every Train would leak a few megabytes).
    app.page.wait_for_function(f"() => ({MATMUL})() !== null", timeout=60_000)
    for preset in ("tanh-softmax", "relu-minibatch"):
        app.train(preset, iterations=2, train_size=500)
        app.wait_status("Done", timeout=120_000)
        assert app.page.evaluate("window.__pynet.status()")["matmul_kept"] == 2 * 5


@pytest.mark.parametrize("query,matmul,shown", [("", "xnnpack", "XNNPACK"),
                                                  ("?matmul=openblas", "openblas", "OpenBLAS"),
                                                  ("?matmul=numpy", "numpy", "NumPy's own")])
def test_the_matrix_product_library_is_named_and_can_be_pinned(browser, site_url, query, matmul, shown):
    page = App(browser, site_url + query).open()
    try:
        page.page.wait_for_function(f"() => ({MATMUL})() !== null", timeout=60_000)
        assert page.page.evaluate(MATMUL) == matmul
        # XNNPACK's sigmoid comes with its product: the large tanh's are NumPy's without it.
        assert page.page.evaluate("window.__pynet.metrics().tanh") == ("xnnpack" if matmul == "xnnpack" else "numpy")
        footer = page.tid("matmul").text_content()
        if matmul == "xnnpack":  # with its threads (tests/e2e/test_threads.py checks how many, and why)
            assert re.fullmatch(r"Matrix products: XNNPACK on (\d+ threads|one thread \(.+\))\.", footer), footer
        else:
            assert footer == f"Matrix products: {shown}.", footer
        detail = page.tid("status-area").text_content()
        assert (f"matrix products: {shown}" in detail) if matmul != "numpy" else ("matrix products" not in detail)
        assert page.console_errors == [] and page.page_errors == []
    finally:
        page.close()


def test_without_xnnpack_openblas_takes_over_and_the_footer_says_why(app_factory, serve_site, built_site, tmp_path):
    # A site whose TF.js files are missing (a partial upload, say): the page still works, on OpenBLAS, with
    # no alarm but a footer that names the missing file.
    site = tmp_path / "site"
    shutil.copytree(built_site, site)
    shutil.rmtree(site / "vendor" / "tfjs")
    app = app_factory(serve_site(site))
    app.page.wait_for_function(f"() => ({MATMUL})() !== null", timeout=60_000)
    assert app.page.evaluate(MATMUL) == "openblas"
    assert app.tid("matmul").text_content() == ("Matrix products: OpenBLAS (XNNPACK not loaded: "
                                                "vendor/tfjs/tf-core.es2017.min.js is not on the server (HTTP 404)).")
    app.train("tanh-softmax", iterations=5)
    app.wait_status("Done", timeout=120_000)
    assert app.error_text() == "" and app.page_errors == []
    assert app.accuracy("test") > 0.3  # learning: chance is 0.1
