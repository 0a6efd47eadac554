#!/usr/bin/env python3
"""Where a training batch's time goes, in the worker and natively, and what that leaves of a throughput
target: the matrix products against everything else, in the same run.

    python bench/ceiling.py                                   # tanh-softmax, wide-minibatch, conv; 3 reps, ~1 min
    python bench/ceiling.py --presets conv --reps 5 --targets conv=0.35

Each rep times single training batches of each preset (`bench/batch_time.py`, after a warm-up): natively
(pynet float32 on CPython, its NumPy's BLAS on every core), then in a module worker of the built site that
boots Pyodide and plugs in XNNPACK as the page's worker does, on one thread (`threads=1`) and on every
core, each in a new page; the three alternate within the rep. No page UI runs beside the worker: its
figures bound what the page can reach.

A target of p% of native allows the worker a batch of (native batch) / p. The products alone take some of
that at best (the faster of one thread and every core); what is left is the budget of everything else,
set against what everything else takes in the worker now and natively.

Results: bench/results/ceiling.json and ceiling.md (`--out`).
"""
import argparse
import json
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import browser  # noqa: E402  (bench/browser.py: site, server, Chromium, results)
import batch_time  # noqa: E402

MODES = {"worker_one_thread": 1, "worker": 0}  # the worker's threads (0: one per core)
BATCHES = {"tanh-softmax": 60, "wide-minibatch": 40, "conv": 12}
TARGETS = {"tanh-softmax": 0.40, "wide-minibatch": 0.40, "conv": 0.35}  # issue 12's, of native pynet
RESULT_TIMEOUT_MS = 300_000

PROBE_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pynet: batch times in a worker</title>
<script type="module">
window.__ceiling = null;
const worker = new Worker(new URL('./ceiling-worker.js' + location.search, import.meta.url), { type: 'module' });
worker.onmessage = (e) => { window.__ceiling = e.data; };
worker.onerror = (e) => { window.__ceiling = { error: e.message || 'the worker failed to load' }; };
</script></head><body>Timing training batches in a worker…</body></html>
"""
# The page's worker's start, without the page: Pyodide with NumPy and pynet, XNNPACK plugged in as
# pynet.host's `accelerate` does (products and the tanh's sigmoid), then batch_time.py.
WORKER_JS = """import { loadPyodide } from './pyodide/pyodide.mjs';
import { loadMatmul } from './js/xnnpack-matmul.js';
const query = new URLSearchParams(self.location.search);
try {
  const indexURL = new URL('./pyodide/', import.meta.url).href;
  const pyodide = await loadPyodide({ indexURL, lockFileURL: indexURL + 'pyodide-lock.json', packages: ['numpy', 'pynet'] });
  const matmul = await loadMatmul(pyodide, { threads: Number(query.get('threads')) || 0 });
  const [digits, code] = await Promise.all([
    fetch(new URL('./data/mnist-digits.bin', import.meta.url)).then((r) => r.arrayBuffer()),
    fetch(new URL('./batch_time.py', import.meta.url)).then((r) => r.text()),
  ]);
  pyodide.FS.writeFile('/tmp/batch_time.py', code);
  pyodide.FS.writeFile('/tmp/digits.bin', new Uint8Array(digits));
  pyodide.globals.set('matmul', matmul);
  const measured = pyodide.runPython(`
import sys
sys.path.insert(0, '/tmp')
from pynet import blas, elementwise
import batch_time
kernel = []  # each call of XNNPACK's product: its copies into and out of the kernel's memory, and the kernel
assert blas.use_matmul(batch_time.timed(matmul, kernel), 'xnnpack', matmul.forget)
assert elementwise.use_sigmoid(matmul.sigmoid, 'xnnpack')
batch_time.measure_json('/tmp/digits.bin', ${JSON.stringify(query.get('presets'))}, ${JSON.stringify(query.get('batches'))},
                        ${Number(query.get('train'))}, ${Number(query.get('test'))}, kernel)
`);
  postMessage({ threads: matmul.threads, oneThreadWhy: matmul.oneThreadWhy, presets: JSON.parse(measured) });
} catch (err) {
  postMessage({ error: String(err && err.message || err) });
}
"""


def probe_site(site, where):
    """A directory serving the probe page beside links to the built site's runtime, kernel and digits."""
    (where / "index.html").write_text(PROBE_HTML)
    (where / "ceiling-worker.js").write_text(WORKER_JS)
    (where / "batch_time.py").write_text((HERE / "batch_time.py").read_text())
    for name in ("pyodide", "js", "vendor", "data"):
        (where / name).symlink_to(site / name, target_is_directory=True)
    return where


