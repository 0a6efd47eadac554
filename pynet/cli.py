"""`python -m pynet`: list presets, train one, evaluate a saved model.

The contract other tools rely on: `train` and `evaluate` end their stdout with one JSON object; errors
exit non-zero with a single `pynet: error: ...` line on stderr, never a traceback. The progress bar (tqdm,
the optional `cli` extra) goes to stderr; without tqdm training runs the same, just without a bar.
"""
import argparse
import json
import sys
import time

import numpy as np

from . import data, personal, presets, saving
from .errors import PynetError
from .host import finite

EXIT_ERROR, EXIT_DIVERGED = 2, 3


class Parser(argparse.ArgumentParser):
    def error(self, message):
        """argparse prints the whole usage block; the contract is one line."""
        fail(f"{message} (see `python -m pynet {self.prog.split()[-1]} --help`)"
             if " " in self.prog else message)


def fail(message, code=EXIT_ERROR):
    print(f"pynet: error: {message}", file=sys.stderr)
    raise SystemExit(code)


def make_parser():
    parser = Parser(prog="pynet", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    listing = commands.add_parser("presets", help="list the notebook's experiments")
    listing.add_argument("--json", action="store_true", help="print them as a JSON list")

    train = commands.add_parser("train", help="train a preset on MNIST")
    train.add_argument("--preset", required=True, help="one of: " + ", ".join(presets.ALL_PRESETS))
    for name in ("iterations", "batch_size", "hidden_size", "kernels", "train_size", "test_size", "seed"):
        train.add_argument("--" + name.replace("_", "-"), type=int, help=presets.PARAMS[name].help)
    train.add_argument("--alpha", type=float, help=presets.PARAMS["alpha"].help)
    train.add_argument("--augment", type=float, metavar="STRENGTH", help=presets.PARAMS["augment"].help)
    train.add_argument("--shuffle", action=argparse.BooleanOptionalAction, help=presets.PARAMS["shuffle"].help)
    train.add_argument("--no-quirks", action="store_true", help="textbook maths instead of the notebook's")
    train.add_argument("--dtype", choices=("float32", "float64"), default="float32",
                       help="float32 (default) is about twice as fast and what the browser uses")
    train.add_argument("--random", choices=("notebook", "generator"), default="notebook",
                       help="the notebook's np.random.seed stream (default) or NumPy's Generator")
    train.add_argument("--data", help="digits file, or a folder of MNIST IDX files (default: the built digits file)")
    train.add_argument("--extra", action="append", metavar="DIGITS.npz",
                       help="a personal digit set (exported from the page) to train on too; may be repeated")
    train.add_argument("--out", help="save the trained model to this .npz file")

    evaluate = commands.add_parser("evaluate", help="test accuracy of a saved model")
    evaluate.add_argument("model", help="a .npz file saved by `train --out` or the web page")
    evaluate.add_argument("--test-size", type=int, default=1000)
    evaluate.add_argument("--data", help="digits file or IDX folder (default: the built digits file)")
    return parser


def main(argv=None):
    args = make_parser().parse_args(argv)
    try:
        {"presets": cmd_presets, "train": cmd_train, "evaluate": cmd_evaluate}[args.command](args)
    except PynetError as error:
        fail(str(error))
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except BrokenPipeError:
        sys.stderr.close()  # `| head` closed the pipe: not an error worth a message


def cmd_presets(args):
    described = [p.describe() for p in presets.ALL_PRESETS.values()]
    if args.json:
        print(json.dumps(described, indent=2))
        return
    for p in described:
        values = ", ".join(f"{k}={v['value']}" for k, v in p["params"].items() if k not in ("train_size", "test_size", "seed", "quirks"))
        print(f"{p['name']:<15} {p['network']}\n{'':<15} {values}")


def cmd_train(args):
    preset = presets.get(args.preset)
    overrides = {name: getattr(args, name) for name in preset.defaults
                 if getattr(args, name, None) is not None}
    if args.no_quirks:
        overrides["quirks"] = False
    asked = sorted(n for n in ("batch_size", "hidden_size", "kernels")
                   if getattr(args, n) is not None and n not in preset.defaults)
    if asked:
        raise PynetError(f"preset {preset.name} has no {', '.join(asked)}")
    params = preset.resolve(overrides)
    extra = load_extra(args.extra or [], args.dtype)  # before MNIST: a bad file is found at once
    train, test = data.load_mnist(args.data, params["train_size"], params["test_size"], dtype=args.dtype)
    train = personal.mix(train, extra, personal.TRAINING_SHARE)
    trainer = presets.make_trainer(preset.name, train, test, params, dtype=args.dtype, random=args.random)
    run_with_progress(trainer)
    result = result_line(trainer)
    if args.extra:
        result["extra_digits"] = len(extra)
    if args.out:
        metrics = {k: result[k] for k in ("train_accuracy", "test_accuracy", "train_loss", "test_loss")}
        try:
            saving.save(args.out, trainer.model, preset=preset.name, params=params, metrics=metrics)
        except OSError as error:
            raise PynetError(f"cannot write {args.out}: {error.strerror or error}") from None
        result["out"] = args.out
    print(json.dumps(finite(result)))
    if trainer.state == "diverged":
        raise SystemExit(EXIT_DIVERGED)


def load_extra(paths, dtype):
    """The personal digit sets at `paths` as one `Dataset` (empty without paths)."""
    sets = [personal.load(path, dtype) for path in paths]
    return data.Dataset(np.concatenate([d.images for d in sets] or [np.zeros((0, 784), dtype)]),
                        np.concatenate([d.labels for d in sets] or [np.zeros(0, np.int64)]))


def run_with_progress(trainer):
    """Train to the end, with a progress bar on stderr and the notebook's line at every evaluation."""
    bar = progress_bar(trainer.iterations * trainer.batches)
    say = bar.write if bar else print
    try:
        for event in trainer.events():
            if event["type"] == "batch" and bar:
                bar.update(1)
            elif event["type"] == "evaluation":
                say(notebook_line(event))
            elif event["type"] == "diverged":
                print(f"pynet: {event['message']}", file=sys.stderr)
            if bar and event["type"] == "iteration":
                bar.set_postfix(train_acc=f"{event['train_accuracy']:.3f}", refresh=False)
    finally:
        if bar:
            bar.close()


def progress_bar(total):
    try:
        from tqdm import tqdm
    except ImportError:  # the bar is a nicety: `pip install pynet[cli]` brings it
        return None
    return tqdm(total=total, unit="batch", file=sys.stderr, dynamic_ncols=True, leave=False)


def notebook_line(e):
    loss = lambda v: "n/a" if v is None else f"{v:.4f}"
    return (f"Iteration: {e['iteration']} Train loss: {loss(e['train_loss'])} "
            f"Train acc: {e['train_accuracy']:.3f} Test loss: {loss(e['test_loss'])} "
            f"Test acc: {e['test_accuracy']:.3f}")


def result_line(trainer):
    final = trainer.last_evaluation or {}
    images = trainer.iteration * trainer.batches * trainer.batch_size
    return {"preset": trainer.preset, "iterations": trainer.iteration, "state": trainer.state,
            "train_accuracy": final.get("train_accuracy"), "test_accuracy": final.get("test_accuracy"),
            "train_loss": final.get("train_loss"), "test_loss": final.get("test_loss"),
            "seconds": round(trainer.seconds, 3),
            "images_per_second": round(images / trainer.seconds, 1) if trainer.seconds else None,
            "params": trainer.params}


def cmd_evaluate(args):
    loaded = saving.load(args.model)
    _, test = data.load_mnist(args.data, 1, args.test_size, dtype=loaded.model.dtype)
    started = time.perf_counter()
    outputs = loaded.model.predict(test.images)
    accuracy = float(np.mean(outputs.argmax(axis=1) == test.labels))
    print(json.dumps({"model": args.model, "preset": loaded.preset, "test_size": len(test),
                      "test_accuracy": accuracy, "seconds": round(time.perf_counter() - started, 3)}))


if __name__ == "__main__":
    main()
