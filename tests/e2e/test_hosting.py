"""How the site is served: under the development server's Content-Security-Policy (page and worker), and
from a plain static server with no special headers, as a person would host it."""
import re
import subprocess
import sys
import time

import pytest

from e2e_support import DIGITS, App

pytestmark = pytest.mark.e2e

# What the policy forbids, tried from inside: a string evaluated as script, and in the page (not the worker)
# WebAssembly compiled. Each returns the name of the error raised, or 'allowed'. After a task boundary:
# the synchronous part of an evaluation from the test is exempt from the policy (DevTools protocol).
TRY_EVAL = """async () => {
  await new Promise((resolve) => setTimeout(resolve, 0));
  try { eval('1'); return 'allowed'; } catch (e) { return e.name; }
}"""
TRY_WASM = """async () => {
  await new Promise((resolve) => setTimeout(resolve, 0));
  const empty = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);  // the smallest valid module
  try { await WebAssembly.compile(empty); return 'allowed'; } catch (e) { return e.name; }
}"""


def test_page_and_worker_run_under_the_policy(app_factory, site_url):
    app = app_factory(site_url)
    app.page.wait_for_function("() => window.__pynet.metrics().matmul !== null", timeout=60_000)
    assert app.page.evaluate("window.__pynet.metrics().matmul") == "xnnpack"  # TF.js's kernel loaded under it
    page_policy = app.page.evaluate("document.querySelector('meta[http-equiv=Content-Security-Policy]').content")
    header = app.page.request.get(site_url).headers["content-security-policy"]
    assert header.startswith(page_policy) and "frame-ancestors 'none'" in header

    app.train("tanh-softmax", iterations=3)
    app.wait_status("Done", timeout=60_000)
    app.draw(DIGITS[1])
    app.wait_prediction()
    assert len(app.probabilities()) == 10
    assert app.csp_violations() == []
    assert app.console_errors == [] and app.page_errors == []

    # Then what the policy refuses (each refusal is a violation, so only now).
    assert app.page.evaluate(TRY_EVAL) == "EvalError"
    assert app.page.evaluate(TRY_WASM) == "CompileError"  # the page itself needs no WebAssembly
    worker = next(w for w in app.page.workers if w.url.endswith("/js/worker.js"))
    assert worker.evaluate(TRY_EVAL) == "EvalError"
    assert worker.evaluate(TRY_WASM) == "allowed"  # Pyodide's and XNNPACK's WebAssembly


@pytest.fixture
def static_host(built_site):
    """`python -m http.server` in the built site: no COOP/COEP, no CSP header, no caching rules."""
    proc = subprocess.Popen([sys.executable, "-u", "-m", "http.server", "--bind", "127.0.0.1", "0"],
                            cwd=built_site, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline()
        port = re.search(r"port (\d+)", line)
        assert port, f"http.server said {line!r}"
        yield f"http://127.0.0.1:{port.group(1)}/"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_plain_static_host_serves_a_working_page(browser, static_host):
    app = App(browser, static_host).open()
    try:
        assert "cross-origin-embedder-policy" not in app.page.request.get(static_host).headers
        assert app.page.evaluate("crossOriginIsolated") is False
        assert app.page.evaluate("window.__pynet.isolated()") is False
        assert "no shared memory" in app.tid("status-area").text_content()

        # Without shared memory, Pause and Stop act between two run calls of the worker: still within moments.
        app.train("tanh-softmax", iterations=2000)
        app.page.wait_for_function(
            "() => parseInt(document.querySelector('[data-testid=iteration]').textContent) >= 2")
        app.tid("pause").click()
        app.wait_status("Paused", timeout=15_000)
        paused_at = app.iteration()
        time.sleep(1.0)
        assert app.iteration() == paused_at, "training went on while paused"
        app.tid("pause").click()
        app.wait_status("Training", timeout=15_000)
        app.wait_iteration_past(paused_at)
        assert app.stop_and_stay() < 2000
        assert app.accuracy("test") is not None

        app.draw(DIGITS[1])
        app.wait_prediction()
        assert abs(sum(float(p["p"]) for p in app.probabilities()) - 1) < 1e-3
        assert app.csp_violations() == []  # the <meta> policy holds here too
        assert app.console_errors == [] and app.page_errors == []
    finally:
        app.close()
