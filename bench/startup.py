#!/usr/bin/env python3
"""Start-up: time to Ready against its floor, in the same run.

    python bench/startup.py [--reps N] [--site DIR] [--no-build]   (also part of bench/browser.py)
    python bench/startup.py --network 50 --variants floor,page     (a 50 Mbit/s link: bench/network.py)

Three things are loaded, each in a new Chromium profile (cold: empty caches), then again in a new tab of
that profile (warm: what a returning visitor gets; for the page that is its service worker's copy):

- floor: a bare page whose module worker only boots the same Pyodide from the same site and imports NumPy
  (`loadPyodide({packages: ['numpy']})`, then `import numpy`): what any Pyodide + NumPy page must wait for;
- page:  pynet's page, until the worker's ready message (Python, NumPy, pynet, the digits and the presets
  loaded: the form usable); warm, Python's start is restored from the build's memory snapshot, which the
  offline copy then holds (web/js/snapshot.js);
- page without the snapshot: the same, but the snapshot taken out of the offline copy before the warm
  visit, which then starts Python the default way: what the snapshot brings a return visit;
- page with .py: the same page built with `--no-pyc`, the stock distribution's Python as sources;
  and its floor, to show what compiling buys a bare Pyodide too.

Every figure is ms from navigation start to the ready message, as `performance.now()` in the page. The
figure of merit is page ÷ floor: at most 1.0 means everything pynet adds is hidden behind Pyodide's boot.
Variants alternate within each rep so that a busy spell of the machine hits all alike. With `--network`,
every load is throttled to that link (its own result file: 127.0.0.1 weighs CPU only).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "web"), str(REPO / "tests" / "e2e")]

from e2e_support import CHROMIUM_FLAGS  # noqa: E402
import network  # noqa: E402
from network import throttle  # noqa: E402
from sitebuild.common import DEFAULT_OUT  # noqa: E402
from sitebuild.serve import make_server, page_policy  # noqa: E402
from sitebuild.snapshot import REL as SNAPSHOT_REL  # noqa: E402

READY_TIMEOUT_MS = 120_000
VIEWPORT = {"width": 1280, "height": 900}
PY_SITE = Path(tempfile.gettempdir()) / "pynet-bench-site-py"  # kept between runs: rebuilt incrementally

# The page: its ready hook, then what it loads after Ready (matrix kernel, offline copy) settled, so that
# the warm visit finds them cached.
PAGE_READY = "() => { const m = window.__pynet && window.__pynet.metrics(); return m && m.readyAt !== null; }"
PAGE_READY_AT = "window.__pynet.metrics().readyAt"
PAGE_SETTLED = """() => window.__pynet.metrics().matmul !== null
  && document.querySelector('[data-testid=offline]').textContent !== ''"""
# The snapshot taken out of the offline copy: the next visit starts Python the default way (web/js/snapshot.js).
DROP_SNAPSHOT = f"""async () => {{
  const url = new URL('{SNAPSHOT_REL}', location.href).href;
  for (const name of await caches.keys()) await (await caches.open(name)).delete(url);
}}"""
PYTHON_START = "window.__pynet.metrics().pythonStart.from"
FLOOR_READY = "() => window.__floor && window.__floor.readyAt !== null"
FLOOR_READY_AT = "window.__floor.readyAt"

FLOOR_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{policy}">
<title>Start-up floor: Pyodide and NumPy only</title>
<script type="module" src="floor.js"></script></head><body>Booting Pyodide and NumPy…</body></html>
"""
FLOOR_PAGE_JS = """// Start-up floor: the time a bare worker takes to boot Pyodide and import NumPy, as the page's readyAt.
window.__floor = { readyAt: null, error: null };
const worker = new Worker(new URL('./floor-worker.js', import.meta.url), { type: 'module' });
worker.onmessage = (e) => {
  if (e.data.ok) window.__floor.readyAt = performance.now(); else window.__floor.error = e.data.error;
};
"""
FLOOR_WORKER_JS = """import { loadPyodide } from './pyodide/pyodide.mjs';
const indexURL = new URL('./pyodide/', import.meta.url).href;
try {
  const pyodide = await loadPyodide({ indexURL, lockFileURL: indexURL + 'pyodide-lock.json', packages: ['numpy'] });
  pyodide.runPython('import numpy');
  postMessage({ ok: true });
} catch (err) {
  postMessage({ ok: false, error: String(err) });
}
"""


