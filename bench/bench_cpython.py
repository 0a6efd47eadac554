#!/usr/bin/env python3
"""Training speed in CPython: pynet (float32 and float64) against the notebook's own loops.

For every preset, on the same MNIST training images, it times a few training iterations of
- pynet: `make_trainer(preset, ..., dtype, random="notebook")` then `trainer.run()`;
- the notebook: the literal loop of tests/notebook_reference.py (float64, like the notebook);
and prints training images per second (median of `--repeats` runs) and pynet's speed-up. Only training is
timed: pynet's `run()`, and the notebook loop minus the same loop run for zero iterations (its seeding and
weight initialisation, timed alongside).
The three implementations alternate inside each repeat, so a busy machine slows them alike.

    PYTHONPATH=. python bench/bench_cpython.py            # all presets, ~1-2 min
    PYTHONPATH=. python bench/bench_cpython.py --quick    # smoke run, a few seconds
    PYTHONPATH=. python bench/bench_cpython.py --presets conv tanh-softmax --repeats 5

Results: JSON (`--out`, default bench/results/cpython.json) and a Markdown table beside it (`.md`).
"""
import argparse
import importlib.util
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pynet.presets import PRESETS, make_trainer  # noqa: E402


def load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


notebook = load_module("notebook_reference", REPO / "tests" / "notebook_reference.py")

# Iterations per timed run: enough for ~0.2-1 s each on a 2-core machine.
# linear: its summed gradient overflows float32 after 8 iterations (the notebook's divergence), so 6.
ITERATIONS = {"linear": 6, "relu": 3, "relu-dropout": 3, "relu-minibatch": 20, "tanh-softmax": 20,
              "conv": 3, "wide-sgd": 2, "wide-minibatch": 10}


def load_data(train_size):
    """(train float32, train float64) Datasets and a 1-image test set (the trainer evaluates once at the
    end; one image keeps that out of the timing). From the digits file, else the npm JSON."""
    conftest = load_module("pynet_tests_conftest", REPO / "tests" / "conftest.py")
    train32, test = conftest.load_data(train_size, 1, np.float32)
    train64, _ = conftest.load_data(train_size, 1, np.float64)
    return train32, train64, test


def time_pynet(name, train, test, iterations, dtype):
    trainer = make_trainer(name, train, test, {"iterations": iterations, "train_size": len(train)},
                           dtype=dtype, random="notebook", eval_every=10**9)
    started = time.perf_counter()
    events = trainer.run()
    seconds = time.perf_counter() - started
    assert trainer.state == "done", events[-1]
    return seconds, sum(e["images"] for e in events if e["type"] == "batch")


def time_notebook(name, images, labels, iterations):
    loop = notebook.LOOPS[name][0]
    started = time.perf_counter()
    loop(images, labels, iterations, seed=1)
    return time.perf_counter() - started


def blas_name():
    try:
        config = np.show_config(mode="dicts")
        return config["Build Dependencies"]["blas"]["name"]
    except Exception:  # the format of show_config differs between NumPy versions
        return "unknown"


def bench(args):
    train32, train64, test = load_data(args.train_size)
    images, labels = train64.images.copy(), np.eye(10)[train64.labels]
    rows = []
    for name in args.presets:
        iterations = args.iterations or ITERATIONS[name]
        if args.quick:
            iterations = 1
        times = {"pynet-float32": [], "pynet-float64": [], "notebook": []}
        setup = []  # the notebook loop's seeding and initialisation alone
        count = None
        time_pynet(name, train32, test, 1, np.float32)  # warm-up, untimed
        time_pynet(name, train64, test, 1, np.float64)
        for _ in range(args.repeats):
            for impl in times:
                if impl == "notebook":
                    setup.append(time_notebook(name, images, labels, 0))
                    times[impl].append(time_notebook(name, images, labels, iterations))
                    continue
                dtype = np.float32 if impl == "pynet-float32" else np.float64
                train = train32 if dtype == np.float32 else train64
                seconds, count = time_pynet(name, train, test, iterations, dtype)
                times[impl].append(seconds)
        # the notebook trains on the same images: all of them, or whole batches only where it skips the rest
        row = {"preset": name, "iterations": iterations, "train_images": len(train64), "images": count,
               "repeats": args.repeats}
        times["notebook"] = [t - statistics.median(setup) for t in times["notebook"]]
        for impl, seconds in times.items():
            median = statistics.median(seconds)
            row[impl] = {"seconds": seconds, "median_seconds": median, "images_per_second": count / median}
        row["speedup_float32"] = row["notebook"]["median_seconds"] / row["pynet-float32"]["median_seconds"]
        row["speedup_float64"] = row["notebook"]["median_seconds"] / row["pynet-float64"]["median_seconds"]
        rows.append(row)
        print(format_row(row), flush=True)
    return rows


