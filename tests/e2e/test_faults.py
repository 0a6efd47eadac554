"""Faults in the page: each part it loads fails (Playwright's request routing answers 404, cuts the connection
or damages the bytes), and the worker dies in the middle of training. Each fault gives a visible message
that names the file and the fix; Reset brings back a working page; the person's settings are always kept,
and their trained model too where it survived."""
import pytest

from e2e_support import DIGITS, App

pytestmark = pytest.mark.e2e

# A service worker (a build may register one to work offline) would answer requests before routing sees
# them: these pages run without one, so every request meets the fault.
NO_SERVICE_WORKER = {"service_workers": "block"}
ERROR_SHOWN = "() => !document.querySelector('[data-testid=error]').hidden"


def missing(route):
    route.fulfill(status=404, body="not found")


def cut(route):
    route.abort("connectionfailed")


def damaged(route):
    """The real file with 64 bytes in its middle flipped: same length, wrong content."""
    response = route.fetch()
    body = bytearray(response.body())
    middle = len(body) // 3
    body[middle:middle + 64] = bytes(b ^ 0x5A for b in body[middle:middle + 64])
    route.fulfill(response=response, body=bytes(body))


LOAD_FAULTS = {
    "runtime damaged": ("**/pyodide/pyodide.asm.wasm", damaged, "runtime",
                        ["The Python runtime (Pyodide) could not start", "pyodide/pyodide.asm.wasm is damaged"]),
    "runtime missing": ("**/pyodide/pyodide.mjs", missing, "runtime",
                        ["Pyodide", "pyodide/pyodide.mjs is not on the server (HTTP 404)", "python build.py"]),
    "numpy damaged": ("**/pyodide/numpy-*.whl", damaged, "numpy",
                      ["NumPy could not be loaded", "is damaged", "checksum in pyodide-lock.json"]),
    "numpy cut off": ("**/pyodide/numpy-*.whl", cut, "numpy",
                      ["NumPy could not be loaded", "could not be downloaded (the connection failed)"]),
    "pynet missing": ("**/pyodide/pynet-*.whl", missing, "pynet",
                      ["pynet is missing from this build", "(pyodide/pynet-", "is not on the server (HTTP 404)",
                       "python build.py"]),
    "digits damaged": ("**/data/mnist-digits.bin", damaged, "data",
                       ["The MNIST digits file (data/mnist-digits.bin) is damaged", "corrupt"]),
    "digits missing": ("**/data/mnist-digits.bin", missing, "data",
                       ["The MNIST digits file is missing (HTTP 404 for data/mnist-digits.bin)"]),
}


class Fault:
    """`handler` answers the requests for `pattern` until `lift()`, then they go to the server. Lifting does not
    call Playwright's `unroute`: that updates the context's interception in every page and worker, and waited
    forever now and then here, once the page had replaced its worker (Reset)."""

    def __init__(self, context, pattern, handler):
        self.handler, self.lifted = handler, False
        context.route(pattern, self.answer)

    def answer(self, route):
        if self.lifted:
            route.continue_()
        else:
            self.handler(route)

    def lift(self):
        self.lifted = True


def assert_broken(app, expected, step=None):
    app.page.wait_for_function(ERROR_SHOWN, timeout=60_000)
    message = app.error_text()
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"
    assert "press reset" in message.lower(), message
    assert app.status() == "Error"
    if step:
        assert app.page.locator(f'[data-step="{step}"]').get_attribute("data-state") == "failed"
    assert app.tid("train").is_disabled() and app.tid("reset").is_enabled()
    assert app.page.evaluate("window.__pynet.phase()") == "broken"


def assert_works_after_reset(app):
    app.tid("reset").click()
    app.wait_status("Ready", timeout=90_000)
    assert app.error_text() == ""
    app.train("tanh-softmax", iterations=2)
    app.wait_status("Done", timeout=60_000)
    assert app.accuracy("test") > 0.3  # it learns: chance is 0.1


@pytest.mark.parametrize("fault", list(LOAD_FAULTS))
def test_a_part_that_fails_to_load_is_named_and_reset_recovers(browser, site_url, fault):
    pattern, handler, step, expected = LOAD_FAULTS[fault]
    app = App(browser, site_url, **NO_SERVICE_WORKER)
    try:
        broken = Fault(app.context, pattern, handler)
        app.open(wait_ready=False)
        assert_broken(app, expected, step)
        broken.lift()
        assert_works_after_reset(app)
        assert app.page_errors == []
    finally:
        app.close()


