"""XNNPACK on every core: the threaded build where the page is cross-origin isolated, the one-thread build
(with the reason on screen and in the console) where it is not or where its threads cannot start, and
the same training either way."""
import functools
import http.server
import io
import shutil
import threading

import numpy as np
import pytest

from e2e_support import App

pytestmark = pytest.mark.e2e

SETTLED = "() => window.__pynet.metrics().matmul !== null"
FOOTER = "matmul"


def settled(app):
    app.page.wait_for_function(SETTLED, timeout=90_000)
    return app.tid(FOOTER).text_content()


def cores(app):
    """The threads the page should run: one per core the browser reports, at most the backend's 8."""
    return min(app.page.evaluate("navigator.hardwareConcurrency"), 8)


def test_the_products_run_on_every_core(app_factory, site_url):
    app = app_factory(site_url)
    footer = settled(app)
    if cores(app) < 2:
        assert footer == "Matrix products: XNNPACK on one thread (the browser reports one core)."
    else:
        assert footer == f"Matrix products: XNNPACK on {cores(app)} threads."
    assert app.page.evaluate("window.__pynet.metrics().matmulThreads") == max(cores(app), 1)
    assert app.console_errors == [] and app.page_errors == []


def exported_weights(app, preset, tmp_path, name):
    """Train `preset` a few iterations with a fixed seed; the exported model's arrays and its test accuracy."""
    app.train(preset, iterations=3, train_size=1000, seed=7)
    app.wait_status("Done", timeout=180_000)
    with app.page.expect_download() as info:
        app.tid("export").click()
    path = tmp_path / f"{name}.npz"
    info.value.save_as(path)
    with np.load(io.BytesIO(path.read_bytes()), allow_pickle=False) as model:
        return {key: model[key] for key in model.files}, app.accuracy("test")


@pytest.mark.parametrize("preset", ["tanh-softmax", "conv"])
def test_training_on_every_core_matches_one_thread(app_factory, site_url, tmp_path, preset):
    # The threads split each product's rows and columns, never its sums: the same numbers, up to the
    # order of float32 sums at most, after whole training steps through both builds.
    results = {}
    for name, query in (("threads", ""), ("one", "?threads=1")):
        app = app_factory(site_url + query)
        assert (" threads." in settled(app)) == (name == "threads" and cores(app) > 1)
        results[name] = exported_weights(app, preset, tmp_path, name)
        assert app.console_errors == [] and app.page_errors == []
    (threaded, threaded_accuracy), (single, single_accuracy) = results["threads"], results["one"]
    assert threaded.keys() == single.keys()
    weights = [key for key in threaded if threaded[key].dtype.kind == "f"]  # not the metadata (it has timings)
    assert weights
    for key in weights:
        np.testing.assert_allclose(threaded[key], single[key], rtol=1e-4, atol=1e-6, err_msg=key)
    assert threaded_accuracy == single_accuracy


def test_a_stop_lands_at_once_on_every_core(app_factory, site_url):
    # conv's batches are the longest (~0.1 s each): the Stop interrupt still ends one mid-way.
    app = app_factory(site_url)
    assert " threads." in settled(app) or cores(app) < 2
    app.train("conv", iterations=500)
    app.page.wait_for_function("() => parseInt(document.querySelector('[data-testid=iteration]').textContent) >= 1",
                               timeout=120_000)
    app.tid("stop").click()
    app.wait_status("Stopped", timeout=15_000)
    assert app.iteration() < 500
    assert app.error_text() == "" and app.page_errors == []


@pytest.fixture(scope="module")
def serve_with_headers():
    """serve_with_headers(root, drop=prefix, add={name: value}) -> base URL: the site served with some of
    build.py's headers left out and others added (for hosts other than build.py's own)."""
    import build  # noqa: F401 - the repository's build.py (conftest puts it on the path) puts web/ on the path
    from sitebuild.serve import SiteHandler

    servers = []

    def serve(root, drop="-", add=None):
        class Handler(SiteHandler):
            def send_header(self, keyword, value):
                if not keyword.startswith(drop):
                    super().send_header(keyword, value)

            def end_headers(self):
                for keyword, value in (add or {}).items():
                    self.send_header(keyword, value)
                super().end_headers()

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


def test_without_shared_memory_one_thread_says_why(app_factory, serve_with_headers, built_site):
    # A plain static host: no COOP/COEP headers, so no SharedArrayBuffer.
    app = app_factory(serve_with_headers(built_site, drop="Cross-Origin-"))
    info = []
    app.page.on("console", lambda m: info.append(m.text) if m.type == "info" else None)
    assert app.page.evaluate("self.crossOriginIsolated") is False
    footer = settled(app)
    assert footer == ("Matrix products: XNNPACK on one thread (the page is not cross-origin isolated, so its "
                      "threads cannot share memory (the server sends no COOP/COEP headers)).")
    assert any("XNNPACK runs on one thread: the page is not cross-origin isolated" in m for m in info), info
    train_a_little(app)


def train_a_little(app):
    app.train("tanh-softmax", iterations=3)
    app.wait_status("Done", timeout=120_000)
    assert app.accuracy("test") > 0.3
    assert app.error_text() == "" and app.page_errors == []


def test_threads_that_cannot_start_give_way_to_one(app_factory, serve_site, built_site, tmp_path):
    # A site whose threaded build is missing (a partial upload, say): the one-thread build takes over.
    site = tmp_path / "site"
    shutil.copytree(built_site, site)
    (site / "vendor" / "tfjs" / "tfjs-backend-wasm-threaded-simd.wasm").unlink()
    app = app_factory(serve_site(site))
    footer = settled(app)
    assert footer.startswith("Matrix products: XNNPACK on one thread (its threads did not start ("), footer
    train_a_little(app)


@pytest.mark.parametrize("policy,why", [
    ("worker-src 'self'", "this page's Content-Security-Policy (worker-src) forbids its blob: workers"),
    ("worker-src 'self' blob:; script-src 'self' 'wasm-unsafe-eval'", "a worker of its pool could not load its script"),
])
def test_a_policy_against_blob_workers_gives_one_thread_not_a_crash(app_factory, serve_with_headers, built_site,
                                                                     policy, why):
    # The threaded build's workers are blob: URLs, and each runs a blob: script. A policy that forbids
    # either must not take the Python worker down (Emscripten rethrows a pool worker's error).
    app = app_factory(serve_with_headers(built_site, add={"Content-Security-Policy": policy}))
    assert settled(app) == f"Matrix products: XNNPACK on one thread (its threads did not start ({why}))."
    train_a_little(app)
    assert app.console_errors == []
