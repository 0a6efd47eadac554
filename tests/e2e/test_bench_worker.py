"""bench/ceiling.py's worker, in real Chromium: it boots the built site's Pyodide, plugs in XNNPACK as the
page's worker does, and splits training batches into XNNPACK's calls, pynet's products and the rest."""
import sys
import types
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import ceiling  # noqa: E402

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def probe_url(built_site, serve_site, tmp_path_factory):
    return serve_site(ceiling.probe_site(built_site, tmp_path_factory.mktemp("ceiling")))


@pytest.mark.parametrize("threads", [1, 0])
def test_the_bench_worker_times_batches_with_xnnpack(browser, probe_url, threads):
    args = types.SimpleNamespace(train_size=300, test_size=100)
    result = ceiling.in_worker(browser, probe_url, threads, ["tanh-softmax"], {"tanh-softmax": 4}, args)
    page = browser.new_page()
    cores = min(page.evaluate("navigator.hardwareConcurrency"), 8)
    page.close()
    assert result["threads"] == (1 if threads == 1 else cores)
    f = result["presets"]["tanh-softmax"]
    assert 0 < f["kernel_ms"] <= f["products_ms"] < f["batch_ms"]
    assert f["rest_ms"] > 0
