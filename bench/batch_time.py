"""How long one training batch takes, and how much of it pynet's matrix products take (bench/ceiling.py).

The same file runs in CPython and, fetched by the bench's worker, in Pyodide: only pynet and the standard
library. Each product of pynet's layers (`pynet.layers.dot`: the product and the copies it makes to lay its
operands out) is timed apart from the rest of the batch: activations, dropout masks, loss, the SGD step and
Python itself.
"""
import json
import statistics
import time

import numpy as np

from pynet import layers, presets
from pynet.host import Host

WARMUP_BATCHES = 3


def time_batches(trainer, batches, products, kernel):
    """[(batch, products, kernel) seconds] for `batches` single batches of `trainer`: `train_batch` alone,
    as `Trainer.run` calls it in its loop (not `run` per batch, whose own start would count)."""
    times = []
    with np.errstate(over="ignore", invalid="ignore"):  # as Trainer.run
        for _ in range(WARMUP_BATCHES):
            trainer.train_batch()
        for _ in range(batches):
            products.clear()
            kernel.clear()
            start = time.perf_counter()
            trainer.train_batch()
            times.append((time.perf_counter() - start, sum(products), sum(kernel)))
    return times


def timed(function, record):
    """`function`, each call's seconds appended to `record`."""
    def call(*args):
        start = time.perf_counter()
        try:
            return function(*args)
        finally:
            record.append(time.perf_counter() - start)
    return call


def measure(digits, names, batches, train_size=1000, test_size=1000, kernel=None):
    """{preset: {batch_ms, products_ms, rest_ms, kernel_ms}}, medians over `batches[preset]` batches of
    each preset trained with its defaults on the first digits of `digits` (a pynet digits file's path or
    bytes). `kernel`: a list that the host's product (wrapped by `timed`) fills, else kernel_ms is None."""
    train, test = Host(digits).split(train_size, test_size)
    products, plain_dot = [], layers.dot
    layers.dot = timed(plain_dot, products)
    try:
        result = {}
        for name in names:
            trainer = presets.make_trainer(name, train, test, {"iterations": 10_000})
            times = time_batches(trainer, batches[name], products, [] if kernel is None else kernel)
            result[name] = {"batch_ms": 1e3 * statistics.median([t for t, _, _ in times]),
                            "products_ms": 1e3 * statistics.median([p for _, p, _ in times]),
                            "rest_ms": 1e3 * statistics.median([t - p for t, p, _ in times]),
                            "kernel_ms": None if kernel is None else 1e3 * statistics.median([k for _, _, k in times])}
        return result
    finally:
        layers.dot = plain_dot


def measure_json(digits, names_json, batches_json, train_size, test_size, kernel=None):
    """`measure` across the JavaScript boundary: JSON in, JSON out."""
    return json.dumps(measure(digits, json.loads(names_json), json.loads(batches_json), train_size, test_size,
                              kernel))
