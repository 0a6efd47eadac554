"""A person's own digits: the drawings the page misread, with the digit they meant.

A personal digit set is a `pynet.data.Dataset` of the page's 28x28 inputs (floats in [0, 1], exactly what
the network was shown) and their labels. On disk it is an `.npz` that CPython and the page share:

- `pynet_meta`: a 0-d string array, the JSON `{"format": "pynet-digits", "version": 1}`;
- `images`: float32, (N, 28, 28);
- `labels`: uint8, (N,), each 0-9.

Loading treats the file as hostile, as `pynet.saving` does models (the same bounded reading: size and
member count checked before anything is decompressed, every `.npy` header checked before its data is read): exactly these members, the
shapes, dtypes and ranges above, at most `MAX_DIGITS` digits. Any failure raises `DigitSetError`.

`mix` puts a set into a training set so that it counts: repeated until it is a given share of it.
The page keeps its set as bytes (each pixel rounded to 1/255, a quarter of the floats' size, enough for a
28x28 input); `from_page` and `to_page` convert between those bytes and a set.
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
ENTRIES = ("pynet_meta", "images", "labels")
KIND = saving.FileKind(WHAT, DigitSetError, lambda name: True)  # `load` names the entries it needs
# A personal set's share of a whole training run (CLI --extra, the page's "include my digits"): enough to
# count, not so much that MNIST is crowded out.
TRAINING_SHARE = 0.05


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
    archive = saving.open_archive(saving.read_source(source, KIND), KIND)
    members = saving.entries(archive, KIND)
    if set(members) != set(ENTRIES):
        raise DigitSetError(f"not a pynet {WHAT}: it must hold {', '.join(ENTRIES)}, "
                            f"it holds {', '.join(sorted(members))}")
    check_meta(saving.read_npy(archive, members["pynet_meta"], "pynet_meta", meta_header, KIND))
    labels = saving.read_npy(archive, members["labels"], "labels", labels_header, KIND)
    images = saving.read_npy(archive, members["images"], "images", images_header(len(labels)), KIND)
    images, labels = checked(images, labels)
    return Dataset(images.reshape(len(images), SIDE * SIDE).astype(dtype), labels.astype(np.int64))


def meta_header(name, shape, dtype):
    if shape != () or dtype.kind != "U" or dtype.itemsize > 4 * saving.MAX_META_CHARS:
        raise DigitSetError(f"not a pynet {WHAT}: its description (pynet_meta) is not a short text")


def refuse_objects(name, dtype):
    if dtype.hasobject:
        raise DigitSetError(f"{WHAT}: {name} holds pickled objects, which are refused")


def labels_header(name, shape, dtype):
    """Labels are read first: their count bounds what the images' header may declare."""
    refuse_objects(name, dtype)
    if dtype.kind not in "iu" or len(shape) != 1 or not 0 <= shape[0] <= MAX_DIGITS:
        raise DigitSetError(f"{WHAT}: labels must be at most {MAX_DIGITS:,} integers, got {dtype} {shape}")


def images_header(count):
    def check(name, shape, dtype):
        refuse_objects(name, dtype)
        if dtype.kind != "f" or dtype.itemsize > 8 or tuple(shape) not in ((count, SIDE, SIDE), (count, SIDE * SIDE)):
            raise DigitSetError(f"{WHAT}: need {count} images of 28x28 float pixels, one per label, "
                                f"got {dtype} {shape}")
    return check


def check_meta(raw):
    text = str(raw[()])
    try:  # deep nesting is refused unread, as for models: parsing it can overflow Pyodide's stack
        meta = json.loads(text) if saving.nesting(text) <= saving.MAX_JSON_NESTING else None
    except (ValueError, RecursionError):
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


def from_page(pixels, labels, dtype=np.float32):
    """The set the page keeps: `pixels`, N*784 bytes (0-255), and N `labels`; `DigitSetError` if they
    do not make N digits 0-9."""
    pixels = np.frombuffer(bytes(pixels), np.uint8)
    if not isinstance(labels, list) or not all(isinstance(l, int) and not isinstance(l, bool) for l in labels):
        raise DigitSetError(f"{WHAT}: labels must be a list of digits")
    labels = np.array(labels, dtype=np.int64)
    if pixels.size != labels.size * SIDE * SIDE:
        raise DigitSetError(f"{WHAT}: need {labels.size} images of 28x28 pixels, one per label, got {pixels.size} pixels")
    images, labels = checked(pixels.reshape(-1, SIDE * SIDE).astype(np.float32) / 255, labels)
    return Dataset(images.astype(dtype), labels)


def to_page(digits):
    """(N*784 bytes, N labels as a list): `digits` as the page keeps them."""
    pixels = np.round(np.clip(np.asarray(digits.images, np.float64), 0, 1) * 255).astype(np.uint8)
    return pixels.tobytes(), [int(l) for l in digits.labels]


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
