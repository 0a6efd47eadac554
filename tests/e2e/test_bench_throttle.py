"""bench/network.py in real Chromium: the link it emulates slows a worker's downloads too, which is where
Pyodide fetches its files (without that the start-up benches' `--network` would throttle nothing)."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import network  # noqa: E402

pytestmark = pytest.mark.e2e

SIZE = 1_000_000  # bytes: 2 s at 4 Mbit/s, a few ms from 127.0.0.1
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>network</title>
<script type="module" src="page.js"></script></head><body></body></html>"""
PAGE_JS = """window.fetched = null;
const worker = new Worker('worker.js', { type: 'module' });
worker.onmessage = (e) => { window.fetched = e.data; };"""
WORKER_JS = """const start = performance.now();
const bytes = (await (await fetch('blob.bin')).arrayBuffer()).byteLength;
postMessage({ bytes, ms: performance.now() - start });"""


@pytest.fixture(scope="module")
def url(serve_site, tmp_path_factory):
    root = tmp_path_factory.mktemp("network")
    (root / "index.html").write_text(PAGE)
    (root / "page.js").write_text(PAGE_JS)
    (root / "worker.js").write_text(WORKER_JS)
    (root / "blob.bin").write_bytes(bytes(SIZE))
    return serve_site(root)


def test_a_throttled_page_s_worker_downloads_at_the_link_s_speed(browser, url):
    page = browser.new_page()
    try:
        network.throttle(page, 4, rtt_ms=20)
        page.goto(url)
        page.wait_for_function("window.fetched !== null", timeout=60_000)
        fetched = page.evaluate("window.fetched")
    finally:
        page.close()
    assert fetched["bytes"] == SIZE
    assert fetched["ms"] >= 0.6 * SIZE / (4e6 / 8) * 1000  # at least most of the 2 s the link allows
