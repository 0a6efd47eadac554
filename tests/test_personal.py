"""Personal digit sets: the file round trip, hostile or damaged files refused with a clear error, and
mixing them into a training set."""
import io
import json
import zipfile

import numpy as np
import pytest

from pynet import personal
from pynet.data import Dataset
from pynet.errors import DigitSetError, PynetError


def digits(count=5, seed=0):
    rng = np.random.default_rng(seed)
    images = (rng.random((count, 784)) * (rng.random((count, 784)) > .8)).astype(np.float32)
    return Dataset(images, rng.integers(0, 10, count))


def members(**change):
    """A valid file's members, with `change` applied (None removes a member)."""
    d = digits(3)
    base = {"pynet_meta": np.array(json.dumps({"format": "pynet-digits", "version": 1})),
            "images": d.images.reshape(3, 28, 28), "labels": d.labels.astype(np.uint8)}
    base.update(change)
    return {k: v for k, v in base.items() if v is not None}


def npz(members_):
    out = io.BytesIO()
    np.savez(out, **members_)
    return out.getvalue()


def test_round_trip_is_exact(tmp_path):
    original = digits(7)
    path = tmp_path / "my-digits.npz"
    personal.save(path, original)
    loaded = personal.load(path)
    assert loaded.images.dtype == np.float32 and loaded.images.shape == (7, 784)
    assert np.array_equal(loaded.images, original.images) and np.array_equal(loaded.labels, original.labels)
    assert loaded.labels.dtype == np.int64
    from_bytes = personal.load(personal.to_bytes(original), dtype=np.float64)
    assert from_bytes.images.dtype == np.float64 and np.array_equal(from_bytes.images, original.images)
    with np.load(path, allow_pickle=False) as stored:  # the documented layout
        assert stored["images"].shape == (7, 28, 28) and stored["labels"].dtype == np.uint8


def test_an_empty_set_round_trips():
    empty = Dataset(np.zeros((0, 784), np.float32), np.zeros(0, np.int64))
    assert len(personal.load(personal.to_bytes(empty))) == 0


def test_saving_refuses_what_it_could_not_load():
    with pytest.raises(DigitSetError, match="labels must be digits"):
        personal.to_bytes(Dataset(np.zeros((1, 784), np.float32), np.array([10])))


def zip_bomb():
    """600 MiB of zeros that deflate to a few hundred kilobytes: refused before anything is unpacked."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("images.npy", b"\0" * (600 * 2**20))
    return out.getvalue()


HOSTILE = {
    "zip bomb": zip_bomb,
    "not a zip": lambda: b"these are not digits",
    "truncated": lambda: npz(members())[:200],
    "a model file": lambda: npz({"pynet_meta": np.array(json.dumps({"format": "pynet-model", "version": 1})),
                                 "param/0.weight": np.zeros((784, 10), np.float32)}),
    "no description": lambda: npz(members(pynet_meta=None)),
    "description not JSON": lambda: npz(members(pynet_meta=np.array("{nope"))),
    "description not a string": lambda: npz(members(pynet_meta=np.zeros(3))),
    "future version": lambda: npz(members(pynet_meta=np.array(json.dumps({"format": "pynet-digits", "version": 9})))),
    "extra member": lambda: npz(members(surprise=np.zeros(3))),
    "no labels": lambda: npz(members(labels=None)),
    "pickled images": lambda: npz(members(images=np.array([{"x": 1}], dtype=object))),
    "integer images": lambda: npz(members(images=np.zeros((3, 28, 28), np.uint8))),
    "float labels": lambda: npz(members(labels=np.zeros(3, np.float32))),
    "wrong image size": lambda: npz(members(images=np.zeros((3, 32, 32), np.float32))),
    "labels do not match": lambda: npz(members(labels=np.zeros(5, np.uint8))),
    "labels not 1-D": lambda: npz(members(labels=np.zeros((3, 1), np.uint8))),
    "label 12": lambda: npz(members(labels=np.array([1, 12, 3], np.uint8))),
    "negative label": lambda: npz(members(labels=np.array([1, -2, 3], np.int64))),
    "NaN pixel": lambda: npz(members(images=np.full((3, 28, 28), np.nan, np.float32))),
    "pixel above 1": lambda: npz(members(images=np.full((3, 28, 28), 2.0, np.float32))),
    "too many digits": lambda: npz(members(images=np.zeros((10_001, 784), np.float32),
                                           labels=np.zeros(10_001, np.uint8))),
}


SAYS = {"zip bomb": "unpacks to more", "not a zip": "not a zip archive", "a model file": "must hold pynet_meta",
        "future version": "version 9", "pickled images": "pickled", "label 12": "digits 0-9",
        "NaN pixel": "finite", "too many digits": "at most 10,000"}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_or_damaged_files_are_refused_clearly(case):
    with pytest.raises(DigitSetError) as info:
        personal.load(HOSTILE[case]())
    message = str(info.value)
    assert isinstance(info.value, PynetError) and "digit set" in message and "\n" not in message
    assert SAYS.get(case, "") in message


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(DigitSetError, match="cannot read digit set file .*absent.npz"):
        personal.load(tmp_path / "absent.npz")


def test_mix_spreads_repeated_digits_to_their_share():
    train = Dataset(np.zeros((300, 784), np.float32), np.zeros(300, np.int64))
    mine = Dataset(np.ones((4, 784), np.float32), np.array([1, 2, 3, 4]))
    mixed = personal.mix(train, mine, 0.25)
    extra = mixed.labels > 0
    assert extra.sum() == 4 * 25 and len(mixed) == 400  # 100 of 400
    assert np.array_equal(mixed.images[extra].max(axis=1), np.ones(100))  # images and labels together
    assert np.bincount(mixed.labels[extra]).tolist() == [0, 25, 25, 25, 25]
    gaps = np.diff(np.flatnonzero(extra))
    assert gaps.max() <= 5  # spread through the set, not bunched at the end
    assert personal.mix(train, Dataset(np.zeros((0, 784), np.float32), np.zeros(0, int)), 0.25) is train
    assert len(personal.mix(train, mine, 0.001)) == 304  # each at least once
