#!/usr/bin/env python3
"""pynet in the browser: training and inference speed in the Web Worker, start-up time, drawing latency
and accuracy parity, against native pynet on CPython and against JavaScript libraries (the peers bench).

    python bench/browser.py              # full run with the JavaScript peers, ~7-15 min on 2 cores
    python bench/browser.py --no-peers   # pynet figures only (peers: reference figures from another run)
    python bench/browser.py --quick      # smoke run: 1 rep, 4 presets, no peers, < 3 min
    python bench/browser.py --memory     # also memory over 20 train / stop (/ reset) cycles (bench/memory.py)

It builds the site if needed (`python build.py`, incremental), serves it on 127.0.0.1, drives Chromium
through Playwright with the real UI (preset picker, form fields, Train button, drawing pad) and reads the
page's `window.__pynet.metrics()` hook. Every figure is the median of `--reps` runs; targets are reported,
never asserted. Results: bench/results/browser.json (`--out`) and a Markdown report beside it (.md).
"""
import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests" / "e2e")]

import build  # noqa: E402  (the repository's build.py: DIGITS_REL, DEFAULT_OUT)
import drawn  # noqa: E402  (bench/drawn.py: the drawn-digit set read by each preset)
import responsiveness  # noqa: E402  (bench/responsiveness.py: the no-op build, the page while training)
import startup  # noqa: E402  (time to Ready against its floor)
import threads  # noqa: E402  (bench/threads.py: XNNPACK on every core against one thread)
from e2e_support import CHROMIUM_FLAGS, DIGITS, STARTED, App  # noqa: E402
import memory  # noqa: E402  (bench/memory.py)
from pynet.data import load_mnist  # noqa: E402
from pynet.presets import PRESETS, make_trainer  # noqa: E402

# Iterations per training run: about half a second of training in the worker or more, so that a run's
# median is not its first few iterations, which run slower (WebAssembly code still being optimised, the
# page busy setting up its charts). The first iteration (the batches' one-off preparation) is left out of
# the throughput, so each run yields iterations-1 figures. Fast presets get more iterations than slow ones.
ITERATIONS = {"linear": 300, "relu": 3, "relu-dropout": 3, "relu-minibatch": 60, "tanh-softmax": 60,
              "conv": 4, "wide-sgd": 3, "wide-minibatch": 20}
# The notebook's linear cell sums its gradient over the 1,000 images and diverges at alpha .01 within ~8
# iterations (at 1e-4 within ~40); at 1e-5 it learns for the whole run (83% after 300), same work per step.
PARAMS = {"linear": {"alpha": 1e-5}}
QUICK_PRESETS = ("relu", "tanh-softmax", "conv", "wide-minibatch")
PARITY_ITERATIONS = {"tanh-softmax": 20, "conv": 10}
# The peers' networks and the pynet preset with the same architecture (the peers add biases, shuffling and
# cross-entropy everywhere: a throughput comparison, not an accuracy one).
PEER_NETS = {"A": "tanh-softmax", "B": "conv", "C": "wide-minibatch"}
PEER_NET_TEXT = {"A": "784-100 tanh, dropout, softmax, batch 100",
                 "B": "conv 16 3x3, tanh, dropout, softmax, batch 128", "C": "784-400 ReLU, batch 100"}
PEERS_DIR = Path(os.environ.get("PYNET_PEERS", "/work/shared/peers"))

TARGETS = {"vs_fastest_js": 2.0, "shuffled_vs_fastest_js": 5.0, "vs_native": 0.35, "batched_dense_vs_native": 0.40,
           "ready_warm_ms": 2500, "ready_cold_ms": 6000, "draw_ms": 16, "accuracy_points": 1.0}
BATCHED_DENSE = ("relu-minibatch", "tanh-softmax", "wide-minibatch")  # held to batched_dense_vs_native

VIEWPORT = {"width": 1280, "height": 900}
READY_TIMEOUT_MS = 120_000
TRAIN_TIMEOUT_MS = 600_000
POINTER_INTERVAL_S = 0.008  # a 125 Hz mouse: the pace of real pointer input while drawing
POINTER_STEP = 0.015        # pad fraction between two pointer samples (~4 px on the 280 px pad)

