"""A person's own digits: the drawings the page misread, with the digit they meant.

A personal digit set is a `pynet.data.Dataset` of the page's 28x28 inputs (floats in [0, 1], exactly what
the network was shown) and their labels. On disk it is an `.npz` that CPython and the page share:

- `pynet_meta`: a 0-d string array, the JSON `{"format": "pynet-digits", "version": 1}`;
- `images`: float32, (N, 28, 28);
- `labels`: uint8, (N,), each 0-9.

Loading treats the file as hostile, as `pynet.saving` does models (the same bounded reading: size and
member count checked before anything is decompressed, `allow_pickle=False`): exactly these members, the
shapes, dtypes and ranges above, at most `MAX_DIGITS` digits. Any failure raises `DigitSetError`.

`mix` puts a set into a training set so that it counts: repeated until it is a given share of it.
"""
import io
import json
import math

import numpy as np

from . import saving
from .data import Dataset
from .errors import DigitSetError

FORMAT, VERSION = "pynet-digits", 1
MAX_DIGITS = 10_000
SIDE = 28
WHAT = "digit set file"  # how messages name the file


def save(target, digits):
    """Write the `Dataset` `digits` to `target`, a path or a binary file object."""
    images, labels = checked(np.asarray(digits.images), np.asarray(digits.labels))
    meta = json.dumps({"format": FORMAT, "version": VERSION})
    np.savez_compressed(target, pynet_meta=np.array(meta), images=images.reshape(-1, SIDE, SIDE),
                        labels=labels.astype(np.uint8))


def to_bytes(digits):
    buffer = io.BytesIO()
    save(buffer, digits)
    return buffer.getvalue()


def load(source, dtype=np.float32):
    """The `Dataset` in a path or bytes (images flat, (N, 784)), or `DigitSetError` saying what is wrong."""
    arrays = saving.read_arrays(saving.read_source(source, WHAT, DigitSetError), WHAT, DigitSetError)
    if set(arrays) != {"pynet_meta", "images", "labels"}:
        raise DigitSetError(f"not a pynet {WHAT}: it must hold pynet_meta, images and labels, "
                            f"it holds {', '.join(sorted(arrays)) or 'nothing'}")
    check_meta(arrays["pynet_meta"])
    images, labels = checked(arrays["images"], arrays["labels"])
    return Dataset(images.reshape(len(images), SIDE * SIDE).astype(dtype), labels.astype(np.int64))


def check_meta(raw):
    try:
        meta = json.loads(str(raw)) if raw.dtype.kind == "U" and raw.shape == () else None
    except ValueError:
        meta = None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise DigitSetError(f"not a pynet {WHAT}: wrong or missing format tag")
    if meta.get("version") != VERSION:
        raise DigitSetError(f"{WHAT} version {meta.get('version')!r} is not supported (this pynet reads {VERSION})")


def checked(images, labels):
    """(images (N, 784 or 28, 28) float32, labels (N,)) after refusing anything but N digits 0-9 whose
    pixels are finite floats in [0, 1]."""
    if images.dtype.kind != "f" or labels.dtype.kind not in "iu":
        raise DigitSetError(f"{WHAT}: images must be floats and labels integers, "
                            f"got {images.dtype} and {labels.dtype}")
    n = len(labels) if labels.ndim == 1 else -1
    if not (0 <= n <= MAX_DIGITS and images.shape in ((n, SIDE, SIDE), (n, SIDE * SIDE))):
        raise DigitSetError(f"{WHAT}: need at most {MAX_DIGITS:,} images of 28x28 pixels and one label each, "
                            f"got images {images.shape} and labels {labels.shape}")
    if n and not (labels.min() >= 0 and labels.max() <= 9):
        raise DigitSetError(f"{WHAT}: labels must be digits 0-9")
    if not np.isfinite(images).all() or n and not (images.min() >= 0 and images.max() <= 1):
        raise DigitSetError(f"{WHAT}: pixels must be finite and between 0 and 1")
    return images.astype(np.float32), labels


def mix(train, digits, share, augment=None, seed=0):
    """`train` with `digits` spread evenly through it, each repeated so that together they are about
    `share` of the result (at least once each): a handful of a person's digits among thousands would
    barely count, and bunched at the end they would make whole batches of their own. `augment` (a
    `pynet.augment.Augmentation`) distorts each copy its own way, drawn from `seed`."""
    if len(digits) == 0:
        return train
    repeats = max(1, math.ceil(share * len(train) / ((1 - share) * len(digits))))
    copies = np.tile(digits.images.astype(train.images.dtype), (repeats, 1))
    if augment is not None:
        copies = augment(copies, np.random.default_rng(seed))
    # Each image at its fraction of the way through its own list; a stable sort interleaves the two.
    places = np.concatenate([(np.arange(len(train)) + .5) / len(train), (np.arange(len(copies)) + .5) / len(copies)])
    order = np.argsort(places, kind="stable")
    images = np.concatenate([train.images, copies])[order]
    labels = np.concatenate([train.labels, np.tile(digits.labels, repeats)])[order]
    return Dataset(images, labels)
