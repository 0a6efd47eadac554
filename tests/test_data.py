"""pynet.data: IDX and digits-file readers, validation messages, the fixed split and dtypes."""
import gzip
import struct

import numpy as np
import pytest

from pynet import data
from pynet.data import DataError, Dataset
from pynet.errors import PynetError


def idx_bytes(array, code=0x08):
    array = np.asarray(array)
    return bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def fake_images(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8), rng.integers(0, 10, size=n).astype(np.uint8)


def write_idx_dir(tmp_path, n_train=50, n_test=20, gz=False):
    suffix = ".gz" if gz else ""
    for prefix, n, seed in (("train", n_train, 1), ("t10k", n_test, 2)):
        images, labels = fake_images(n, seed)
        for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
            raw = idx_bytes(array)
            (tmp_path / f"{prefix}-{kind}-ubyte{suffix}").write_bytes(gzip.compress(raw) if gz else raw)
    return tmp_path


# ---------------------------------------------------------------- IDX


@pytest.mark.parametrize("gz", [False, True])
def test_idx_round_trip(tmp_path, gz):
    images, labels = fake_images(7)
    raw = idx_bytes(images)
    path = tmp_path / ("x.gz" if gz else "x")
    path.write_bytes(gzip.compress(raw) if gz else raw)
    np.testing.assert_array_equal(data.read_idx(path), images)

    floats = np.arange(6, dtype=">f4").reshape(2, 3)
    (tmp_path / "f").write_bytes(idx_bytes(floats, 0x0D))
    got = data.read_idx(tmp_path / "f")
    assert got.dtype == np.float32 and got.dtype.isnative
    np.testing.assert_array_equal(got, floats)


@pytest.mark.parametrize("gz", [False, True])
def test_load_idx_pair_and_directory(tmp_path, gz):
    write_idx_dir(tmp_path, gz=gz)
    suffix = ".gz" if gz else ""
    ds = data.load_idx_pair(tmp_path / f"train-images-idx3-ubyte{suffix}", tmp_path / f"train-labels-idx1-ubyte{suffix}")
    images, labels = fake_images(50, 1)
    assert ds.images.shape == (50, 784) and ds.images.dtype == np.float32 and ds.labels.dtype == np.int64
    np.testing.assert_allclose(ds.images, images.reshape(50, 784) / 255, rtol=1e-6)
    np.testing.assert_array_equal(ds.labels, labels)

    train, test = data.load_mnist(tmp_path, train_size=30, test_size=20, dtype=np.float64)
    assert (len(train), len(test)) == (30, 20) and train.images.dtype == np.float64
    np.testing.assert_array_equal(train.labels, labels[:30])
    np.testing.assert_array_equal(test.labels, fake_images(20, 2)[1])
    with pytest.raises(DataError, match=r"test_size must be an integer in 1\.\.20"):
        data.load_mnist(tmp_path, train_size=10, test_size=21)


@pytest.mark.parametrize("content, message", [
    (b"", "not an IDX file"),
    (b"garbage garbage garbage", "not an IDX file"),
    (bytes([0, 0, 0x08, 3]) + struct.pack(">2I", 5, 28), "header truncated"),
    (idx_bytes(np.zeros((5, 28, 28), np.uint8))[:-10], r"truncated or corrupt"),
    (idx_bytes(np.zeros((5, 28, 28), np.uint8)) + b"x", r"truncated or corrupt"),
    (gzip.compress(idx_bytes(np.zeros((5, 4), np.uint8)))[:-12], "corrupt or truncated gzip"),
])
def test_bad_idx_files(tmp_path, content, message):
    path = tmp_path / "bad-idx"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message) as info:
        data.read_idx(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)
    assert isinstance(info.value, PynetError) and isinstance(info.value, ValueError)


def test_idx_pair_mismatch_and_missing(tmp_path):
    images, labels = fake_images(5)
    (tmp_path / "i").write_bytes(idx_bytes(images))
    (tmp_path / "l").write_bytes(idx_bytes(labels[:4]))
    with pytest.raises(DataError, match="expected 5 labels"):
        data.load_idx_pair(tmp_path / "i", tmp_path / "l")
    (tmp_path / "l").write_bytes(idx_bytes(np.full(5, 12, np.uint8)))
    with pytest.raises(DataError, match="outside 0..9"):
        data.load_idx_pair(tmp_path / "i", tmp_path / "l")
    with pytest.raises(DataError, match="not found"):
        data.read_idx(tmp_path / "nope")
    (tmp_path / "train-images-idx3-ubyte").write_bytes(idx_bytes(images))
    with pytest.raises(DataError, match="missing train-labels-idx1-ubyte"):
        data.load_mnist(tmp_path)


# ---------------------------------------------------------------- digits file


@pytest.mark.parametrize("compress", [True, False])
def test_digits_round_trip_bytes_and_path(tmp_path, compress):
    images, labels = fake_images(30)
    path = data.write_digits(tmp_path / "d.bin", images, labels, train_count=20, compress=compress)
    blob = path.read_bytes()
    assert (blob[:2] == b"\x1f\x8b") == compress
    for source in (path, str(path), blob, bytearray(blob), memoryview(blob)):
        ds = data.read_digits(source)
        assert ds.train_count == 20 and ds.images.shape == (30, 784) and ds.images.dtype == np.float32
        np.testing.assert_array_equal(ds.labels, labels)
        # pixel k is exactly k/255 (no lossy rounding in the file)
        np.testing.assert_array_equal(np.rint(ds.images * 255).astype(np.uint8), images.reshape(30, 784))
    assert data.encode_digits(images, labels, 20) == data.encode_digits(images, labels, 20)  # reproducible