# Page-side checks (the hooks are in web/js/main.js).
READY_AT = "() => { const m = window.__pynet && window.__pynet.metrics(); return m && m.readyAt !== null; }"
MATMUL_SETTLED = "() => window.__pynet.metrics().matmul !== null"
# Resolves to 'done' once the current training's last evaluation arrived and the page says Done, or to why
# it ended otherwise. metrics().events is reset by the Train click itself, so old events cannot match.
TRAINED = """n => {
  const err = document.querySelector('[data-testid=error]');
  if (err && !err.hidden) return 'error: ' + err.textContent.trim().replace(/\\s+/g, ' ');
  const phase = window.__pynet.phase();
  if (['diverged', 'broken', 'stopped'].includes(phase)) return phase;
  const done = window.__pynet.metrics().events.some(e => e.type === 'evaluation' && e.iteration === n - 1);
  return phase === 'done' && done ? 'done' : false;
}"""


def write_results(out, result, text):
    """A benchmark's figures as JSON at `out` and its report as Markdown beside it (.md)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    out.with_suffix(".md").write_text(text)


def log(message=""):
    print(message, flush=True)


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def ratio(a, b):
    return a / b if a and b else None


# ---------------------------------------------------------------- site and browser

def ensure_site(site, skip_build):
    """`python build.py --out SITE` (incremental: seconds when nothing changed)."""
    if not skip_build:
        done = subprocess.run([sys.executable, str(REPO / "build.py"), "--out", str(site)], cwd=REPO,
                              capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"python build.py failed:\n{done.stdout}\n{done.stderr}")
        log(done.stdout.strip().splitlines()[-1])
    if not (site / build.DIGITS_REL).is_file():
        sys.exit(f"{site} has no {build.DIGITS_REL}: build the site first (python build.py)")


serving = startup.serving


def chromium_path(option):
    for candidate in (option, os.environ.get("PYNET_CHROMIUM"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    return None  # Playwright's own build, if installed


# ---------------------------------------------------------------- training in the page

# Bench modes: the page as a visitor gets it, and pinned to each slower matrix-product library (the levers)
# or to XNNPACK's one-thread build: (query string, the library the page should then report).
MODES = {"worker": ("", "xnnpack"), "worker_openblas": ("?matmul=openblas", "openblas"),
         "worker_numpy": ("?matmul=numpy", "numpy"), **threads.MODE}


def open_app(browser, url, mode):
    """The page, Ready, with its matrix-product library settled before the first Train."""
    query, expected = MODES[mode]
    app = App(browser, url + query).open()
    app.page.wait_for_function(MATMUL_SETTLED, timeout=READY_TIMEOUT_MS)
    loaded = app.page.evaluate("window.__pynet.metrics().matmul")
    if loaded != expected:
        log(f"  warning: {loaded} does the matrix products in a page meant to use {expected}")
    return app


def train_in_page(app, preset, params):
    """Train through the UI; returns (outcome, events): 'done' or why not, and metrics().events."""
    app.tid("preset").select_option(preset)
    for name, value in params.items():
        app.set_param(name.replace("_", "-"), value)
    app.tid("train").click()
    app.page.wait_for_function(STARTED, timeout=TRAIN_TIMEOUT_MS)  # not the previous run's ending
    outcome = app.page.wait_for_function(TRAINED, arg=params["iterations"], timeout=TRAIN_TIMEOUT_MS).json_value()
    return outcome, app.page.evaluate("window.__pynet.metrics().events")


def train_native(preset, data, params):
    """The same training in CPython: what the worker's Host does (make_trainer, float32, notebook random)."""
    trainer = make_trainer(preset, *data, params, dtype=np.float32)
    events = trainer.run()
    return trainer.state, [e for e in events if e["type"] != "batch"]


def run_figures(outcome, events):
    """One run's figures: train img/s = median over its iterations but the first (warm-up), test img/s =
    median over its evaluations, and the last test accuracy."""
    train = [e["images_per_second"] for e in events if e["type"] == "iteration"]
    evaluations = [e for e in events if e["type"] == "evaluation"]
    return {"outcome": outcome, "train_ips": median(train[1:] or train),
            "test_ips": median([e["test_images_per_second"] for e in evaluations]),
            "test_accuracy": evaluations[-1]["test_accuracy"] if evaluations else None,
            "iteration_ips": train}