def in_worker(chromium, url, threads, names, batches, args):
    query = urllib.parse.urlencode({"threads": threads, "presets": json.dumps(names), "batches": json.dumps(batches),
                                    "train": args.train_size, "test": args.test_size})
    page = chromium.new_page()
    try:
        page.goto(f"{url}?{query}")
        page.wait_for_function("() => window.__ceiling !== null", timeout=RESULT_TIMEOUT_MS)
        result = page.evaluate("window.__ceiling")
    finally:
        page.close()
    if "error" in result:
        sys.exit(f"the worker failed: {result['error']}")
    return result


def run_reps(chromium, url, site, args):
    """{mode: {preset: [figures per rep]}}, plus what each worker mode ran on."""
    names = list(args.presets)
    batches = {name: BATCHES.get(name, 40) for name in names}
    runs = {mode: {name: [] for name in names} for mode in ("native", *MODES)}
    threads = {}
    for rep in range(args.reps):
        native = batch_time.measure(site / browser.build.DIGITS_REL, names, batches,
                                    args.train_size, args.test_size)
        for name in names:
            runs["native"][name].append(native[name])
        for mode, count in MODES.items():
            result = in_worker(chromium, url, count, names, batches, args)
            threads[mode] = result["threads"]
            for name in names:
                runs[mode][name].append(result["presets"][name])
        browser.log(f"  rep {rep + 1}: " + ", ".join(
            f"{name} {runs['native'][name][-1]['batch_ms']:.2f} / {runs['worker_one_thread'][name][-1]['batch_ms']:.2f}"
            f" / {runs['worker'][name][-1]['batch_ms']:.2f} ms" for name in names))
    return runs, threads


def summarise(runs):
    """{preset: {mode: {batch_ms, products_ms, rest_ms}}}: each figure's median over the reps."""
    return {name: {mode: {key: statistics.median(rep[key] for rep in runs[mode][name])
                          for key in ("batch_ms", "products_ms", "rest_ms", "kernel_ms")
                          if runs[mode][name][0][key] is not None}
                   for mode in runs}
            for name in next(iter(runs.values()))}


def budget(figures, target):
    """What a target of `target` x native leaves the worker: its batch; the time inside XNNPACK's calls at
    their fastest (one thread or every core), which nothing in pynet can shorten; and what is left of the
    batch beside them for everything else (layout copies included)."""
    allowed = figures["native"]["batch_ms"] / target
    kernel = min(figures[mode]["kernel_ms"] for mode in MODES)
    best = min(figures[mode]["batch_ms"] for mode in MODES)
    return {"target": target, "allowed_batch_ms": allowed, "kernel_ms": kernel,
            "rest_budget_ms": allowed - kernel, "worker_over_native": figures["native"]["batch_ms"] / best}