def log(message=""):
    print(message, flush=True)


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


@contextmanager
def serving(site):
    server = make_server(site, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def build_py_site():
    """The page with the stock distribution's .py files (`build.py --no-pyc`), built incrementally."""
    done = subprocess.run([sys.executable, str(REPO / "build.py"), "--out", str(PY_SITE), "--no-pyc"],
                          cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"python build.py --no-pyc failed:\n{done.stdout}\n{done.stderr}")
    return PY_SITE


def floor_site(site, where):
    """A directory serving the floor page beside a link to `site`'s pyodide/ (same files, same headers)."""
    where.mkdir(parents=True, exist_ok=True)
    policy = page_policy(site / "index.html")
    (where / "index.html").write_text(FLOOR_HTML.format(policy=policy))
    (where / "floor.js").write_text(FLOOR_PAGE_JS)
    (where / "floor-worker.js").write_text(FLOOR_WORKER_JS)
    (where / "pyodide").symlink_to(site / "pyodide", target_is_directory=True)
    return where


def load(page, url, ready, ready_at, link=(None, None)):
    throttle(page, *link)
    page.goto(url)
    page.wait_for_function(ready, timeout=READY_TIMEOUT_MS)
    return page.evaluate(ready_at)


def cold_and_warm(pw, chromium, url, kind, link=(None, None)):
    """(cold ms, warm ms) for one variant in a new profile; `link` (Mbit/s, round trip ms) throttles both."""
    ready, ready_at = (FLOOR_READY, FLOOR_READY_AT) if kind == "floor" else (PAGE_READY, PAGE_READY_AT)
    warm_start = {"page": "snapshot", "page_default": "default"}.get(kind)
    with tempfile.TemporaryDirectory(prefix="pynet-bench-profile-") as profile:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=chromium, headless=True, args=CHROMIUM_FLAGS, viewport=VIEWPORT)
        try:
            page = context.pages[0] if context.pages else context.new_page()
            cold = load(page, url, ready, ready_at, link)
            if warm_start:
                page.wait_for_function(PAGE_SETTLED, timeout=READY_TIMEOUT_MS)
            if warm_start == "default":
                page.evaluate(DROP_SNAPSHOT)
            page.wait_for_timeout(500)
            page.close()
            page = context.new_page()
            warm = load(page, url, ready, ready_at, link)
            if warm_start and page.evaluate(PYTHON_START) != warm_start:
                raise RuntimeError(f"the warm visit of {kind} should have started Python from "
                                   f"{warm_start}, not {page.evaluate(PYTHON_START)}")
        finally:
            context.close()
    return cold, warm


VARIANTS = {  # name: (site, kind)
    "floor": ("compiled", "floor"),
    "page": ("compiled", "page"),
    "page_default": ("compiled", "page_default"),
    "page_py": ("py", "page"),
    "floor_py": ("py", "floor"),
}


def bench_startup(pw, chromium, site, reps, variants=tuple(VARIANTS), link=(None, None)):
    """Cold and warm Ready of `variants`, `reps` times, alternating; medians and ratios."""
    runs = {name: {"cold_ms": [], "warm_ms": []} for name in variants}
    sites = {"compiled": site}
    if any(VARIANTS[name][0] == "py" for name in variants):
        sites["py"] = build_py_site()
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="pynet-bench-floor-") as tmp:
        urls = {}
        for name in variants:
            which, kind = VARIANTS[name]
            root = floor_site(sites[which], Path(tmp) / which) if kind == "floor" else sites[which]
            urls[name] = stack.enter_context(serving(root))
        for rep in range(reps):
            for name in variants:
                cold, warm = cold_and_warm(pw, chromium, urls[name], VARIANTS[name][1], link)
                runs[name]["cold_ms"].append(cold)
                runs[name]["warm_ms"].append(warm)
            log(f"  start-up rep {rep + 1}: " + ", ".join(
                f"{name} {runs[name]['cold_ms'][-1]:,.0f}/{runs[name]['warm_ms'][-1]:,.0f}" for name in variants)
                + " ms (cold/warm)")
    result = {name: {**r, "cold_median_ms": median(r["cold_ms"]), "warm_median_ms": median(r["warm_ms"])}
              for name, r in runs.items()}
    for kind in ("cold", "warm"):
        floor = result["floor"][f"{kind}_median_ms"] if "floor" in result else None
        for ratio, name in (("ratio", "page"), ("py_ratio", "page_py")):
            result[f"{ratio}_{kind}"] = result[name][f"{kind}_median_ms"] / floor if floor and name in result else None
    if "page" in result and "page_default" in result:
        result["snapshot_ratio_warm"] = result["page"]["warm_median_ms"] / result["page_default"]["warm_median_ms"]
    result["network"] = network.describe(*link)
    return result


