#!/usr/bin/env python3
"""Memory over time in one page: cycles of train / stop / reset, then cycles of train / stop without reset.

    python bench/memory.py                  # 20 + 20 cycles, ~5-10 min on 2 cores
    python bench/memory.py --cycles 5       # a shorter run
    python bench/browser.py --memory        # the same, inside the browser benchmark

After each cycle it reads the worker's WebAssembly memories (Python's heap, which Pyodide's NumPy and pynet
allocate in, and XNNPACK's, the TF.js backend that does the matrix products), through the page's
`window.__pynet.status()`, and the page's JavaScript heap after a forced garbage collection (Chrome DevTools
Protocol: HeapProfiler.collectGarbage, Runtime.getHeapUsage). A WebAssembly memory never shrinks: it grows
while the first runs find their working set, and growth after that is a leak. With a reset every cycle the
worker's memories start afresh, so the page's own heap and the count of live workers are what can leak.

Each cycle trains through the UI (preset picker, Train), lets a few iterations pass, presses Stop, and
classifies a drawn digit, as a person would. Results: bench/results/memory.json and .md (`--out`).
"""
import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests" / "e2e")]

from e2e_support import CHROMIUM_FLAGS, DIGITS, App  # noqa: E402

MB = 1024 * 1024
# Long enough to be stopped, not finished; 8,000 images make each run allocate what a person's would.
TRAINING = {"iterations": 2000, "train_size": 8000}
ITERATIONS_BEFORE_STOP = 2
WARM_UP_CYCLES = 3  # growth is measured from the end of this cycle on


def heap_now(app, cdp):
    """The page's JS heap (bytes in use) after a full garbage collection."""
    cdp.send("HeapProfiler.collectGarbage")
    return cdp.send("Runtime.getHeapUsage")["usedSize"]


def one_cycle(app, cdp, preset, reset):
    """Train, stop after a few iterations, classify a digit, [reset]; the memory figures after it."""
    app.train(preset, **TRAINING)
    app.page.wait_for_function(
        "n => parseInt(document.querySelector('[data-testid=iteration]').textContent) >= n",
        arg=ITERATIONS_BEFORE_STOP, timeout=300_000)
    app.tid("stop").click()
    app.wait_status("Stopped", timeout=60_000)
    app.draw(DIGITS[7])
    app.wait_prediction()
    memory = app.page.evaluate("window.__pynet.status()")["memory"]
    if reset:
        app.tid("reset").click()
        app.wait_status("Ready", timeout=120_000)
        app.page.wait_for_function("() => window.__pynet.metrics().matmul !== null", timeout=120_000)
    return {"python": memory["python"], "xnnpack": memory["xnnpack"], "page_js": heap_now(app, cdp),
            "workers": python_workers(app)}


def python_workers(app, settle_ms=10_000):
    """The page's live Python workers (not XNNPACK's pool threads), once a terminated one has had a moment
    to close: the browser reports a worker gone only after its own threads have ended, so a count taken
    the instant Reset is done can still hold the old one. A leak is a worker that never goes."""
    count = lambda: len([w for w in app.page.workers if w.url.endswith("/js/worker.js")])  # noqa: E731
    waited = 0
    while count() > 1 and waited < settle_ms:
        app.page.wait_for_timeout(100)
        waited += 100
    return count()


def run_cycles(browser, url, cycles, preset, reset, log=print):
    app = App(browser, url).open()
    try:
        app.page.wait_for_function("() => window.__pynet.metrics().matmul !== null", timeout=120_000)
        cdp = app.context.new_cdp_session(app.page)
        rows = []
        for cycle in range(1, cycles + 1):
            started = time.perf_counter()
            rows.append({"cycle": cycle, **one_cycle(app, cdp, preset, reset),
                         "seconds": round(time.perf_counter() - started, 1)})
            log(f"  {'reset' if reset else 'no reset'} cycle {cycle}: " + describe(rows[-1]))
        return {"reset": reset, "preset": preset, "cycles": rows, "growth": growth(rows),
                "page_errors": app.page_errors}
    finally:
        app.close()