def report(summary, budgets, environment, threads):
    lines = [
        f"# pynet: where a batch's time goes ({environment['when']}, {environment['cpus']} CPUs, load average "
        f"{environment['load_average']:.2f} before, {environment['load_average_after']:.2f} after)", "",
        "Median ms per training batch, medians of the reps: the whole batch = pynet's products "
        "(`pynet.layers.dot`, their layout copies included) + the rest; in brackets, the time inside "
        "XNNPACK's calls (the kernel and its copies in and out of its memory). *native*: CPython, its "
        "NumPy's BLAS; *1 thread*, *all threads*: a bare worker of the site (no page beside it) with "
        f"XNNPACK on {threads.get('worker_one_thread')} and {threads.get('worker')} threads.", "",
        "| preset | native: batch = products + rest | worker, 1 thread | worker, all threads | best worker ÷ native |",
        "|---|--:|--:|--:|--:|",
    ]
    for name, figures in summary.items():
        cells = [split_text(figures[mode]) for mode in ("native", *MODES)]
        lines.append(f"| {name} | {' | '.join(cells)} | {100 * budgets[name]['worker_over_native']:.1f}% |")
    lines += ["", "What a target leaves: the worker's batch it allows (native batch ÷ target), XNNPACK's calls "
              "at their fastest, and what is left beside them for everything else, against what everything "
              "else takes now.", "",
              "| preset | target | batch allowed | XNNPACK's calls at best | left for the rest | the rest now: "
              "worker (best), native |", "|---|--:|--:|--:|--:|--:|"]
    for name, b in budgets.items():
        worker_rest = min(summary[name][mode]["batch_ms"] - summary[name][mode]["kernel_ms"] for mode in MODES)
        native_rest = summary[name]["native"]["rest_ms"]
        lines.append(f"| {name} | {100 * b['target']:.0f}% | {b['allowed_batch_ms']:.2f} ms | {b['kernel_ms']:.2f} ms "
                     f"| {b['rest_budget_ms']:.2f} ms | {worker_rest:.2f} ms, {native_rest:.2f} ms |")
    return "\n".join(lines) + "\n"


def split_text(figures):
    kernel = figures.get("kernel_ms")
    return (f"{figures['batch_ms']:.2f} = {figures['products_ms']:.2f} + {figures['rest_ms']:.2f}"
            + (f" ({kernel:.2f})" if kernel is not None else ""))


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=3, help="reps, alternating native and the two workers (default 3)")
    parser.add_argument("--presets", nargs="+", default=list(TARGETS), choices=list(browser.PRESETS), metavar="PRESET")
    parser.add_argument("--targets", nargs="*", default=[], metavar="PRESET=FRACTION",
                        help="a preset's target as a fraction of native (default: issue 12's, else 0.35)")
    parser.add_argument("--train-size", type=int, default=1000)
    parser.add_argument("--test-size", type=int, default=1000)
    parser.add_argument("--site", type=Path, default=browser.build.DEFAULT_OUT, help="site directory (default web/dist)")
    parser.add_argument("--no-build", action="store_true", help="serve the site as it is")
    parser.add_argument("--chromium", help="Chromium executable (default $PYNET_CHROMIUM, /usr/bin/chromium)")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "ceiling.json")
    args = parser.parse_args(argv)
    args.targets = {**TARGETS, **{k: float(v) for k, v in (t.split("=", 1) for t in args.targets)}}
    return args


def main(argv=None):
    from playwright.sync_api import sync_playwright

    args = parse_args(argv)
    started = time.perf_counter()
    browser.ensure_site(args.site, args.no_build)
    environment = {"when": time.strftime("%Y-%m-%d %H:%M"), "cpus": browser.os.cpu_count(),
                   "load_average": browser.os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(prefix="pynet-ceiling-") as tmp, \
            browser.serving(probe_site(args.site.resolve(), Path(tmp))) as url, sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=browser.chromium_path(args.chromium), headless=True,
                                      args=browser.CHROMIUM_FLAGS)
        try:
            runs, threads = run_reps(chromium, url, args.site.resolve(), args)
        finally:
            chromium.close()
    environment["load_average_after"] = browser.os.getloadavg()[0]
    summary = summarise(runs)
    budgets = {name: budget(figures, args.targets.get(name, 0.35)) for name, figures in summary.items()}
    text = report(summary, budgets, environment, threads)
    browser.write_results(args.out, {"environment": environment, "threads": threads, "runs": runs,
                                     "summary": summary, "budgets": budgets,
                                     "seconds": time.perf_counter() - started}, text)
    print(text, flush=True)


if __name__ == "__main__":
    main()