def summarise_runs(runs):
    train = [r["train_ips"] for r in runs if r["train_ips"]]
    return {"train_ips": median(train), "train_ips_min": min(train, default=None),
            "train_ips_max": max(train, default=None), "test_ips": median([r["test_ips"] for r in runs]),
            "problems": sorted({r["outcome"] for r in runs if r["outcome"] != "done"}), "runs": runs}


def bench_training(browser, url, presets, data, args, modes=tuple(MODES)):
    """Per rep: every preset in the page as shipped (XNNPACK), with OpenBLAS instead, with NumPy's own
    product (the levers), on XNNPACK's one thread (`modes`: which of these), then natively. Repetition
    is the outer loop so that a busy spell of the machine hits all alike."""
    runs = {p: {m: [] for m in [*modes, "native"]} for p in presets}
    for rep in range(args.reps):
        for mode in modes:
            app = open_app(browser, url, mode)
            try:
                for preset in presets:
                    outcome, events = train_in_page(app, preset, training_params(preset, args))
                    runs[preset][mode].append({**run_figures(outcome, events),
                                               "matmul": app.tid("matmul").text_content()})
            finally:
                app.close()
        for preset in presets:  # the browser is idle now: pages closed
            state, events = train_native(preset, data, training_params(preset, args))
            runs[preset]["native"].append(run_figures(state, events))
        for preset in presets:
            log(f"  rep {rep + 1} {preset:15} train img/s: "
                + ", ".join(f"{m} {fmt(runs[preset][m][-1]['train_ips'])}" for m in runs[preset]))
    results = {}
    for preset in presets:
        row = {"iterations": training_params(preset, args)["iterations"],
               **{m: summarise_runs(runs[preset][m]) for m in runs[preset]}}
        figure = lambda mode, key="train_ips": row[mode][key] if mode in row else None  # noqa: E731
        row["openblas_gain"] = ratio(figure("worker_openblas"), figure("worker_numpy"))
        row["xnnpack_gain"] = ratio(figure("worker"), figure("worker_numpy"))
        row["worker_over_native"] = ratio(figure("worker"), figure("native"))
        row["test_worker_over_native"] = ratio(figure("worker", "test_ips"), figure("native", "test_ips"))
        threads.add_gains(row)
        results[preset] = row
    return results


def training_params(preset, args):
    return {**PARAMS.get(preset, {}), "iterations": args.iterations or ITERATIONS[preset],
            "train_size": args.train_size, "test_size": args.test_size}


# ---------------------------------------------------------------- accuracy parity and drawing

def bench_parity(app, args):
    """Final test accuracy, browser vs CPython, same preset, seed and data."""
    rows = []
    data = load_mnist(args.site / build.DIGITS_REL, args.train_size, args.test_size)
    for preset, iterations in PARITY_ITERATIONS.items():
        params = {"iterations": iterations, "train_size": args.train_size, "test_size": args.test_size,
                  "seed": args.seed}
        outcome, events = train_in_page(app, preset, params)
        state, native = train_native(preset, data, params)
        browser_acc = run_figures(outcome, events)["test_accuracy"]
        native_acc = run_figures(state, native)["test_accuracy"]
        diff = None if browser_acc is None or native_acc is None else 100 * (browser_acc - native_acc)
        rows.append({"preset": preset, "iterations": iterations, "seed": args.seed, "browser_outcome": outcome,
                     "browser_accuracy": browser_acc, "cpython_accuracy": native_acc, "difference_points": diff})
        log(f"  parity {preset}: browser {pct(browser_acc)}, CPython {pct(native_acc)}")
    return rows