def test_bad_digits_files(tmp_path):
    images, labels = fake_images(10)
    raw = data.encode_digits(images, labels, train_count=8, compress=False)
    cases = {
        "truncated": (raw[:-1], "truncated or corrupt"),
        "truncated-gz": (gzip.compress(raw)[:-20], "corrupt or truncated gzip"),
        "magic": (b"XXXX" + raw[4:], "bad magic"),
        "short": (raw[:6], "bad magic"),
        "version": (raw[:4] + struct.pack("<H", 9) + raw[6:], "version 9"),
        "label": (raw[:18] + b"\x0c" + raw[19:], "label 12 outside 0..9"),
        "pool": (raw[:14] + struct.pack("<I", 11) + raw[18:], "training pool 11"),
    }
    for name, (blob, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(blob)
        with pytest.raises(DataError, match=message) as info:
            data.read_digits(path)
        assert str(path) in str(info.value), name
    with pytest.raises(DataError, match=r"not found; build it with `python build.py data`"):
        data.read_digits(tmp_path / "missing.bin")


def test_write_digits_rejects_bad_input(tmp_path):
    images, labels = fake_images(4)
    with pytest.raises(ValueError, match="uint8"):
        data.write_digits(tmp_path / "x", images.astype(np.float32), labels)
    with pytest.raises(ValueError, match="0..9"):
        data.write_digits(tmp_path / "x", images, labels + 10)


# ---------------------------------------------------------------- split, load_mnist, dtypes


@pytest.fixture
def digits_file(tmp_path):
    images, labels = fake_images(100, 3)
    return data.write_digits(tmp_path / "digits.bin", images, labels, train_count=80), images, labels


def test_split_is_prefix_of_each_pool(digits_file):
    path, images, labels = digits_file
    whole = data.read_digits(path)
    train, test = data.split(whole, train_size=30, test_size=7)
    assert (len(train), len(test)) == (30, 7)
    np.testing.assert_array_equal(train.labels, labels[:30])
    np.testing.assert_array_equal(test.labels, labels[80:87])
    again = data.split(data.read_digits(path), 30, 7)
    np.testing.assert_array_equal(again[0].images, train.images)  # deterministic
    small, _ = data.split(whole, 10, 1)
    np.testing.assert_array_equal(small.images, train.images[:10])  # smaller runs are subsets

    full_train, full_test = data.split(whole, 80, 20)
    assert (len(full_train), len(full_test)) == (80, 20)
    for bad in ({"train_size": 0}, {"train_size": 81}, {"test_size": 21}, {"test_size": 0}, {"train_size": 2.5}):
        with pytest.raises(DataError, match="must be an integer in 1.."):
            data.split(whole, **bad)
    with pytest.raises(DataError, match="whole digits file"):
        data.split(train)


def test_load_mnist_digits_file_and_dtypes(digits_file, monkeypatch):
    path, images, labels = digits_file
    for dtype in (np.float32, np.float64):
        train, test = data.load_mnist(path, train_size=12, test_size=5, dtype=dtype)
        assert train.images.dtype == dtype and train.one_hot.dtype == dtype and train.labels.dtype == np.int64
        assert train.images.min() >= 0 and train.images.max() <= 1
        np.testing.assert_array_equal(test.labels, labels[80:85])
    via_bytes = data.load_mnist(path.read_bytes(), 12, 5)[0]
    np.testing.assert_array_equal(via_bytes.images, data.load_mnist(path, 12, 5)[0].images)
    with pytest.raises(DataError, match=r"train_size must be an integer in 1\.\.80"):
        data.load_mnist(path, train_size=81)
    with pytest.raises(ValueError, match="float"):
        data.load_mnist(path, 5, 5, dtype=np.int32)

    monkeypatch.setenv("PYNET_DATA", str(path))
    assert data.default_data_path() == path
    assert len(data.load_mnist(train_size=3, test_size=2)[0]) == 3


def test_missing_default_file_names_the_fix(tmp_path, monkeypatch):
    monkeypatch.delenv("PYNET_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(data, "_repo_data_path", lambda: tmp_path / "nowhere" / "mnist-digits.bin")
    with pytest.raises(DataError, match=r"run `python build.py data`") as info:
        data.load_mnist()
    assert str(tmp_path / "cache" / "pynet" / "mnist-digits.bin") in str(info.value)
    monkeypatch.setenv("PYNET_DATA", str(tmp_path / "x.bin"))
    with pytest.raises(DataError, match=r"x\.bin: digits file not found; build it with `python build.py data`"):
        data.load_mnist()


def test_dataset_one_hot_and_astype():
    ds = Dataset(np.zeros((3, 784), np.float32), np.array([0, 9, 4]))
    assert len(ds) == 3
    expected = np.zeros((3, 10), np.float32)
    expected[[0, 1, 2], [0, 9, 4]] = 1
    np.testing.assert_array_equal(ds.one_hot, expected)
    assert ds.one_hot.dtype == np.float32
    d64 = ds.astype(np.float64)
    assert d64.images.dtype == np.float64 and d64.one_hot.dtype == np.float64 and d64.labels is ds.labels