def describe(row):
    mb = lambda v: "-" if v is None else f"{v / MB:.1f} MB"  # noqa: E731
    return (f"Python heap {mb(row['python'])}, XNNPACK {mb(row['xnnpack'])}, page JS heap {mb(row['page_js'])}, "
            f"{row['workers']} worker(s), {row['seconds']} s")


def growth(rows):
    """Bytes each memory grew from the end of the warm-up cycles to the last cycle (None: too few)."""
    if len(rows) <= WARM_UP_CYCLES:
        return None
    first, last = rows[WARM_UP_CYCLES - 1], rows[-1]
    return {key: (last[key] - first[key]) if last[key] is not None and first[key] is not None else None
            for key in ("python", "xnnpack", "page_js")}


def bench_memory(browser, url, cycles=20, preset="tanh-softmax", log=print):
    """Both kinds of cycles in their own page each; the dict the report is made from."""
    log(f"Memory over {cycles} cycles of train / stop / reset, then of train / stop ({preset}, "
        f"{TRAINING['train_size']} images):")
    return {"cycles": cycles, "preset": preset, "training": TRAINING,
            "with_reset": run_cycles(browser, url, cycles, preset, reset=True, log=log),
            "without_reset": run_cycles(browser, url, cycles, preset, reset=False, log=log)}


def report_lines(result):
    """The Markdown section on memory (also part of bench/browser.py's report)."""
    mb = lambda v: "-" if v is None else f"{v / MB:,.1f}"  # noqa: E731
    lines = ["## Memory over time", "",
             f"`{result['preset']}` on {result['training']['train_size']:,} images, stopped after "
             f"{ITERATIONS_BEFORE_STOP} iterations, then a digit classified; figures after each cycle (MB). "
             "WebAssembly memories never shrink: growth after the first cycles is a leak. With a reset, "
             "the worker is new every cycle: its figures are the new worker's.", ""]
    for key, title in (("without_reset", "train / stop, one worker"), ("with_reset", "train / stop / reset")):
        run = result[key]
        lines += [f"### {title}", "", "| cycle | Python heap | XNNPACK | page JS heap | workers |",
                  "|--:|--:|--:|--:|--:|"]
        lines += [f"| {r['cycle']} | {mb(r['python'])} | {mb(r['xnnpack'])} | {mb(r['page_js'])} | {r['workers']} |"
                  for r in run["cycles"]]
        g = run["growth"]
        if g:
            lines += ["", f"Growth from cycle {WARM_UP_CYCLES} to {len(run['cycles'])}: Python heap "
                      f"{mb(g['python'])} MB, XNNPACK {mb(g['xnnpack'])} MB, page JS heap {mb(g['page_js'])} MB."]
        lines.append("")
    return lines


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=20, help="cycles of each kind (default 20)")
    parser.add_argument("--preset", default="tanh-softmax", help="the preset trained (default tanh-softmax)")
    parser.add_argument("--site", type=Path, default=None, help="site directory (default web/dist)")
    parser.add_argument("--no-build", action="store_true", help="serve the site as it is")
    parser.add_argument("--chromium", help="Chromium executable (default $PYNET_CHROMIUM, /usr/bin/chromium)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "memory.json",
                        help="JSON results, the Markdown report beside it (.md)")
    return parser.parse_args(argv)


def main(argv=None):
    import browser as bench_browser  # bench/browser.py: building, serving, finding Chromium
    from playwright.sync_api import sync_playwright

    args = parse_args(argv)
    site = (args.site or bench_browser.build.DEFAULT_OUT).resolve()
    bench_browser.ensure_site(site, args.no_build)
    with bench_browser.serving(site) as url, sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=bench_browser.chromium_path(args.chromium), headless=True,
                                      args=CHROMIUM_FLAGS)
        try:
            result = {"benchmark": "memory", "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                      "environment": bench_browser.environment(chromium, site),
                      **bench_memory(chromium, url, args.cycles, args.preset, log=bench_browser.log)}
        finally:
            chromium.close()
    text = "\n".join(["# pynet in the browser: memory", "", f"{result['created']}.", "", *report_lines(result)])
    bench_browser.write_results(args.out, result, text)
    print(text)


if __name__ == "__main__":
    main()
