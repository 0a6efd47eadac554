#!/usr/bin/env python3
"""Drawn digits: how well each preset reads the stroke set (tests/drawn_digits) drawn on the page's pad.

    python bench/drawn.py inputs     # replay the set through the page's pad (~30 s): its 28x28 inputs to
                                     #   tests/drawn_digits/page_inputs.npz (commit it when preprocessing changes)
    python bench/drawn.py page       # per preset: train in the page with its defaults, replay the set and
                                     #   read the page's answers; MNIST test accuracy beside (~10 min, 8 presets)
    python bench/drawn.py cpython    # per preset: train in CPython, read page_inputs.npz (no browser)
    python bench/drawn.py stats      # ink statistics of page_inputs.npz next to MNIST's training digits

`page` and `cpython` take --presets. Results: bench/results/drawn-<command>.json and .md (committed: the README quotes them).
As a module, for a development loop that needs no browser:

    from bench.drawn import read_inputs, evaluate
    inputs = read_inputs()                  # images (N, 784) float32 exactly as the page feeds them, labels...
    evaluate(model, inputs)                 # {"accuracy": ..., "per_digit": ..., "per_style": ..., "wrong": ...}
"""
import argparse
import hashlib
import json
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests" / "e2e"), str(REPO / "bench")]

import ink_stats  # noqa: E402
from pynet import saving  # noqa: E402
from pynet.data import load_mnist, read_digits_raw  # noqa: E402
from pynet.evaluation import probabilities  # noqa: E402
from pynet.layers import Softmax  # noqa: E402
from pynet.presets import ALL_PRESETS, PRESETS, make_trainer  # noqa: E402

STROKES = REPO / "tests" / "drawn_digits" / "strokes.json"
INPUTS = REPO / "tests" / "drawn_digits" / "page_inputs.npz"
RESULTS = REPO / "bench" / "results"
# Every preset with its defaults, but linear: the notebook's summed gradient diverges at its default alpha
# (.01) on 1,000 images, leaving no model; at 1e-5 it learns (as in bench/browser.py).
PARAMS = {"linear": {"alpha": 1e-5}}
TAGS = ("styles", "sizes", "placements")


def log(message=""):
    print(message, flush=True)


# ---------------------------------------------------------------- the stroke set and the page's inputs

def load_strokes(path=STROKES):
    """The drawings of the stroke set: dicts with id, label, style, size, placement, strokes."""
    return json.loads(Path(path).read_text())["drawings"]


def strokes_digest(path=STROKES):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_inputs(path, drawings, inputs, page):
    """The page's inputs as an .npz: images (N, 784) float32, labels, ids and the style tags of each
    drawing, and `about`: which stroke file and page made them."""
    images = np.array([np.zeros(784) if x is None else x for x in inputs], dtype=np.float32)
    about = {"strokes": str(STROKES.relative_to(REPO)), "strokes_sha256": strokes_digest(), "page": page,
             "made": time.strftime("%Y-%m-%d"), "how": "python bench/drawn.py inputs"}
    np.savez_compressed(path, images=images, labels=np.array([d["label"] for d in drawings], np.int64),
                        ids=np.array([d["id"] for d in drawings]), styles=np.array([d["style"] for d in drawings]),
                        sizes=np.array([d["size"] for d in drawings]),
                        placements=np.array([d["placement"] for d in drawings]), about=np.array(json.dumps(about)))


def read_inputs(path=INPUTS):
    """The page's inputs for the stroke set (see write_inputs) as a dict of arrays, plus `about`."""
    with np.load(path, allow_pickle=False) as f:
        data = {k: f[k] for k in f.files}
    data["about"] = json.loads(str(data["about"]))
    return data


