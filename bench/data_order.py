#!/usr/bin/env python3
"""What a new order of the images every iteration (`shuffle`) and distorted images (`augment`) cost, in
the page's worker and natively, and how long the `drawing` preset's default training takes in the page.

    python bench/data_order.py                 # ~5 min on 2 cores: the figures below, median of 3 runs
    python bench/data_order.py --reps 1 --no-drawing

Each notebook preset in PRESETS trains as the notebook does (one order, its batches prepared once and
kept, in XNNPACK's memory too) and shuffled (a fresh batch every step, used once); `tanh-softmax` also
augmented (strength 1). Train img/s as in bench/browser.py: the median of a run's iterations but the first.
The drawing preset trains with its defaults (10 iterations of 8,000 images): the seconds from Train to
Done as the page sees them, the worker's own training seconds, and the test accuracy reached.

Also a module of bench/browser.py: `python bench/browser.py --data-order` adds these figures to its run.
"""
import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench")]

import browser as page_bench  # noqa: E402  (bench/browser.py: the site, the page driver, the figures)
from pynet.presets import get  # noqa: E402

PRESETS = {"relu": 3, "tanh-softmax": 60, "conv": 4, "wide-minibatch": 20}  # iterations, as browser.py's
VARIANTS = {"as notebook": {}, "shuffled": {"shuffle": True}}
AUGMENTED = ("tanh-softmax", {"shuffle": True, "augment": 1.0})


def bench(browser, url, data, reps, drawing=True, log=page_bench.log):
    """{"presets": {preset: {variant: {"worker": ..., "native": ...}}}, "drawing": {...}}."""
    runs = {}
    cases = [(p, v, {**VARIANTS[v], "iterations": n}) for p, n in PRESETS.items() for v in VARIANTS]
    cases.append((AUGMENTED[0], "shuffled, augmented", {**AUGMENTED[1], "iterations": PRESETS[AUGMENTED[0]]}))
    for rep in range(reps):
        app = page_bench.open_app(browser, url, "worker")
        try:
            for preset, variant, params in cases:
                params = {**params, "train_size": len(data[0]), "test_size": len(data[1])}
                outcome, events = page_bench.train_in_page(app, preset, params)
                runs.setdefault((preset, variant, "worker"), []).append(page_bench.run_figures(outcome, events))
        finally:
            app.close()
        for preset, variant, params in cases:
            params = {**params, "train_size": len(data[0]), "test_size": len(data[1])}
            state, events = page_bench.train_native(preset, data, params)
            runs.setdefault((preset, variant, "native"), []).append(page_bench.run_figures(state, events))
        log(f"  rep {rep + 1}: " + ", ".join(f"{p} {v} {page_bench.fmt(runs[(p, v, 'worker')][-1]['train_ips'])}"
                                             for p, v, _ in cases))
    result = {"presets": {}}
    for (preset, variant, where), figures in runs.items():
        result["presets"].setdefault(preset, {}).setdefault(variant, {})[where] = page_bench.summarise_runs(figures)
    if drawing:
        result["drawing"] = bench_drawing_training(browser, url, reps, log)
    return result


def bench_drawing_training(browser, url, reps, log=page_bench.log):
    """The drawing preset's default training in the page: wall seconds from the Train click to Done, the
    worker's training seconds (its iteration events), and the test accuracy."""
    rows = []
    for rep in range(reps):
        app = page_bench.open_app(browser, url, "worker")
        try:
            defaults = get("drawing").defaults
            started = time.perf_counter()
            outcome, events = page_bench.train_in_page(app, "drawing", {"iterations": defaults["iterations"]})
            wall = time.perf_counter() - started
        finally:
            app.close()
        iterations = [e for e in events if e["type"] == "iteration"]
        evaluations = [e for e in events if e["type"] == "evaluation"]
        rows.append({"outcome": outcome, "wall_s": round(wall, 1),
                     "training_s": round(sum(e["seconds"] for e in iterations), 1),
                     "iteration_s": [round(e["seconds"], 2) for e in iterations],
                     "test_accuracy": evaluations[-1]["test_accuracy"] if evaluations else None})
        log(f"  drawing, rep {rep + 1}: {outcome} in {rows[-1]['wall_s']} s (training {rows[-1]['training_s']} s), "
            f"test accuracy {rows[-1]['test_accuracy']}")
    return {"runs": rows, "wall_s": page_bench.median([r["wall_s"] for r in rows]),
            "training_s": page_bench.median([r["training_s"] for r in rows])}


def report(result):
    """Markdown: the throughput table, then the drawing training."""
    lines = ["| preset | order | worker img/s | native img/s | worker vs notebook order |",
             "| --- | --- | --: | --: | --: |"]
    for preset, variants in result["presets"].items():
        base = variants["as notebook"]["worker"]["train_ips"]
        for variant, figures in variants.items():
            worker, native = figures["worker"]["train_ips"], figures["native"]["train_ips"]
            lines.append(f"| {preset} | {variant} | {page_bench.fmt(worker)} | {page_bench.fmt(native)} | "
                         f"{page_bench.times(page_bench.ratio(worker, base))} |")
    drawing = result.get("drawing")
    if drawing:
        lines += ["", f"drawing preset, default training in the page: {drawing['wall_s']} s from Train to Done "
                      f"(training {drawing['training_s']} s), median of {len(drawing['runs'])}"]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--train-size", type=int, default=1000)
    parser.add_argument("--test-size", type=int, default=1000)
    parser.add_argument("--drawing", action=argparse.BooleanOptionalAction, default=True,
                        help="also time the drawing preset's default training (~1 min a run)")
    parser.add_argument("--site", type=Path, default=page_bench.build.DEFAULT_OUT)
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "data-order.json")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    page_bench.ensure_site(args.site, args.no_build)
    data = page_bench.load_mnist(args.site / page_bench.build.DIGITS_REL, args.train_size, args.test_size)
    with page_bench.serving(args.site) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=page_bench.chromium_path(None), headless=True,
                                     args=page_bench.CHROMIUM_FLAGS)
        try:
            result = bench(browser, url, data, args.reps, args.drawing)
        finally:
            browser.close()
    text = report(result)
    page_bench.write_results(args.out, result, text)
    print(text)


if __name__ == "__main__":
    main()