def paced_stroke(app, points):
    """One pen-down stroke through `points` (pad fractions), as a real mouse sends it: a sample every
    POINTER_STEP of the pad, one every POINTER_INTERVAL_S (App.stroke sends them as fast as it can)."""
    box = app.pad_box()
    mouse = app.page.mouse
    at = lambda x, y: (box["x"] + x * box["width"], box["y"] + y * box["height"])  # noqa: E731
    mouse.move(*at(*points[0]))
    mouse.down()
    tick = time.perf_counter()
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        steps = max(1, math.ceil(math.hypot(x1 - x0, y1 - y0) / POINTER_STEP))
        for k in range(1, steps + 1):
            mouse.move(*at(x0 + (x1 - x0) * k / steps, y0 + (y1 - y0) * k / steps))
            tick += POINTER_INTERVAL_S
            time.sleep(max(0.0, tick - time.perf_counter()))
    mouse.up()


def bench_drawing(app, reps):
    """Input-to-bars latencies while drawing digits on a trained model (the page measures them)."""
    latencies = []
    for _ in range(reps):
        for strokes in DIGITS.values():
            app.tid("clear").click()
            app.page.wait_for_timeout(100)
            before = app.page.evaluate("window.__pynet.metrics().predictLatencies.length")
            for stroke in strokes:
                paced_stroke(app, stroke)
            app.wait_prediction()
            latencies += app.page.evaluate("window.__pynet.metrics().predictLatencies")[before:]
    values = np.array(latencies)
    result = {"updates": len(latencies), "latencies_ms": [round(v, 2) for v in latencies],
              "median_ms": float(np.median(values)) if latencies else None,
              "p95_ms": float(np.percentile(values, 95)) if latencies else None}
    log(f"  drawing: {result['updates']} updates, median {fmt(result['median_ms'], 1)} ms, "
        f"p95 {fmt(result['p95_ms'], 1)} ms")
    return result


# ---------------------------------------------------------------- JavaScript peers

def run_peers(args):
    """The peers bench (/work/shared/peers) in a temporary copy: npm ci, run.py; its results JSON.
    Falls back to the copy's stored results.json, labelled as another run's figures."""
    if args.peers:
        try:
            return {"source": "this run", **run_peers_now(args)}
        except Exception as error:  # noqa: BLE001 - any failure means: use the reference figures
            log(f"  peers could not run ({error}); using the reference figures from another run")
    stored = PEERS_DIR / "results.json"
    if not stored.is_file():
        return {"source": "none", "error": f"{stored} not found"}
    data = json.loads(stored.read_text())
    return {"source": "reference figures from another run", "file": str(stored),
            "generated": data.get("generated"), "command": data.get("command"), "nets": peer_figures(data)}


def run_peers_now(args):
    with tempfile.TemporaryDirectory(prefix="pynet-peers-") as tmp:
        work = Path(tmp) / "peers"
        shutil.copytree(PEERS_DIR, work, ignore=shutil.ignore_patterns("node_modules", "data"))
        for path in [work, *work.rglob("*")]:  # the shared copy is read-only; npm and run.py write here
            path.chmod(path.stat().st_mode | 0o200)
        run_logged(["npm", "ci", "--no-audit", "--no-fund"], work, timeout=900)
        out = work / "results-pynet-bench.json"
        command = [sys.executable, "run.py", "--reps", str(args.peer_reps or args.reps), "--out", str(out)]
        if args.peer_only:
            command += ["--only", args.peer_only]
        run_logged(command, work, timeout=3600)
        data = json.loads(out.read_text())
        args.out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out, args.out.with_name("peers.json"))  # the peers' own raw record, kept beside ours
    return {"file": str(args.out.with_name("peers.json")), "generated": data.get("generated"),
            "command": data.get("command"), "runtime_s": data.get("runtime_s"), "nets": peer_figures(data)}


def run_logged(command, cwd, timeout):
    """Run a child process, its output passed through with a prefix; raise if it fails."""
    log(f"  peers$ {' '.join(command)}")
    proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    watchdog = threading.Timer(timeout, proc.kill)  # a hung child must not hang the benchmark
    watchdog.start()
    try:
        for line in proc.stdout:
            log(f"  peers| {line.rstrip()}")
    finally:
        watchdog.cancel()
    if proc.wait() != 0:
        raise RuntimeError(f"{command[0]} {command[1]} exited with {proc.returncode}")


