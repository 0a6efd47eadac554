"""Save/load round trips, and hostile or damaged model files rejected with a clear error."""
import io
import json
import zipfile

import numpy as np
import pytest

from pynet import ModelFileError, saving
from pynet.data import read_digits, split
from pynet.presets import make_trainer
from tests.synthetic import synthetic_digits_bytes


@pytest.fixture(scope="module")
def datasets():
    return split(read_digits(synthetic_digits_bytes()), 400, 200)


@pytest.mark.parametrize("preset,dtype", [("tanh-softmax", np.float32), ("conv", np.float64),
                                          ("relu-dropout", np.float32), ("linear", np.float64)])
def test_round_trip_keeps_architecture_weights_and_metadata(tmp_path, datasets, preset, dtype):
    train, test = datasets
    trainer = make_trainer(preset, train, test, {"iterations": 2, "train_size": 400}, dtype=dtype)
    trainer.run()
    path = tmp_path / "model.npz"
    saving.save(path, trainer.model, preset=preset, params=trainer.params, metrics={"test_accuracy": 0.5})
    loaded = saving.load(path)
    assert loaded.preset == preset and loaded.params == trainer.params
    assert loaded.metrics == {"test_accuracy": 0.5}
    assert loaded.model.architecture() == trainer.model.architecture()
    assert loaded.model.dtype == dtype
    for (name, a), (name_b, b) in zip(trainer.model.parameters(), loaded.model.parameters()):
        assert name == name_b and np.array_equal(a, b)
    np.testing.assert_array_equal(loaded.model.predict(test.images.astype(dtype)),
                                  trainer.model.predict(test.images.astype(dtype)))


def model_bytes(datasets):
    train, test = datasets
    trainer = make_trainer("tanh-softmax", train, test, {"iterations": 1, "train_size": 400})
    return saving.to_bytes(trainer.model, preset="tanh-softmax")


def rewrite(blob, change):
    """The same npz with its members passed through `change(dict) -> dict`."""
    with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
        members = {name: npz[name] for name in npz.files}
    members = change(members)
    out = io.BytesIO()
    np.savez(out, **members)
    return out.getvalue()


def with_meta(blob, edit):
    def change(members):
        meta = json.loads(str(members["pynet_meta"]))
        edit(meta)
        members["pynet_meta"] = np.array(json.dumps(meta))
        return members
    return rewrite(blob, change)


HOSTILE = {
    "not a zip": lambda b: b"hello, I am not a model",
    "truncated": lambda b: b[: len(b) // 2],
    "no description": lambda b: rewrite(b, lambda m: {k: v for k, v in m.items() if k != "pynet_meta"}),
    "pickled object": lambda b: rewrite(b, lambda m: {**m, "param/0.weight": np.array([{"x": 1}], dtype=object)}),
    "wrong shape": lambda b: rewrite(b, lambda m: {**m, "param/0.weight": np.zeros((3, 3), np.float32)}),
    "integer weights": lambda b: rewrite(b, lambda m: {**m, "param/0.weight": np.zeros((784, 100), np.int32)}),
    "NaN weights": lambda b: rewrite(b, lambda m: {**m, "param/0.weight": np.full((784, 100), np.nan, np.float32)}),
    "missing weights": lambda b: rewrite(b, lambda m: {k: v for k, v in m.items() if k != "param/3.weight"}),
    "extra entry": lambda b: rewrite(b, lambda m: {**m, "surprise": np.zeros(3)}),
    "unknown layer": lambda b: with_meta(b, lambda m: m["architecture"].append({"type": "os.system"})),
    "huge layer": lambda b: with_meta(b, lambda m: m["architecture"].__setitem__(0, {"type": "Dense", "n_in": 100000, "n_out": 100000, "bias": False})),
    "bad arguments": lambda b: with_meta(b, lambda m: m["architecture"].__setitem__(2, {"type": "Dropout", "rate": 7.5, "notebook": True})),
    "wrong version": lambda b: with_meta(b, lambda m: m.__setitem__("version", 99)),
    "wrong dtype": lambda b: with_meta(b, lambda m: m.__setitem__("dtype", "complex128")),
    "nested metrics": lambda b: with_meta(b, lambda m: m.__setitem__("metrics", {"a": {"b": [1] * 10}})),
    "not 10 outputs": lambda b: rewrite(with_meta(b, lambda m: m["architecture"][3].__setitem__("n_out", 7)),
                                        lambda m: {**m, "param/3.weight": np.zeros((100, 7), np.float32)}),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_or_damaged_files_are_rejected_clearly(datasets, case):
    blob = HOSTILE[case](model_bytes(datasets))
    with pytest.raises(ModelFileError) as info:
        saving.load(blob)
    message = str(info.value)
    assert message and "\n" not in message and "Traceback" not in message


def test_zip_bomb_is_refused_before_decompressing(datasets):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("pynet_meta.npy", b"\0" * (600 * 2**20))
    with pytest.raises(ModelFileError, match="unpacks to more"):
        saving.load(out.getvalue())


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(ModelFileError, match="cannot read model file .*nothing.npz"):
        saving.load(tmp_path / "nothing.npz")
