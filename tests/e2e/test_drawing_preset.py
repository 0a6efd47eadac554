"""The drawing preset and the new hyper-parameters in the page: the form shows augmentation and shuffle
for every preset, the drawing network (two convolutions, max-pooling, Adam) trains in the worker through
XNNPACK to what CPython reaches, and reads a drawing."""
import json

import pytest

from e2e_support import DIGITS, App
from pynet import blas
from pynet.host import Host

pytestmark = pytest.mark.e2e

SHORT = {"iterations": 2, "train_size": 1000, "test_size": 500}  # a drawing training cut short


@pytest.fixture(scope="module")
def app(browser, site_url):
    a = App(browser, site_url).open()
    yield a
    a.close()


def field(app, name):
    return app.tid(name.replace("_", "-"))


def test_every_preset_offers_augmentation_and_shuffle(app):
    app.tid("preset").select_option("tanh-softmax")
    assert field(app, "augment").input_value() == "0" and not field(app, "shuffle").is_checked()
    assert field(app, "quirks").is_checked()
    app.tid("preset").select_option("drawing")
    assert field(app, "augment").input_value() == "1" and field(app, "shuffle").is_checked()
    assert field(app, "train_size").input_value() == "8000" and field(app, "quirks").count() == 0
    field(app, "augment").fill("2.5")
    assert "at most 2" in app.tid("message-augment").text_content() and app.tid("train").is_disabled()
    field(app, "augment").fill("1")
    assert app.tid("train").is_enabled()


def test_drawing_trains_in_the_worker_as_in_cpython_and_reads_a_drawing(app, built_site):
    app.page.wait_for_function("() => window.__pynet.metrics().matmul !== null", timeout=60_000)
    assert app.page.evaluate("window.__pynet.metrics().matmul") == "xnnpack"
    app.train("drawing", **SHORT)
    app.wait_status("Done", timeout=300_000)
    in_browser = app.accuracy("test")
    assert in_browser > 0.6 and app.error_text() == ""
    # The first layer's kernels are shown: 16 convolution kernels.
    app.page.wait_for_function("() => document.querySelector('[data-testid=weights]').dataset.tiles === '16'")

    host = Host((built_site / "data" / "mnist-digits.bin").read_bytes())
    blas.use_numpy()
    reply = json.loads(host.handle(json.dumps({"type": "configure", "preset": "drawing", "params": SHORT})))
    assert reply["ok"], reply
    events = []
    while not events or events[-1]["type"] != "done":
        events += json.loads(host.handle(json.dumps({"type": "run", "max_seconds": 5})))["events"]
    in_cpython = [e for e in events if e["type"] == "evaluation"][-1]["test_accuracy"]
    # The same seeded order, distortions and dropout masks; only float32 sums differ in order.
    assert abs(in_browser - in_cpython) <= 0.01, (in_browser, in_cpython)

    app.draw(DIGITS[1])
    app.wait_prediction()
    probabilities = app.probabilities()
    assert len(probabilities) == 10 and abs(sum(float(p["p"]) for p in probabilities) - 1) < 1e-3
    assert app.console_errors == [] and app.page_errors == []


def test_a_notebook_preset_trains_shuffled_and_augmented(app):
    app.train("tanh-softmax", iterations=5, augment=0.5, shuffle=True)
    app.wait_status("Done", timeout=120_000)
    params = app.page.evaluate("window.__pynet.status()")["status"]["params"]
    assert params["shuffle"] is True and params["augment"] == 0.5
    assert app.accuracy("test") > 0.3 and app.error_text() == ""
    assert app.page_errors == []