def peer_figures(data):
    """Per network: the fastest JavaScript library in a worker and the peers' native NumPy."""
    nets = {}
    for net in PEER_NETS:
        rows = [r for r in data.get("summary", []) if r["net"] == net and r.get("train_ips")]
        js = [r for r in rows if r["ctx"] == "worker"]
        numpy_rows = [r for r in rows if r["config"] == "numpy-threads-default"]
        fastest = max(js, key=lambda r: r["train_ips"], default=None)
        nets[net] = {
            "fastest_js": fastest and {"label": fastest["label"], "train_ips": fastest["train_ips"],
                                       "test_ips": fastest["test_ips"]},
            "js": {r["label"]: r["train_ips"] for r in js},
            "native_numpy": numpy_rows[0]["train_ips"] if numpy_rows else None}
    return nets


# ---------------------------------------------------------------- targets and report

def targets(result):
    """Every target with its figure and whether it is met (None: no figure)."""
    out = []

    def add(name, value, target, met, text):
        out.append({"target": name, "value": value, "goal": target, "met": met, "text": text})

    peers = result["peers"].get("nets", {})
    elsewhere = "" if result["peers"]["source"] == "this run" else f" ({result['peers']['source']})"
    for net, preset in PEER_NETS.items():
        row = result["training"].get(preset)
        fastest = (peers.get(net) or {}).get("fastest_js")
        if row and fastest:
            r = ratio(row["worker"]["train_ips"], fastest["train_ips"])
            add(f"{preset}: worker >= {TARGETS['vs_fastest_js']:g}x fastest JS (net {net})", r,
                TARGETS["vs_fastest_js"], r is not None and r >= TARGETS["vs_fastest_js"],
                f"{fmt(row['worker']['train_ips'])} vs {fastest['label']} {fmt(fastest['train_ips'])} img/s = "
                f"{fmt(r, 2)}x{elsewhere}")
    shuffled = (result.get("data_order") or {}).get("presets", {})
    for net, preset in PEER_NETS.items():
        row = (shuffled.get(preset) or {}).get("shuffled")
        fastest = (peers.get(net) or {}).get("fastest_js")
        if row and fastest:
            r = ratio(row["worker"]["train_ips"], fastest["train_ips"])
            goal = TARGETS["shuffled_vs_fastest_js"]
            add(f"{preset} shuffled: worker >= {goal:g}x fastest JS (net {net})", r, goal, r is not None and r >= goal,
                f"{fmt(row['worker']['train_ips'])} vs {fastest['label']} {fmt(fastest['train_ips'])} img/s = "
                f"{fmt(r, 2)}x{elsewhere}")
    for preset, row in result["training"].items():
        r = row["worker_over_native"]
        goal = TARGETS["batched_dense_vs_native" if preset in BATCHED_DENSE else "vs_native"]
        add(f"{preset}: worker >= {goal:.0%} of native pynet", r, goal, r is not None and r >= goal,
            f"{fmt(row['worker']['train_ips'])} vs {fmt(row['native']['train_ips'])} img/s = {pct(r)}")
    ready = result.get("ready")
    if ready:
        for kind in ("warm", "cold"):
            value, goal = ready[f"{kind}_median_ms"], TARGETS[f"ready_{kind}_ms"]
            add(f"Ready, {kind} cache <= {goal / 1000:g} s", value, goal, value is not None and value <= goal,
                f"{fmt(value)} ms")
    draw = result.get("drawing")
    if draw and draw["median_ms"] is not None:
        add(f"drawing to probabilities < {TARGETS['draw_ms']} ms (median)", draw["median_ms"], TARGETS["draw_ms"],
            draw["median_ms"] < TARGETS["draw_ms"],
            f"median {fmt(draw['median_ms'], 1)} ms, p95 {fmt(draw['p95_ms'], 1)} ms over {draw['updates']} updates")
    out += responsiveness.targets(result.get("responsiveness"))
    for row in result.get("parity", []):
        d = row["difference_points"]
        add(f"{row['preset']}: same accuracy within {TARGETS['accuracy_points']:g} point", d,
            TARGETS["accuracy_points"], d is not None and abs(d) <= TARGETS["accuracy_points"],
            f"browser {pct(row['browser_accuracy'])}, CPython {pct(row['cpython_accuracy'])}, "
            f"{fmt(d, 2, sign=True)} points")
    return out


