"""Python's start from the build's memory snapshot (web/js/snapshot.js): a return visit restores it, trains
to the same numbers as a default start, and leaves Python as a default start would; a first visit, or a
snapshot that does not restore, starts the default way and loses nothing."""
import os
from pathlib import Path

import pytest

from e2e_support import READY_TIMEOUT_MS
from test_offline import wait_kept

pytestmark = pytest.mark.e2e

START = "window.__pynet.metrics().pythonStart"
EVALUATIONS = """() => window.__pynet.metrics().events.filter((e) => e.type === 'evaluation')
  .map((e) => [e.iteration, e.train_loss, e.test_loss, e.test_accuracy])"""
RUN = {"iterations": 3, "train_size": 300, "test_size": 200, "seed": 7}


def evaluations_of_a_run(app):
    app.train("tanh-softmax", **RUN)
    app.wait_status("Done", timeout=120_000)
    return app.page.evaluate(EVALUATIONS)


def test_a_return_visit_restores_python_and_trains_to_the_same_numbers(app_factory, site_url):
    app = app_factory(site_url)
    assert app.page.evaluate(START) == {"from": "default"}  # a first visit downloads no snapshot
    worker_files = [url.rsplit("/", 1)[-1] for url in app.requests]  # the page's and its workers' requests
    assert "pyodide.asm.wasm" in worker_files and "snapshot.bin.gz" not in worker_files
    first = evaluations_of_a_run(app)
    wait_kept(app)

    app.page.reload()
    app.wait_status("Ready", timeout=READY_TIMEOUT_MS)
    assert app.page.evaluate(START) == {"from": "snapshot"}
    assert evaluations_of_a_run(app) == first and len(first) >= 2  # the first and the last evaluation
    assert app.error_text() == "" and app.page_errors == [] and app.console_errors == []


def test_a_snapshot_that_does_not_restore_costs_one_try(app_factory, site_url):
    app = app_factory(site_url)
    wait_kept(app)
    notes = []
    app.page.on("console", lambda m: notes.append(m.text) if "snapshot" in m.text else None)
    # The server now sends a damaged snapshot (half of it): the worker must start Python the default way.
    app.context.route("**/snapshot.bin.gz", lambda route: route.fulfill(
        status=200, body=route.fetch().body()[: 2_000_000], headers={"Content-Type": "application/octet-stream"}))
    app.page.reload()
    app.wait_status("Ready", timeout=READY_TIMEOUT_MS)
    start = app.page.evaluate(START)
    assert start["from"] == "default" and "did not restore" in start["note"], start
    assert any("starts the default way" in n for n in notes), notes
    app.train("tanh-softmax", iterations=1, train_size=200, test_size=100)
    app.wait_status("Done", timeout=120_000)
    assert app.error_text() == "" and app.page_errors == []


PROBE_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>probe</title>
<script type="module" src="probe.js"></script></head><body></body></html>"""
PROBE_JS = """window.state = {};
for (const mode of ['default', 'snapshot']) {
  const worker = new Worker('probe-worker.js', { type: 'module' });
  worker.onmessage = (e) => { window.state[mode] = e.data; };
  worker.postMessage(mode);
}"""
# The page's own module restores the snapshot; Python then says what a program could see of its start.
PROBE_WORKER_JS = """import { loadPyodide } from './pyodide/pyodide.mjs';
import { afterRestore, SNAPSHOT_FILE, snapshotBytes } from './js/snapshot.js';
const indexURL = new URL('./pyodide/', import.meta.url).href;
const STATE = `
import json, os, sys
json.dumps({"environ": dict(os.environ), "path": sys.path, "executable": sys.executable, "argv": sys.argv,
            "cwd": os.getcwd(), "modules": sorted(sys.modules), "prefix": sys.prefix, "flags": str(sys.flags)})`;
onmessage = async (e) => {
  try {
    const options = { indexURL, lockFileURL: indexURL + 'pyodide-lock.json', packages: ['numpy', 'pynet'] };
    if (e.data === 'snapshot') options._loadSnapshot = snapshotBytes(indexURL + SNAPSHOT_FILE);
    const pyodide = await loadPyodide(options);
    if (e.data === 'snapshot') afterRestore(pyodide);
    pyodide.runPython('import numpy, pynet.host');
    postMessage(JSON.parse(pyodide.runPython(STATE)));
  } catch (err) {
    postMessage({ error: String((err && err.message) || err) });
  }
};"""


def test_a_restored_python_sees_what_a_default_start_shows(browser, built_site, serve_site, tmp_path):
    """No trace of the build machine (the snapshot is made under Node.js), and the same environment."""
    (tmp_path / "index.html").write_text(PROBE_PAGE)
    (tmp_path / "probe.js").write_text(PROBE_JS)
    (tmp_path / "probe-worker.js").write_text(PROBE_WORKER_JS)
    for name in ("pyodide", "js"):
        os.symlink(Path(built_site) / name, tmp_path / name, target_is_directory=True)
    page = browser.new_page()
    try:
        page.goto(serve_site(tmp_path))
        page.wait_for_function("() => window.state.default && window.state.snapshot", timeout=READY_TIMEOUT_MS)
        state = page.evaluate("window.state")
    finally:
        page.close()
    default, restored = state["default"], state["snapshot"]
    assert "error" not in default and "error" not in restored, state
    assert restored == default
    assert str(Path.cwd()) not in repr(restored) and "node" not in restored["executable"].lower()