def report_lines(result):
    """Markdown lines for bench/browser.py's report."""
    f = lambda x: "-" if x is None else f"{x:,.0f}"  # noqa: E731
    r = lambda x: "-" if x is None else f"{x:.2f}"  # noqa: E731
    lines = ["| ms from navigation to ready (median) | cold | warm |", "|---|--:|--:|"]
    names = {"floor": "floor: bare worker, Pyodide + `import numpy` (compiled site)",
             "page": "pynet's page (compiled Python, as built)",
             "page_default": "pynet's page, warm without its snapshot",
             "page_py": "pynet's page, stock .py distribution (`--no-pyc`)",
             "floor_py": "floor on the .py site"}
    for name, text in names.items():
        if name not in result:
            continue
        lines.append(f"| {text} | {f(result[name]['cold_median_ms'])} | {f(result[name]['warm_median_ms'])} |")
    lines.append(f"| **page ÷ floor** (target ≤ 1.0) | {r(result['ratio_cold'])} | {r(result['ratio_warm'])} |")
    lines.append(f"| page with .py ÷ floor | {r(result['py_ratio_cold'])} | {r(result['py_ratio_warm'])} |")
    if result.get("snapshot_ratio_warm") is not None:
        lines.append(f"| page ÷ page without its snapshot, warm | - | {r(result['snapshot_ratio_warm'])} |")
    return lines


def variant_list(text):
    """'floor,page' → ('floor', 'page'), in the order given; an unknown name is an argparse error."""
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in VARIANTS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"choose among {', '.join(VARIANTS)} (not {', '.join(unknown) or 'nothing'})")
    return names


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=3, help="runs per figure, median reported (default 3)")
    parser.add_argument("--site", type=Path, default=DEFAULT_OUT, help="the built site (default web/dist)")
    parser.add_argument("--no-build", action="store_true", help="use the site as it is")
    parser.add_argument("--chromium", default=os.environ.get("PYNET_CHROMIUM", "/usr/bin/chromium"))
    parser.add_argument("--variants", type=variant_list, default=tuple(VARIANTS),
                        help=f"which to load, comma-separated (default all: {','.join(VARIANTS)})")
    network.add_arguments(parser)
    parser.add_argument("--out", type=Path, help="default bench/results/startup.json, or "
                                                 "startup-MBITmbit.json with --network")
    args = parser.parse_args(argv)
    link = network.chosen(args)
    out = args.out or network.result_file(REPO / "bench" / "results", "startup", args.network)
    from playwright.sync_api import sync_playwright

    site = args.site.resolve()
    if not args.no_build:
        done = subprocess.run([sys.executable, str(REPO / "build.py"), "--out", str(site)], cwd=REPO)
        if done.returncode != 0:
            sys.exit("python build.py failed")
    load_before = round(os.getloadavg()[0], 2)
    with sync_playwright() as pw:
        result = bench_startup(pw, args.chromium, site, args.reps, args.variants, link)
    result["load_average"] = [load_before, round(os.getloadavg()[0], 2)]
    result["created"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    log("\n".join(report_lines(result)))
    log(f"{result['network']}; load average {result['load_average'][0]} before, {result['load_average'][1]} after; "
        f"wrote {out}")


if __name__ == "__main__":
    main()