def fmt(x, nd=0, sign=False):
    if x is None:
        return "-"
    return f"{x:+,.{nd}f}" if sign else f"{x:,.{nd}f}"


def pct(x):
    return "-" if x is None else f"{100 * x:.1f}%"


def times(x):
    return "-" if x is None else f"{x:.2f}x"


def report(result):
    """The Markdown report: printed at the end and written beside the JSON."""
    env, s = result["environment"], result["settings"]
    lines = [
        "# pynet in the browser",
        "",
        f"{result['created']}, {result['seconds'] / 60:.1f} min. Chromium {env['chromium']}, Pyodide "
        f"{env.get('pyodide', '?')}, headless, {env['cpus']} CPUs (load average {env['load_average']} before, "
        f"{env.get('load_average_after')} after); native: Python {env['python']}, NumPy {env['numpy']}. "
        f"{s['train_size']} training / {s['test_size']} test images, median of {s['reps']} runs"
        f"{' (QUICK: smoke run, not for reporting)' if s['quick'] else ''}. "
        "Compare ratios within this run, not absolute figures across runs.",
        "",
        "## Training and inference, per preset",
        "",
        "Train img/s: median over a run's iterations but the first, then median of the runs (min-max of the "
        "runs after it). Test img/s: one pass over the test images. *worker*: the page's Web Worker as "
        "shipped (matrix products by XNNPACK); *OpenBLAS*, *NumPy*: the same page with that library instead "
        "(`?matmul=openblas|numpy`); gains over NumPy's own product in brackets; *native*: pynet float32 on "
        "CPython, same data.",
        "",
        "| preset | iter. | worker train img/s | (min-max) | OpenBLAS | NumPy | native train img/s "
        "| worker ÷ native | worker test img/s | native test img/s |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for preset, row in result["training"].items():
        w, ob, npy, nat = row["worker"], row["worker_openblas"], row["worker_numpy"], row["native"]
        problems = "; ".join(sorted({p for r in (w, ob, npy, nat) for p in r["problems"]}))
        lines.append(
            f"| {preset}{' (' + problems + ')' if problems else ''} | {row['iterations']} | {fmt(w['train_ips'])} "
            f"({times(row['xnnpack_gain'])}) | {fmt(w['train_ips_min'])}-{fmt(w['train_ips_max'])} "
            f"| {fmt(ob['train_ips'])} ({times(row['openblas_gain'])}) | {fmt(npy['train_ips'])} "
            f"| {fmt(nat['train_ips'])} | {pct(row['worker_over_native'])} "
            f"| {fmt(w['test_ips'])} | {fmt(nat['test_ips'])} |")
    lines += ["", *threads.report(result["training"])]
    peers = result["peers"]
    lines += ["## Against the JavaScript libraries (peers bench)", ""]
    if peers.get("nets"):
        where = ("measured in this run" if peers["source"] == "this run"
                 else f"**{peers['source']}** ({peers.get('generated')}): ratios across runs, read with care")
        lines += [
            f"Peers {where}; `{peers.get('command')}`. Same architectures and batch sizes, but the peers use "
            "biases, shuffling and cross-entropy everywhere, and their own 1,000-image split: a throughput "
            "comparison. Fastest JS = fastest library in a Web Worker.",
            "",
            "| net | pynet preset | pynet worker img/s | fastest JS library | its img/s | pynet ÷ fastest JS "
            "| peers' native NumPy img/s | pynet worker ÷ native NumPy |",
            "|---|---|--:|---|--:|--:|--:|--:|"]
        for net, preset in PEER_NETS.items():
            p, row = peers["nets"].get(net) or {}, result["training"].get(preset)
            fastest = p.get("fastest_js") or {}
            ips = row and row["worker"]["train_ips"]
            lines.append(
                f"| {net}: {PEER_NET_TEXT[net]} | {preset} | {fmt(ips)} | {fastest.get('label', '-')} "
                f"| {fmt(fastest.get('train_ips'))} | {times(ratio(ips, fastest.get('train_ips')))} "
                f"| {fmt(p.get('native_numpy'))} | {pct(ratio(ips, p.get('native_numpy')))} |")
    else:
        lines.append(f"No peer figures: {peers.get('error', 'skipped')}.")
    lines += ["", "## Start-up, drawing, accuracy", ""]
    if result.get("startup"):
        lines += ["Time to Ready (navigation start to the ready message; files from 127.0.0.1; `bench/startup.py`):",
                  "", *startup.report_lines(result["startup"]), ""]
    draw = result.get("drawing")
    if draw:
        lines.append(f"- Drawing to probabilities on screen, trained `conv` model, pointer at "
                     f"{1 / POINTER_INTERVAL_S:.0f} Hz: median {fmt(draw['median_ms'], 1)} ms, p95 "
                     f"{fmt(draw['p95_ms'], 1)} ms ({draw['updates']} updates; pointer input to the bars holding its prediction; under 16.7 ms = shown in the next frame).")
    for row in result.get("parity", []):
        lines.append(f"- Accuracy, {row['preset']}, {row['iterations']} iterations, seed {row['seed']}: browser "
                     f"{pct(row['browser_accuracy'])}, CPython {pct(row['cpython_accuracy'])} "
                     f"({fmt(row['difference_points'], 2, sign=True)} points).")
    if result.get("drawn"):
        lines += ["", "## Drawn digits", "",
                  "Each preset trained with its defaults in the page, then the 240 drawings of tests/drawn_digits "
                  "replayed through its drawing pad; the page's answers (bench/drawn.py).", "",
                  drawn.table(result["drawn"])]
    lines += responsiveness.report(result.get("responsiveness"))
    if result.get("memory"):
        lines += ["", *memory.report_lines(result["memory"])]
    lines += ["", "## Targets (reported, not asserted)", ""]
    for t in result["targets"]:
        mark = "met" if t["met"] else "NOT met"
        lines.append(f"- **{mark}**: {t['target']}: {t['text']}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- main

def environment(browser, site):
    info_file = site / "build-info.json"
    info = json.loads(info_file.read_text()) if info_file.is_file() else {}
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True)
    try:
        from importlib.metadata import version
        playwright_version = version("playwright")
    except Exception:  # noqa: BLE001
        playwright_version = None
    return {"chromium": browser.version, "playwright": playwright_version,
            "pyodide": info.get("pyodide_version"), "python": platform.python_version(),
            "numpy": np.__version__, "platform": platform.platform(), "cpus": os.cpu_count(),
            "commit": commit.stdout.strip() + ("+dirty" if dirty.stdout.strip() else ""),
            "load_average": round(os.getloadavg()[0], 2)}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=3, help="runs per figure, median reported (default 3)")
    parser.add_argument("--presets", nargs="+", choices=list(PRESETS), metavar="PRESET",
                        help="presets to train (default: all eight)")
    parser.add_argument("--iterations", type=int, help="iterations per training run (default: per preset)")
    parser.add_argument("--train-size", type=int, default=1000, help="training images (default 1000)")
    parser.add_argument("--test-size", type=int, default=1000, help="test images (default 1000)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the accuracy-parity runs (default 1)")
    parser.add_argument("--peers", action=argparse.BooleanOptionalAction, default=None,
                        help="run the JavaScript peers bench in this run (default: yes, unless --quick)")
    parser.add_argument("--peer-reps", type=int, help="repetitions of the peers bench (default: --reps)")
    parser.add_argument("--peer-only", help="the peers' --only: config ids, e.g. tfjs-wasm,convnetjs,numpy")
    parser.add_argument("--drawn", action=argparse.BooleanOptionalAction, default=None,
                        help="train each preset with its defaults in the page and read the drawn-digit set "
                        "(bench/drawn.py; default: yes, unless --quick)")
    parser.add_argument("--data-order", action="store_true",
                        help="also what shuffling and augmentation cost, and the drawing preset's training "
                        "time (bench/data_order.py)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1 rep, presets " + ", ".join(QUICK_PRESETS) + ", no peers")
    parser.add_argument("--memory", type=int, nargs="?", const=20, default=0, metavar="CYCLES",
                        help="also report memory over CYCLES train / stop (/ reset) cycles (default 20)")
    parser.add_argument("--site", type=Path, default=build.DEFAULT_OUT, help="site directory (default web/dist)")
    parser.add_argument("--no-build", action="store_true", help="serve the site as it is")
    parser.add_argument("--chromium", help="Chromium executable (default $PYNET_CHROMIUM, /usr/bin/chromium)")
    parser.add_argument("--out", type=Path, help="JSON results, the Markdown report beside it (.md); default "
                        "bench/results/browser.json, browser-quick.json for --quick (a smoke run keeps the figures)")
    args = parser.parse_args(argv)
    if args.quick:
        args.reps = 1
        args.presets = args.presets or list(QUICK_PRESETS)
    args.presets = args.presets or list(PRESETS)
    args.out = args.out or REPO / "bench" / "results" / ("browser-quick.json" if args.quick else "browser.json")
    if args.peers is None:
        args.peers = not args.quick
    if args.drawn is None:
        args.drawn = not args.quick
    if min(args.reps, args.train_size, args.test_size, args.iterations or 2) < 1:
        parser.error("--reps, --train-size, --test-size and --iterations must be positive")
    args.site = args.site.resolve()
    return args