def page_id():
    """The commit the page was built from, and whether the work tree differed from it."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "web"], cwd=REPO, capture_output=True, text=True)
    return head.stdout.strip() + ("+changes in web/" if dirty.stdout.strip() else "")


# ---------------------------------------------------------------- reading the inputs with a model

def answers(model, images):
    """The digit the page would show for each image: the argmax of its bars (pynet.evaluation's probabilities)."""
    outputs = model.predict(np.asarray(images, dtype=model.dtype))
    softmax = isinstance(model.layers[-1], Softmax)
    return np.argmax(probabilities(outputs, softmax), axis=1).astype(int)


def evaluate(model, inputs):
    """Accuracy of `model` on the page's inputs, overall, per digit and per style tag."""
    return score(answers(model, inputs["images"]), inputs)


def score(digits, inputs):
    """{"accuracy", "per_digit", "per_style", "per_size", "per_placement", "wrong": {id: answer}} of the
    answers `digits` (one per drawing; None counts as wrong)."""
    right = np.array([d == label for d, label in zip(digits, inputs["labels"])])
    result = {"accuracy": float(right.mean()), "count": int(len(right))}
    groups = {"per_digit": [str(x) for x in inputs["labels"]],
              "per_style": [f"{label} {style}" for label, style in zip(inputs["labels"], inputs["styles"])],
              "per_size": list(inputs["sizes"]), "per_placement": list(inputs["placements"])}
    for name, keys in groups.items():
        hits = defaultdict(list)
        for key, ok in zip(keys, right):
            hits[key].append(bool(ok))
        result[name] = {k: float(np.mean(v)) for k, v in sorted(hits.items())}
    result["wrong"] = {str(i): (None if d is None else int(d)) for i, d, ok in zip(inputs["ids"], digits, right) if not ok}
    return result


# ---------------------------------------------------------------- the measurements

def measure_in_page(url, presets, drawings, stored):
    """Per preset: train in the page, replay the set, read the page's answers; also read the same inputs
    with the exported model in CPython, to show that CPython on page_inputs.npz gives the page's answers."""
    import pad_replay

    rows = {}
    for preset in presets:
        started = time.perf_counter()
        run = pad_replay.replay(url, drawings, preset=preset, params=PARAMS.get(preset), export=True)
        training = run["training"]
        row = {"params": PARAMS.get(preset, {}), "training": training, "page_errors": run["page_errors"]}
        if training["outcome"] == "done":
            images = np.array(run["inputs"], dtype=np.float32)
            cpython_digits = answers(saving.load(run["model"]).model, images)
            row.update(mnist_test_accuracy=training["evaluation"]["test_accuracy"],
                       drawn={"page": score(run["answers"], stored)},
                       cpython_agrees=int(sum(int(a) == int(b) for a, b in zip(run["answers"], cpython_digits))),
                       inputs_max_difference=float(np.abs(images - stored["images"]).max()))
        rows[preset] = row
        log(f"  {preset}: {describe(row)} ({time.perf_counter() - started:.0f} s)")
    return rows


def measure_in_cpython(presets, inputs, digits_file):
    """Per preset: train in CPython as the page's worker does (float32, notebook random stream), then read
    each of `inputs` ({name: read_inputs(...)})."""
    rows = {}
    for preset in presets:
        params = ALL_PRESETS[preset].resolve(PARAMS.get(preset))
        started = time.perf_counter()
        trainer = make_trainer(preset, *load_mnist(digits_file, params["train_size"], params["test_size"]),
                               params, dtype=np.float32)
        trainer.run()
        row = {"params": PARAMS.get(preset, {}), "training": {"outcome": trainer.state}}
        if trainer.state == "done":
            row.update(mnist_test_accuracy=trainer.last_evaluation["test_accuracy"],
                       drawn={name: evaluate(trainer.model, data) for name, data in inputs.items()})
        rows[preset] = row
        log(f"  {preset}: {describe(row)} ({time.perf_counter() - started:.0f} s)")
    return rows


def describe(row):
    if "drawn" not in row:
        return f"training ended: {row['training']['outcome']}"
    drawn = ", ".join(f"{name} {pct(s['accuracy'])}" for name, s in row["drawn"].items())
    extra = f"; CPython gives the page's answer for {row['cpython_agrees']}" if "cpython_agrees" in row else ""
    return f"MNIST test {pct(row['mnist_test_accuracy'])}, drawn digits read right: {drawn}{extra}"


def pct(x):
    return "-" if x is None else f"{100 * x:.1f}%"


def report(title, rows, note=""):
    return f"# {title}\n\n{note}\n\n{table(rows)}"


def table(rows):
    """Markdown: per preset the MNIST test accuracy, the drawn digits read right (one column per set of
    inputs), and per digit for the last set."""
    names = next((list(r["drawn"]) for r in rows.values() if "drawn" in r), ["drawn"])
    lines = ["| preset | MNIST test accuracy | " + " | ".join(f"drawn digits read right ({n})" for n in names)
             + " | " + " | ".join(map(str, range(10))) + " |",
             "|---|--:|" + "--:|" * len(names) + "--:|" * 10]
    for preset, row in rows.items():
        settings = ", ".join(f"{k} {v:g}" for k, v in row["params"].items())
        label = f"{preset} ({settings})" if settings else preset
        if "drawn" not in row:
            lines.append(f"| {label} | training ended: {row['training']['outcome']} |" + " - |" * (len(names) + 10))
            continue
        per_digit = row["drawn"][names[-1]]["per_digit"]
        lines.append(f"| {label} | {pct(row['mnist_test_accuracy'])} | "
                     + " | ".join(pct(row["drawn"][n]["accuracy"]) for n in names) + " | "
                     + " | ".join(f"{100 * per_digit[str(d)]:.0f}" for d in range(10)) + " |")
    lines += ["", f"Per digit: % of that digit's drawings read right ({names[-1]})."]
    if any("cpython_agrees" in r for r in rows.values()):
        agree = ", ".join(f"{p} {r['cpython_agrees']}" for p, r in rows.items() if "cpython_agrees" in r)
        lines += ["", f"The exported model in CPython, on the inputs the page made, gives the page's answer for: {agree} "
                  f"of {next(r['drawn']['page']['count'] for r in rows.values() if 'drawn' in r)} drawings."]
    return "\n".join(lines) + "\n"


def stats_report(inputs_files, digits_file):
    pixels, labels, pool = read_digits_raw(digits_file)
    sets = {"MNIST training pool": pixels[:pool].astype(np.float64) / 255}
    for path in inputs_files:
        sets[f"drawn ({Path(path).name})"] = read_inputs(path)["images"]
    return "# Drawn digits after the page's preprocessing, next to MNIST\n\n" + ink_stats.table(ink_stats.compare(sets)) + "\n"


# ---------------------------------------------------------------- command line

def save(name, result, text):
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"drawn-{name}.json").write_text(json.dumps(result, indent=1) + "\n")
    (RESULTS / f"drawn-{name}.md").write_text(text)
    log(text)
    log(f"wrote {RESULTS / f'drawn-{name}.json'} and .md")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["inputs", "page", "cpython", "stats"])
    parser.add_argument("--presets", nargs="+", choices=list(ALL_PRESETS), metavar="PRESET", default=list(PRESETS))
    parser.add_argument("--inputs", type=Path, nargs="+", default=[INPUTS],
                        help="page inputs (.npz) to read; `inputs` writes the first (default %(default)s)")
    parser.add_argument("--site", type=Path, help="site directory (default web/dist, built if needed)")
    parser.add_argument("--no-build", action="store_true", help="serve the site as it is")
    args = parser.parse_args(argv)

    from browser import ensure_site, serving  # noqa: PLC0415 - bench/browser.py imports this module
    import build

    site = (args.site or build.DEFAULT_OUT).resolve()
    digits_file = site / build.DIGITS_REL
    if args.command == "cpython":
        if not digits_file.is_file():
            ensure_site(site, False)
        inputs = {path.stem: read_inputs(path) for path in args.inputs}
        rows = measure_in_cpython(args.presets, inputs, digits_file)
        made = "; ".join(f"{name}: page {data['about']['page']}" for name, data in inputs.items())
        save("cpython", rows, report("Drawn digits, presets trained in CPython", rows,
                                     f"Each preset trained with its defaults in CPython, as the page's worker trains it "
                                     f"(float32, the notebook's random stream). Inputs made by: {made}."))
        return
    if args.command == "stats":
        if not digits_file.is_file():
            ensure_site(site, False)
        text = stats_report(args.inputs, digits_file)
        save("stats", {"text": text}, text)
        return
    ensure_site(site, args.no_build)
    drawings = load_strokes()
    with serving(site) as url:
        if args.command == "inputs":
            import pad_replay

            started = time.perf_counter()
            run = pad_replay.replay(url, drawings)
            empty = [d["id"] for d, x in zip(drawings, run["inputs"]) if x is None]
            if empty or run["page_errors"]:
                sys.exit(f"the page saw no ink for {empty} or failed: {run['page_errors']}")
            write_inputs(args.inputs[0], drawings, run["inputs"], page_id())
            log(f"wrote {args.inputs[0]}: {len(drawings)} drawings in {time.perf_counter() - started:.0f} s")
            return
        rows = measure_in_page(url, args.presets, drawings, read_inputs(args.inputs[0]))
    save("page", rows, report("Drawn digits, presets trained in the page", rows,
                              f"Page {page_id()}; each preset trained with its defaults in the page's worker, "
                              "then the stroke set replayed through the pad."))


if __name__ == "__main__":
    main()
