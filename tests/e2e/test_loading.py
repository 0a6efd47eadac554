"""Loading the page: Ready from its own origin only; a build without NumPy fails loudly; bad settings never train."""
import os

import pytest

from e2e_support import run_build

pytestmark = pytest.mark.e2e


def test_page_reaches_ready_from_its_own_origin_without_console_errors(app_factory, site_url):
    app = app_factory(site_url)  # waits for "Ready" (90 s at most)

    assert app.status() == "Ready"
    assert app.error_text() == ""
    # The form is built from Python's presets: the notebook's eight networks and drawing, the default selected.
    assert app.tid("preset").locator("option").count() == 9
    assert app.tid("preset").input_value() == "tanh-softmax"
    assert app.tid("iterations").input_value() == "300"
    assert app.tid("train").is_enabled()
    # Served with COOP/COEP, so pause/stop can reach Python through shared memory.
    assert app.page.evaluate("crossOriginIsolated") is True
    assert app.page.evaluate("window.__pynet.isolated()") is True

    # The worker's requests are recorded too (runtime, wheels, data, and after Ready the matrix-product
    # library), and none leaves the origin.
    app.page.wait_for_function("() => window.__pynet.metrics().matmul !== null", timeout=60_000)
    fetched = " ".join(app.requests)
    for part in ("pyodide.asm.wasm", "pyodide-lock.json", "numpy-", "pynet-", "mnist-digits.bin",
                 "tf-core.es2017.min.js", "simd.wasm"):  # XNNPACK, threaded or not
        assert part in fetched, f"{part} was not requested: {app.requests}"
    # The page's own modules came as one bundle (web/sitebuild/page_bundle.py), beside the worker's start
    # (boot.js), and the editor only after Ready (once the page has been left alone for a moment).
    app.wait_editor()
    page_scripts = [u.split("/", 3)[3] for u in app.requests if u.endswith(".js") and "/js/" in u]
    assert page_scripts[:2] == ["js/boot.js", "js/page.js"], page_scripts
    assert not any(s.startswith("js/ui/") or s == "js/main.js" or s.endswith("uPlot.esm.js") for s in page_scripts)
    assert app.requests.index(next(u for u in app.requests if "codemirror" in u)) > app.requests.index(
        next(u for u in app.requests if "pynet-" in u))
    assert app.foreign_requests() == []
    assert app.console_errors == []
    assert app.page_errors == []


def test_numpy_missing_is_reported_instead_of_hanging(app_factory, serve_site, tmp_path_factory):
    out = tmp_path_factory.mktemp("site-without-numpy")
    env = {**os.environ, "PYNET_NUMPY_SOURCES": "explicit"}  # no cache, no download: NumPy cannot be found
    env.pop("PYNET_NUMPY_WHEEL", None)
    result = run_build(out, ["--allow-missing-numpy"], env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not list((out / "pyodide").glob("numpy-*.whl")), "the build was supposed to leave NumPy out"

    app = app_factory(serve_site(out), wait_ready=False)
    app.page.wait_for_function(
        "() => !document.querySelector('[data-testid=error]').hidden", timeout=30_000)
    message = app.error_text()
    assert "NumPy" in message
    assert "build.py" in message  # it names the fix
    assert app.status() == "Error"
    assert app.tid("train").is_disabled()
    assert app.page_errors == []


INVALID = [
    ("iterations", "0", "at least 1"),
    ("iterations", "2.5", "whole number"),
    ("iterations", "", "Required"),
    ("alpha", "-1", "at least"),
    ("alpha", "abc", "Enter a number"),
    ("batch-size", "2000", "training set"),  # more than the 1,000 training images
]


def test_invalid_hyper_parameters_are_explained_and_never_train(app_factory, site_url):
    app = app_factory(site_url)
    page = app.page
    defaults = {name: app.tid(name).input_value() for name in ("iterations", "alpha", "batch-size")}

    for name, value, expected in INVALID:
        app.set_param(name, value)
        message = app.tid(f"message-{name}")
        assert expected in message.text_content(), f"{name}={value!r}: {message.text_content()!r}"
        assert message.is_visible()
        assert app.tid(name).get_attribute("aria-invalid") == "true"
        assert app.tid("train").is_disabled(), f"Train enabled with {name}={value!r}"
        # Submitting from the keyboard (Enter in the field) must not start training either.
        app.tid(name).press("Enter")
        page.wait_for_timeout(300)
        assert app.status() == "Ready"
        assert app.chart_points() == 0
        assert app.error_text() == ""
        app.set_param(name, defaults[name])
        assert message.text_content() == ""
        assert app.tid("train").is_enabled()

    # The cross-field rule follows the other field too: fewer training images than the batch size.
    app.set_param("train-size", "50")
    assert "training set" in app.tid("message-batch-size").text_content()
    assert app.tid("train").is_disabled()
    app.set_param("train-size", "1000")
    assert app.tid("train").is_enabled()
    page.wait_for_timeout(500)
    assert app.status() == "Ready" and app.chart_points() == 0
    assert app.console_errors == [] and app.page_errors == []


# Animations that run forever (CSS `infinite`, or a transition restarted by every training update) have the
# browser draw frames for as long as they run: on a 2-core machine that takes CPU from Python's boot and
# from the worker's matrix products (bench/README.md, "An endless animation").
LOOPING = """() => document.getAnimations()
    .filter((a) => a.playState === 'running')
    .map((a) => `${a.animationName || a.transitionProperty || 'animation'} on `
        + `${a.effect && a.effect.target ? a.effect.target.className || a.effect.target.id : '?'}`)"""


def test_nothing_on_the_page_animates_while_python_loads_or_trains(app_factory, site_url):
    app = app_factory(site_url, wait_ready=False)
    app.page.wait_for_function("() => document.body.dataset.state === 'loading'", timeout=30_000)
    assert app.page.evaluate(LOOPING) == [], "something animates while Python loads"

    app.wait_status("Ready", timeout=90_000)
    app.train("tanh-softmax", iterations=200)
    app.wait_iteration_past(2)
    seen = set()
    for _ in range(10):  # a second of training updates: none may start an animation
        seen.update(app.page.evaluate(LOOPING))
        app.page.wait_for_timeout(100)
    assert seen == set(), f"animations while training: {sorted(seen)}"
    app.stop_and_stay()
