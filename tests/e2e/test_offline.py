"""Offline: after one visit the page starts, trains and draws with the network off, from the service worker's
copy of the build; a new build replaces that copy."""
import json
import shutil

import pytest

from e2e_support import DIGITS, READY_TIMEOUT_MS, run_build

pytestmark = pytest.mark.e2e

BUILD_INFO = "async () => (await fetch('build-info.json')).json()"
CACHES = "async () => (await caches.keys()).filter((name) => name.startsWith('pynet-')).sort()"
SETTLED = f"""async () => ({{caches: await ({CACHES})(),
                              active: (await navigator.serviceWorker.getRegistration())?.active?.state}})"""


def wait_kept(app):
    """Until the service worker holds a complete copy of the build and serves this page."""
    app.page.wait_for_function(
        "() => document.querySelector('[data-testid=offline]').textContent.includes('offline')"
        " && navigator.serviceWorker.controller !== null", timeout=120_000)


def wait_only_copy(app, version, timeout_s=120):
    """Until the worker of `version` is active and its copy is the only one."""
    settled = {"caches": [f"pynet-{version}"], "active": "activated"}
    seen = {}
    app.until(lambda: seen.update(state=app.page.evaluate(SETTLED)) or seen["state"] == settled, timeout_s,
              lambda: f"the copy of {version} never settled: {seen['state']}")


def build_version(site):
    """The version the build stamped into its service worker (a hash of every file's hash)."""
    return json.loads((site / ".build-stamp.json").read_text())["offline"]["version"]


def test_after_one_visit_the_page_works_offline(app_factory, built_site, site_url):
    app = app_factory(site_url)
    wait_kept(app)
    assert app.page.evaluate(CACHES) == [f"pynet-{build_version(built_site)}"]

    app.context.set_offline(True)
    responses = []
    app.page.on("response", lambda r: responses.append(r))
    app.page.reload()
    app.wait_status("Ready", timeout=READY_TIMEOUT_MS)
    # The cached responses kept their headers: the page is still cross-origin isolated.
    assert app.page.evaluate("crossOriginIsolated") is True
    app.page.wait_for_function("() => window.__pynet.metrics().matmul !== null", timeout=60_000)
    assert app.page.evaluate("window.__pynet.metrics().matmul") == "xnnpack"  # TF.js's kernel, offline
    fetched = {r.url.rsplit("/", 1)[-1] for r in responses}
    for part in ("pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json", "mnist-digits.bin",
                 "simd.wasm"):  # XNNPACK's build, threaded or not
        assert any(name.endswith(part) for name in fetched), part
    # Everything from the network came from the service worker (blob: URLs are made in the page: XNNPACK's
    # pool threads run one).
    from_network = [r for r in responses if not r.url.startswith("blob:")]
    assert [(r.url, r.status) for r in from_network if not (r.from_service_worker and r.ok)] == []

    app.train("tanh-softmax", iterations=5)
    app.wait_status("Done", timeout=120_000)
    assert app.accuracy("test") > 0.3
    app.draw(DIGITS[1])
    app.wait_prediction()
    assert abs(sum(float(p["p"]) for p in app.probabilities()) - 1) < 1e-3
    assert app.error_text() == "" and app.page_errors == []
    assert app.console_errors == [], app.console_errors


def test_a_new_build_replaces_the_old_copy(app_factory, serve_site, built_site, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(built_site, site)
    app = app_factory(serve_site(site))
    wait_kept(app)
    old = build_version(site)
    assert app.page.evaluate(CACHES) == [f"pynet-{old}"]

    # A rebuild that changes the Python archives (.py instead of bytecode: new files, a new lock).
    result = run_build(site, ["--no-pyc"])
    assert result.returncode == 0, result.stdout + result.stderr
    new = build_version(site)
    assert new != old

    # The next visit runs the new build from the server, and the browser fetches the new worker, which
    # copies the new build, verified file by file, and deletes the old copy.
    app.page.reload()
    app.wait_status("Ready", timeout=READY_TIMEOUT_MS)
    assert app.page.evaluate(BUILD_INFO)["compiled_python"] is False
    wait_only_copy(app, new)
    # Offline, the new copy runs: .py files and a lock that lists them.
    app.context.set_offline(True)
    app.page.reload()
    app.wait_status("Ready", timeout=READY_TIMEOUT_MS)
    assert app.page.evaluate(BUILD_INFO)["compiled_python"] is False
    app.train("tanh-softmax", iterations=2)
    app.wait_status("Done", timeout=120_000)
    assert app.error_text() == "" and app.page_errors == []