def test_a_fault_at_reset_keeps_the_settings(browser, site_url):
    app = App(browser, site_url, **NO_SERVICE_WORKER).open()
    try:
        app.tid("preset").select_option("relu-minibatch")
        app.set_param("iterations", "7")
        app.set_param("alpha", "0.0005")
        pattern, handler, step, expected = LOAD_FAULTS["numpy cut off"]
        broken = Fault(app.context, pattern, handler)
        app.tid("reset").click()
        assert_broken(app, expected, step)
        broken.lift()
        app.tid("reset").click()
        app.wait_status("Ready", timeout=90_000)
        assert app.tid("preset").input_value() == "relu-minibatch"
        assert (app.tid("iterations").input_value(), app.tid("alpha").input_value()) == ("7", "0.0005")
    finally:
        app.close()


def test_without_the_matrix_kernel_the_footer_says_why_and_training_goes_on(browser, site_url):
    app = App(browser, site_url, **NO_SERVICE_WORKER)
    try:
        # Both builds, one-thread and threaded: with either one there, XNNPACK would run.
        app.context.route("**/vendor/tfjs/tfjs-backend-wasm*.wasm", missing)
        app.open()
        app.page.wait_for_function("() => window.__pynet.metrics().matmul !== null", timeout=60_000)
        assert app.page.evaluate("window.__pynet.metrics().matmul") == "openblas"
        assert app.tid("matmul").text_content() == (
            "Matrix products: OpenBLAS (XNNPACK not loaded: vendor/tfjs/tfjs-backend-wasm-simd.wasm is not on "
            "the server (HTTP 404)).")
        assert app.error_text() == ""  # the page works, only slower: no alarm
        app.train("tanh-softmax", iterations=3)
        app.wait_status("Done", timeout=60_000)
        assert app.accuracy("test") > 0.3
        assert app.page_errors == []
    finally:
        app.close()


def read_prediction(app):
    app.wait_prediction()
    return [float(b["p"]) for b in app.probabilities()]


def kill_worker(app):
    """End the worker the way the browser would (it sends nothing more): it closes itself."""
    [worker] = [w for w in app.page.workers if w.url.endswith("/js/worker.js")]  # not XNNPACK's pool threads
    worker.evaluate("setTimeout(() => self.close(), 0)")


def test_a_worker_that_dies_while_training_is_reported_and_reset_restores_the_model(browser, site_url):
    app = App(browser, site_url, **NO_SERVICE_WORKER).open()
    try:
        app.train("tanh-softmax", iterations=4)
        app.wait_status("Done", timeout=60_000)
        app.draw(DIGITS[7])
        before = read_prediction(app)

        app.train("tanh-softmax", iterations=5000)
        app.page.wait_for_function(
            "() => parseInt(document.querySelector('[data-testid=iteration]').textContent) >= 2", timeout=60_000)
        kill_worker(app)
        app.page.wait_for_function(ERROR_SHOWN, timeout=30_000)
        message = app.error_text()
        for part in ("The Python worker stopped unexpectedly", "The model being trained was lost with it",
                     "your settings are kept", "Press Reset to start again: it restores your tanh-softmax model, "
                     "fully trained"):
            assert part in message, f"{part!r} not in {message!r}"
        assert app.status() == "Error"
        for button in ("train", "pause", "stop", "export"):
            assert app.tid(button).is_disabled(), button
        assert "Python is not running" in app.tid("predict-hint").text_content()

        app.tid("reset").click()
        app.wait_status("Ready", timeout=90_000)
        app.page.wait_for_function("() => window.__pynet.hasModel()", timeout=30_000)
        assert "Restored your tanh-softmax model, fully trained" in app.tid("status-area").text_content()
        assert app.tid("iterations").input_value() == "5000"  # the settings of the lost run
        assert app.tid("export").is_enabled()
        app.draw(DIGITS[7])
        after = read_prediction(app)
        assert max(abs(a - b) for a, b in zip(before, after)) < 1e-4
        assert app.error_text() == "" and app.page_errors == []
    finally:
        app.close()


def test_a_worker_lost_before_any_model_says_so_and_reset_starts_afresh(browser, site_url):
    app = App(browser, site_url, **NO_SERVICE_WORKER).open()
    try:
        app.set_param("iterations", "12")
        kill_worker(app)
        app.page.wait_for_function(ERROR_SHOWN, timeout=30_000)
        message = app.error_text()
        assert "stopped unexpectedly" in message and "Your settings are kept. Press Reset to start again." in message
        assert "lost with it" not in message  # there was no model to lose
        app.tid("reset").click()
        app.wait_status("Ready", timeout=90_000)
        assert app.tid("iterations").input_value() == "12"
        assert app.page.evaluate("window.__pynet.hasModel()") is False
        assert app.error_text() == "" and app.page_errors == []
    finally:
        app.close()
