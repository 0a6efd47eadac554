#!/usr/bin/env python3
"""XNNPACK on every core against XNNPACK on one thread, in the page's worker.

The page as shipped runs XNNPACK's threaded build with one thread per core where it is cross-origin
isolated; `?threads=1` pins the one-thread build, which a page without shared memory gets. browser.py
trains every preset in both pages, in alternation, through `MODE`, and `add_gains` and `report` put the
comparison in its results and report. Alone, this runs just that comparison (and native pynet, for the
ratios), a quicker A/B than the whole browser bench:

    python bench/threads.py                          # all presets, median of 3
    python bench/threads.py --presets conv tanh-softmax --reps 5

Results: bench/results/threads.json and threads.md (`--out`).
"""
import sys
import time
from pathlib import Path

# The browser bench's mode for the one-thread page: (query string, the library it should report).
MODE = {"worker_one_thread": ("?threads=1", "xnnpack")}
COMPARED = ("worker", *MODE)


def add_gains(row):
    """A preset's row of browser.py's training results gets what the threads bring."""
    one, every, native = (row[m]["train_ips"] if m in row else None for m in (*MODE, "worker", "native"))
    row["threads_gain"] = every / one if every and one else None
    row["one_thread_over_native"] = one / native if one and native else None


def matmul_text(summary):
    """What the page's footer said does the products in a mode's first run (threads included)."""
    runs = summary.get("runs") or [{}]
    return runs[0].get("matmul") or "-"


def report(training):
    """Markdown lines: per preset, one thread against every core, and each against native pynet."""
    if not training or not all(m in row for row in training.values() for m in COMPARED):
        return []
    first = next(iter(training.values()))
    lines = [
        "## XNNPACK on every core against one thread",
        "",
        f"*all threads*: the page as shipped ({matmul_text(first['worker'])}); *one thread*: `?threads=1` "
        f"({matmul_text(first[next(iter(MODE))])}). Train img/s, median of the runs; the two pages alternate "
        "within each rep.",
        "",
        "| preset | one thread img/s | all threads img/s | gain | one thread ÷ native | all threads ÷ native |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for preset, row in training.items():
        one, every = row[next(iter(MODE))]["train_ips"], row["worker"]["train_ips"]
        lines.append(f"| {preset} | {number(one)} | {number(every)} | {times(row['threads_gain'])} "
                     f"| {percent(row['one_thread_over_native'])} | {percent(row['worker_over_native'])} |")
    return lines + [""]


def number(x):
    return "-" if x is None else f"{x:,.0f}"


def percent(x):
    return "-" if x is None else f"{100 * x:.1f}%"


def times(x):
    return "-" if x is None else f"{x:.2f}x"


def main(argv=None):
    import browser  # noqa: WPS433 - bench/browser.py, which imports this module

    args = browser.parse_args(argv)
    if args.out.parent == browser.REPO / "bench" / "results" and args.out.name.startswith("browser"):
        args.out = args.out.with_name(args.out.name.replace("browser", "threads", 1))  # not the full bench's
    from playwright.sync_api import sync_playwright

    started = time.perf_counter()
    browser.ensure_site(args.site, args.no_build)
    data = browser.load_mnist(args.site / browser.build.DIGITS_REL, args.train_size, args.test_size)
    with browser.serving(args.site) as url, sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=browser.chromium_path(args.chromium), headless=True,
                                      args=browser.CHROMIUM_FLAGS)
        try:
            environment = browser.environment(chromium, args.site)
            training = browser.bench_training(chromium, url, args.presets, data, args, modes=COMPARED)
        finally:
            chromium.close()
    environment["load_average_after"] = browser.os.getloadavg()[0]
    text = "\n".join([f"# pynet in the browser: threads ({time.strftime('%Y-%m-%d %H:%M')}, "
                      f"{environment['cpus']} CPUs, load average {environment['load_average']} before, "
                      f"{environment['load_average_after']:.2f} after)", "", *report(training)])
    browser.write_results(args.out, {"environment": environment, "training": training,
                                     "seconds": time.perf_counter() - started}, text)
    print(text, flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
