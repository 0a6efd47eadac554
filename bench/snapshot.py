#!/usr/bin/env python3
"""Pyodide 0.27.7's memory snapshot: does starting from one beat the stock boot in the browser?

    python bench/snapshot.py [--reps N] [--site DIR] [--no-build] [--no-node] [--network MBIT]

Pyodide 0.27.7 refuses to snapshot a runtime into which a package was loaded (`makeMemorySnapshot`:
"Unexpected hiwire entry at index 6", the `loadedPackages` record must be empty), and a snapshot cannot
carry NumPy's extension modules anyway (they are separate WebAssembly modules and function-table entries,
outside the memory the snapshot copies). What is left to try is a snapshot of the bare interpreter, with
NumPy and pynet loaded after the restore. This measures that, in a module worker of the built site:

- Node.js first (`bench/snapshot_probe.mjs`, unless --no-node): the three ways (NumPy through loadPackage,
  NumPy unzipped and imported, bare interpreter), what each snapshot holds and whether NumPy works after it;
- the snapshot: by default the one the build made for the page (`pyodide/snapshot.bin.gz`, under Node.js:
  web/sitebuild/snapshot.py); `--made-in chromium` makes one in the browser (`loadPyodide({_makeSnapshot:
  true})`, then `makeMemorySnapshot()`, sent back by the page); served as a file beside the site;
- then, alternating, each in a new Chromium profile (cold HTTP cache) then a new tab of it (warm):
  stock:    `loadPyodide({packages: ['numpy', 'pynet']})`, `import numpy, pynet`;
  snapshot: the same with `_loadSnapshot: fetch('snapshot.bin')`;
  figures are ms from navigation start to the worker's message after the import, in the page's clock;
- correctness: after each load, `tanh-softmax` trains 3 iterations on 300 of the site's digits; its last
  evaluation must be the same from the snapshot as from the stock boot;
- with `--network MBIT` (bench/network.py), every load throttled to that link, and the snapshot shipped
  gzipped (`snapshot.bin.gz`, unzipped in the worker by the browser's DecompressionStream): what it would
  cost a visitor whatever the host compresses.
"""
import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "bench")]

import network  # noqa: E402
from network import throttle  # noqa: E402
from startup import (VIEWPORT, CHROMIUM_FLAGS, DEFAULT_OUT, SNAPSHOT_REL, log, median, page_policy,  # noqa: E402
                     serving)

TIMEOUT_MS = 180_000
NUMPY_WHEEL = Path.home() / ".cache" / "pynet" / "numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl"

HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{policy}">
<title>Memory snapshot bench</title>
<script type="module" src="bench.js"></script></head><body>Booting…</body></html>
"""
PAGE_JS = """// Start the worker in the mode the address names; keep what it says, and the time of its first answer.
window.__bench = { readyAt: null, error: null, check: null, snapshot: null };
const mode = new URLSearchParams(location.search).get('mode');
const worker = new Worker(new URL('./bench-worker.js', import.meta.url), { type: 'module' });
worker.onmessage = (e) => {
  const m = e.data;
  if (m.error) window.__bench.error = m.error;
  else if (m.snapshot) window.__bench.snapshot = m.snapshot;
  else if (m.check) window.__bench.check = m.check;
  else { window.__bench.readyAt = performance.now(); worker.postMessage('check'); }
};
worker.postMessage(mode);
"""
WORKER_JS = """import { loadPyodide } from './pyodide/pyodide.mjs';
const indexURL = new URL('./pyodide/', import.meta.url).href;
const lockFileURL = indexURL + 'pyodide-lock.json';
const CHECK = `
import json
from pynet import data, presets
with open('/tmp/digits.bin', 'wb') as f: f.write(digits.to_bytes())
train, test = data.split(data.read_digits('/tmp/digits.bin'), 300, 200)
trainer = presets.make_trainer('tanh-softmax', train, test, {'iterations': 3})
trainer.run()
last = [e for e in trainer.history if e['type'] == 'evaluation'][-1]
json.dumps({k: last[k] for k in ('test_loss', 'test_accuracy', 'train_loss', 'train_accuracy')})
`;
let pyodide = null;
async function boot(mode) {
  if (mode === 'make') {
    pyodide = await loadPyodide({ indexURL, lockFileURL, _makeSnapshot: true });
    const bytes = pyodide.makeMemorySnapshot();
    let refused = '';
    try {
      const numpy = await loadPyodide({ indexURL, lockFileURL, _makeSnapshot: true, packages: ['numpy'] });
      numpy.runPython('import numpy');
      numpy.makeMemorySnapshot();
    } catch (err) { refused = String(err.message || err); }
    const put = await fetch('./snapshot.bin', { method: 'PUT', body: bytes });
    postMessage({ snapshot: { bytes: bytes.length, stored: put.status, numpyRefused: refused } });
    return;
  }
  const options = { indexURL, lockFileURL, packages: ['numpy', 'pynet'] };
  if (mode === 'snapshot') options._loadSnapshot = fetch('./snapshot.bin').then((r) => r.arrayBuffer());
  if (mode === 'snapshot-gz') {
    options._loadSnapshot = fetch('./snapshot.bin.gz')
      .then((r) => new Response(r.body.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
  }
  pyodide = await loadPyodide(options);
  pyodide.runPython('import numpy, pynet');
  postMessage({ ready: true });
}
self.onmessage = async (e) => {
  try {
    if (e.data !== 'check') return await boot(e.data);
    const digits = new Uint8Array(await (await fetch('./data/mnist-digits.bin')).arrayBuffer());
    pyodide.globals.set('digits', digits);
    postMessage({ check: JSON.parse(pyodide.runPython(CHECK)) });
  } catch (err) {
    postMessage({ error: String((err && err.message) || err) });
  }
};
"""


def bench_site(site, where):
    """The bench page beside links to the built site's pyodide/ and data/ (same files, same headers)."""
    (where / "index.html").write_text(HTML.format(policy=page_policy(site / "index.html")))
    (where / "bench.js").write_text(PAGE_JS)
    (where / "bench-worker.js").write_text(WORKER_JS)
    for name in ("pyodide", "data"):
        (where / name).symlink_to(site / name, target_is_directory=True)
    return where


def wait(page, what):
    page.wait_for_function(f"() => window.__bench.{what} !== null || window.__bench.error !== null",
                           timeout=TIMEOUT_MS)
    error = page.evaluate("window.__bench.error")
    if error:
        raise RuntimeError(error)
    return page.evaluate(f"window.__bench.{what}")


def make_snapshot(pw, chromium, url, where):
    """Make the snapshot in Chromium; the worker PUTs its bytes, which land in where/snapshot.bin."""
    browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
    try:
        page = browser.new_page(viewport=VIEWPORT)

        def store(route):
            (where / "snapshot.bin").write_bytes(route.request.post_data_buffer)
            route.fulfill(status=201, body="")
        page.route("**/snapshot.bin", store)
        started = time.perf_counter()
        page.goto(url + "?mode=make")
        made = wait(page, "snapshot")
        made["seconds"] = round(time.perf_counter() - started, 2)
    finally:
        browser.close()
    made.update(made_in="chromium", file_bytes=(where / "snapshot.bin").stat().st_size)
    return made


def cold_and_warm(pw, chromium, url, mode, link=(None, None)):
    """((cold ms, its check), (warm ms, its check)) in a new profile; `link` throttles both visits."""
    with tempfile.TemporaryDirectory(prefix="pynet-bench-profile-") as profile:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=chromium, headless=True, args=CHROMIUM_FLAGS, viewport=VIEWPORT)
        try:
            out = []
            for visit in ("cold", "warm"):
                page = context.new_page()
                throttle(page, *link)
                page.goto(f"{url}?mode={mode}")
                ready_at = wait(page, "readyAt")
                out.append((ready_at, wait(page, "check")))
                page.close()
        finally:
            context.close()
    return out


def make_snapshot_in_node(site, where):
    """The bare snapshot made by the site's Pyodide under Node.js, as a build step could make it."""
    env = {**os.environ, "SNAPSHOT_OUT": str(where / "snapshot.bin"), "PYODIDE_DIR": str(site / "pyodide")}
    started = time.perf_counter()
    done = subprocess.run(["node", str(REPO / "bench" / "snapshot_probe.mjs"), str(NUMPY_WHEEL), "bare"],
                          capture_output=True, text=True, timeout=600, env=env)
    if not (where / "snapshot.bin").exists():
        sys.exit(f"the Node.js probe made no snapshot:\n{done.stdout}\n{done.stderr}")
    return {"made_in": "node", "seconds": round(time.perf_counter() - started, 2),
            "file_bytes": (where / "snapshot.bin").stat().st_size}


def the_sites_snapshot(site, where):
    """The snapshot the build made for the page (web/sitebuild/snapshot.py), as the page gets it."""
    shipped = site / SNAPSHOT_REL
    if not shipped.is_file():
        sys.exit(f"{shipped} is missing: the build makes it with Node.js (`python build.py` says why not)")
    gzipped = shipped.read_bytes()
    (where / "snapshot.bin.gz").write_bytes(gzipped)
    (where / "snapshot.bin").write_bytes(gzip.decompress(gzipped))
    return {"made_in": "site (the build, under Node.js)", "file_bytes": (where / "snapshot.bin").stat().st_size}


def node_probe():
    """The Node.js probe's lines, for each way of making the snapshot."""
    lines = []
    for how in ("loadPackage", "unzip", "bare"):
        done = subprocess.run(["node", str(REPO / "bench" / "snapshot_probe.mjs"), str(NUMPY_WHEEL), how],
                              capture_output=True, text=True, timeout=600)
        lines += [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=3, help="alternating runs per figure (default 3)")
    parser.add_argument("--site", type=Path, default=DEFAULT_OUT, help="the built site (default web/dist)")
    parser.add_argument("--no-build", action="store_true", help="use the site as it is")
    parser.add_argument("--no-node", action="store_true", help="skip the Node.js probe")
    parser.add_argument("--made-in", choices=("site", "chromium", "node"), default="site",
                        help="the snapshot: the built site's own (default: what the page restores, made by the "
                             "build under Node.js), one made in Chromium, or one made by bench/snapshot_probe.mjs")
    parser.add_argument("--chromium", default=os.environ.get("PYNET_CHROMIUM", "/usr/bin/chromium"))
    network.add_arguments(parser)
    parser.add_argument("--out", type=Path, help="default bench/results/snapshot.json, or "
                                                 "snapshot-MBITmbit.json with --network")
    args = parser.parse_args(argv)
    link = network.chosen(args)
    out = args.out or network.result_file(REPO / "bench" / "results", "snapshot", args.network)
    modes = {"stock": "stock", "snapshot": "snapshot" if args.network is None else "snapshot-gz"}
    from playwright.sync_api import sync_playwright

    site = args.site.resolve()
    if not args.no_build and subprocess.run([sys.executable, str(REPO / "build.py"), "--out", str(site)],
                                            cwd=REPO).returncode != 0:
        sys.exit("python build.py failed")
    result = {"load_average": [round(os.getloadavg()[0], 2)]}
    if not args.no_node:
        result["node"] = node_probe()
        for line in result["node"]:
            log(f"  node {json.dumps(line)}")
    runs = {mode: {"cold_ms": [], "warm_ms": [], "checks": []} for mode in ("stock", "snapshot")}
    with tempfile.TemporaryDirectory(prefix="pynet-bench-snapshot-") as tmp, \
            serving(bench_site(site, Path(tmp))) as url, sync_playwright() as pw:
        made = {"site": the_sites_snapshot, "node": make_snapshot_in_node,
                "chromium": lambda site, where: make_snapshot(pw, args.chromium, url, where)}[args.made_in]
        result["made"] = made(site, Path(tmp))
        if not (Path(tmp) / "snapshot.bin.gz").exists():
            (Path(tmp) / "snapshot.bin.gz").write_bytes(gzip.compress((Path(tmp) / "snapshot.bin").read_bytes(), 9))
        result["made"]["gzip_bytes"] = (Path(tmp) / "snapshot.bin.gz").stat().st_size
        log(f"  snapshot made: {json.dumps(result['made'])}")
        for rep in range(args.reps):
            for mode, run in runs.items():
                (cold, cold_check), (warm, warm_check) = cold_and_warm(pw, args.chromium, url, modes[mode], link)
                run["cold_ms"].append(cold)
                run["warm_ms"].append(warm)
                run["checks"] += [cold_check, warm_check]
            log(f"  rep {rep + 1}: " + ", ".join(
                f"{mode} {r['cold_ms'][-1]:,.0f}/{r['warm_ms'][-1]:,.0f}" for mode, r in runs.items())
                + " ms (cold/warm)")
    for run in runs.values():
        run["cold_median_ms"], run["warm_median_ms"] = median(run["cold_ms"]), median(run["warm_ms"])
    checks = [json.dumps(c, sort_keys=True) for run in runs.values() for c in run["checks"]]
    result.update(runs, same_numbers=len(set(checks)) == 1, check=runs["stock"]["checks"][0])
    result["network"] = network.describe(*link)
    result["load_average"].append(round(os.getloadavg()[0], 2))
    result["created"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    log("| ms from navigation to `import numpy, pynet` done (median) | cold | warm |\n|---|--:|--:|")
    for mode, run in runs.items():
        log(f"| {mode} | {run['cold_median_ms']:,.0f} | {run['warm_median_ms']:,.0f} |")
    log(f"snapshot {result['made']['file_bytes']:,} bytes ({result['made']['gzip_bytes']:,} gzipped"
        f"{', sent so' if args.network is not None else ''}); tanh-softmax after 3 iterations "
        f"{'the same' if result['same_numbers'] else 'DIFFERENT'} in every load: {json.dumps(result['check'])}")
    log(f"{result['network']}; load average {result['load_average'][0]} before, {result['load_average'][1]} after; "
        f"wrote {out}")


if __name__ == "__main__":
    main()