def main(argv=None):
    args = parse_args(argv)
    from playwright.sync_api import sync_playwright

    started = time.perf_counter()
    ensure_site(args.site, args.no_build)
    data = load_mnist(args.site / build.DIGITS_REL, args.train_size, args.test_size)  # the bytes the page gets
    chromium = chromium_path(args.chromium)
    result = {"benchmark": "browser", "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
              "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}}
    with serving(args.site) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        try:
            result["environment"] = environment(browser, args.site)
            log(f"Serving {args.site} at {url}; Chromium {browser.version}; {args.reps} rep(s)")
            log("Time to Ready, against its floor (cold and warm caches):")
            result["startup"] = startup.bench_startup(pw, chromium, args.site, args.reps)
            result["ready"] = result["startup"]["page"]
            log("Training (worker as shipped with XNNPACK, with OpenBLAS, with NumPy only, on one thread, native CPython):")
            result["training"] = bench_training(browser, url, args.presets, data, args)
            if args.data_order:
                import data_order
                log("Shuffled and augmented training, the drawing preset (bench/data_order.py):")
                result["data_order"] = data_order.bench(browser, url, data, args.reps)
            log("Accuracy parity and drawing latency:")
            app = open_app(browser, url, "worker")
            try:
                result["parity"] = bench_parity(app, args)  # leaves a trained conv model in the page
                result["drawing"] = bench_drawing(app, args.reps)
                result["page_errors"] = app.page_errors + app.console_errors
            finally:
                app.close()
            if args.drawn:
                log("Drawn digits (tests/drawn_digits), each preset trained with its defaults in the page:")
                # The notebook's presets, and the one built for drawings.
                drawn_presets = [*args.presets, *(["drawing"] if "drawing" not in args.presets else [])]
                result["drawn"] = drawn.measure_in_page(url, drawn_presets, drawn.load_strokes(), drawn.read_inputs())
            log("The no-op build, and the page while training:")
            result["responsiveness"] = responsiveness.measure(
                browser, url, args.site, None if args.no_build else REPO / "build.py")
            if args.memory:
                result["memory"] = memory.bench_memory(browser, url, args.memory, log=log)
        finally:
            browser.close()
    if args.peers:
        log("JavaScript peers (their own driver, run after ours so the two never share the CPUs):")
    result["peers"] = run_peers(args)
    result["environment"]["load_average_after"] = round(os.getloadavg()[0], 2)
    result["seconds"] = time.perf_counter() - started
    result["targets"] = targets(result)
    text = report(result)
    if "data_order" in result:
        import data_order
        text += "\n## Shuffled and augmented training\n\n" + data_order.report(result["data_order"])
    write_results(args.out, result, text)
    log()
    log(text)
    log(f"wrote {args.out} and {args.out.with_suffix('.md')} ({result['seconds'] / 60:.1f} min)")


if __name__ == "__main__":
    main()