def conv_windows(args):
    """Where the notebook really loops over windows: its test evaluation cuts 625 windows in Python for
    every image, and its training loop does so once per batch of 128. pynet's im2col is one strided view
    and one reshape. Times both, on the same weights and images (float64, as the notebook)."""
    test_size = 100 if args.quick else 1000
    conftest = load_module("pynet_tests_conftest", REPO / "tests" / "conftest.py")
    train, test = conftest.load_data(256, test_size, np.float64)
    trainer = make_trainer("conv", train, test, {"iterations": 1, "train_size": 256}, dtype=np.float64)
    trainer.run()
    state = trainer.model.state_dict()
    weights = {"kernels": state["1.weight"], "weights_1_2": state["5.weight"]}
    labels = np.eye(10)[test.labels]
    evaluation = {"notebook": [], "pynet": []}
    for _ in range(args.repeats):
        started = time.perf_counter()
        notebook.conv_test_correct(test.images, labels, weights)
        evaluation["notebook"].append(time.perf_counter() - started)
        started = time.perf_counter()
        trainer.evaluate(test.images, test.labels)
        evaluation["pynet"].append(time.perf_counter() - started)
    row = {name: test_size / statistics.median(times) for name, times in evaluation.items()}
    row["speedup"] = row["pynet"] / row["notebook"]
    print(f"conv test evaluation ({test_size} images): notebook {row['notebook']:,.0f} img/s, "
          f"pynet {row['pynet']:,.0f} img/s: {row['speedup']:.0f}x")
    return row


HEADER = ("| preset | iterations x images | notebook img/s | pynet f64 img/s | pynet f32 img/s | "
          "speed-up f64 | speed-up f32 |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |")


def format_row(row):
    ips = lambda impl: f"{row[impl]['images_per_second']:,.0f}"  # noqa: E731
    return (f"| {row['preset']} | {row['iterations']} x {row['images'] // row['iterations']:,} | "
            f"{ips('notebook')} | {ips('pynet-float64')} | {ips('pynet-float32')} | "
            f"{row['speedup_float64']:.2f}x | {row['speedup_float32']:.2f}x |")


def environment():
    return {"python": platform.python_version(), "numpy": np.__version__, "blas": blas_name(),
            "platform": platform.platform(), "cpus": os.cpu_count(),
            "threads": {k: os.environ[k] for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
                        if k in os.environ},
            "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", nargs="+", default=list(PRESETS), choices=list(PRESETS), metavar="PRESET",
                        help="presets to time (default: all)")
    parser.add_argument("--train-size", type=int, default=1000, help="training images (default 1000)")
    parser.add_argument("--iterations", type=int, help="iterations per timed run (default: per preset)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per implementation (median; default 3)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 200 images, 1 iteration, 1 repeat")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "cpython.json",
                        help="JSON results (a Markdown table is written beside it, .md)")
    args = parser.parse_args(argv)
    if args.quick:
        args.train_size, args.repeats = 200, 1
    if args.repeats < 1 or args.train_size < 1:
        parser.error("--repeats and --train-size must be positive")

    env = environment()
    print(f"Python {env['python']}, NumPy {env['numpy']} ({env['blas']}), {env['cpus']} CPUs, "
          f"{args.train_size} training images, median of {args.repeats}; load average "
          f"{env['load_average'] and round(env['load_average'][0], 2)}, threads {env['threads'] or 'default'}")
    print(HEADER)
    started = time.perf_counter()
    rows = bench(args)
    evaluation = conv_windows(args)
    env["load_average_after"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    result = {"benchmark": "cpython", "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
              "seconds": time.perf_counter() - started, "environment": env,
              "settings": {"train_size": args.train_size, "repeats": args.repeats, "quick": args.quick},
              "results": rows, "conv_evaluation": evaluation}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    markdown = (f"# CPython training speed\n\nPython {env['python']}, NumPy {env['numpy']} ({env['blas']}), "
                f"{env['cpus']} CPUs, BLAS threads {env['threads'] or 'default'}, load average "
                f"{env['load_average'] and round(env['load_average'][0], 2)}; {args.train_size} training images; "
                f"training images per second, median of {args.repeats} runs; speed-up = notebook time / "
                "pynet time.\n\n"
                + HEADER + "\n" + "\n".join(format_row(r) for r in rows) + "\n\n"
                f"Conv test evaluation, where the notebook cuts 625 windows per image in Python: notebook "
                f"{evaluation['notebook']:,.0f} images/s, pynet {evaluation['pynet']:,.0f} images/s "
                f"({evaluation['speedup']:.0f}x).\n")
    args.out.with_suffix(".md").write_text(markdown)
    print(f"wrote {args.out} and {args.out.with_suffix('.md')} ({result['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
