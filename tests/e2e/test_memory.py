"""Memory over time: train / stop cycles in one page must not make the worker's memory grow, and Reset must
leave one worker and a page heap that does not grow either. The figures are bytes, not seconds: a busy
machine changes how long a cycle takes, not what it keeps. bench/memory.py reports the same over 20 cycles."""
import pytest

from bench.memory import MB, one_cycle
from e2e_support import App

pytestmark = pytest.mark.e2e

WASM_PAGE = 64 * 1024


@pytest.fixture
def app(browser, site_url):
    a = App(browser, site_url).open()
    a.page.wait_for_function("() => window.__pynet.metrics().matmul !== null", timeout=120_000)
    yield a
    a.close()


def cycles(app, count, reset):
    cdp = app.context.new_cdp_session(app.page)
    return [one_cycle(app, cdp, "tanh-softmax", reset) for _ in range(count)]


def test_train_stop_cycles_do_not_grow_the_workers_memory(app):
    rows = cycles(app, 8, reset=False)
    python = [r["python"] for r in rows]
    xnnpack = [r["xnnpack"] for r in rows]
    # The second run may need a little more room than the first (the old run's memory is free again but
    # not in one piece); after that every run fits in what is there. WebAssembly memory grows in steps
    # of a fifth of its size or more, so any leak of a run's data shows as a step.
    assert python[2:] == [python[1]] * 6, [f"{p / MB:.1f} MB" for p in python]
    assert python[1] < 1.25 * python[0], "the second run needed room for two runs' data"
    assert xnnpack[1:] == [xnnpack[0]] * 7, [f"{x / MB:.1f} MB" for x in xnnpack]
    assert rows[-1]["page_js"] - rows[1]["page_js"] < 0.5 * MB
    assert app.page_errors == []


def test_reset_cycles_leave_one_worker_and_a_steady_page(app):
    rows = cycles(app, 4, reset=True)
    assert [r["workers"] for r in rows] == [1] * 4
    # Every new worker starts from the same memory, give or take a page of WebAssembly memory: a worker
    # fetches the digits while Pyodide starts, and which comes first orders Python's allocations. A leak
    # would be a step of a fifth of the memory or more.
    python = [r["python"] for r in rows]
    assert max(python) - min(python) <= 2 * WASM_PAGE, python
    assert rows[-1]["page_js"] - rows[0]["page_js"] < 0.5 * MB
    assert app.page_errors == []
