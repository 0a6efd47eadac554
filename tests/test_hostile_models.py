"""Hostile and broken model files, generated: whatever is wrong with a file, loading it raises pynet's own
`ModelFileError` with one readable line, and the command line prints that line and no traceback.

Hypothesis mutates valid files of every kind pynet saves: any field of the JSON description or of a layer
set to a JSON value of any type, layers added, dropped or replaced, entries whose `.npy` header declares
another dtype or shape (huge ones included) than its data, entries cut short, added, dropped, repeated or
compressed another way, and the file's bytes cut or flipped anywhere. A mutation that happens to leave a
valid model must load as one that classifies a batch.
"""
import io
import json
import os
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pynet import (Conv2D, Dense, Dropout, Flatten, ModelFileError, ReLU, Reshape, Softmax, Tanh,
                   saving)
from pynet.fields import check_fields
from pynet.layers import LAYER_TYPES, MaxPool2D
from pynet.rng import GeneratorRandom
from tests.model_files import (META, description, entries, hostile_files, model_bytes, npy_bytes,
                               npy_declaring, pack, small_models, with_description)

ROOT = Path(__file__).resolve().parent.parent
MODELS = {name: model_bytes(model) for name, model in small_models().items()}
FIELD_NAMES = sorted({name for layer_type in LAYER_TYPES.values() for name in layer_type.fields} | {"type"})
META_KEYS = ["format", "version", "dtype", "architecture", "preset", "params", "metrics"]
SETTINGS = settings(max_examples=int(os.environ.get("PYNET_EXAMPLES", 150)), deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(min_value=-2**70, max_value=2**70)
    | st.floats() | st.text(max_size=12) | st.sampled_from(list(LAYER_TYPES) + [[28, 28, 1], [784], 0.5]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8)
entry_names = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20)  # as zip keeps them


def assert_refused_clearly(blob):
    """The file is refused with a one-line ModelFileError, or it is a valid model that classifies."""
    try:
        loaded = saving.load(blob)
    except ModelFileError as error:
        message = str(error)
        assert message and "\n" not in message and len(message) <= 300, message
        return message
    images = np.random.default_rng(0).random((3, 784)).astype(loaded.model.dtype)
    assert loaded.model.predict(images).shape == (3, 10)
    return None


def refused(blob):
    message = assert_refused_clearly(blob)
    assert message is not None, "a broken model file was loaded"
    return message


def test_the_valid_files_load():
    for blob in MODELS.values():
        assert assert_refused_clearly(blob) is None


# ---------------------------------------------------------------- what each layer declares

# One of each layer pynet can load, with an input shape it takes (a new layer type belongs here too).
SAMPLES = [(Dense(784, 8, bias=True, sparse_input=True), (784,)), (ReLU(), (5,)), (Tanh(), (2, 3)),
           (Softmax(), (10,)), (Dropout(.25, GeneratorRandom(1)), (6,)), (Reshape((28, 28, 1)), (784,)),
           (Conv2D((9, 8, 2), 3, 2, notebook_windows=True), (9, 8, 2)), (Flatten(), (4, 4, 3)),
           (Conv2D((7, 6, 3), 4, 3, bias=True), (7, 6, 3)), (MaxPool2D((9, 8, 2), 2), (9, 8, 2))]


def test_every_loadable_layer_has_a_sample():
    assert sorted({type(layer).__name__ for layer, _ in SAMPLES}) == sorted(LAYER_TYPES)


@pytest.mark.parametrize("layer, input_shape", SAMPLES, ids=[type(layer).__name__ for layer, _ in SAMPLES])
def test_every_layer_declares_what_loading_checks(layer, input_shape):
    """Its fields are exactly what it saves and accept it; its declared parameter and output shapes are
    the ones it has and gives."""
    config = layer.config()
    assert set(config) == set(layer.fields)
    assert check_fields(layer.fields, config) == config
    shapes = type(layer).parameter_shapes(**config)
    assert shapes == {name: value.shape for name, value in layer.params.items()}
    batch = np.random.default_rng(0).random((2, *input_shape)).astype(np.float32)
    assert layer.forward(batch, training=True).shape == (2, *layer.output_shape(input_shape))


# ---------------------------------------------------------------- the JSON description

@SETTINGS
@given(st.sampled_from(sorted(MODELS)), st.data())
def test_any_layer_field_of_any_type(kind, data):
    meta = description(MODELS[kind])
    layer = data.draw(st.integers(0, len(meta["architecture"]) - 1))
    spec = meta["architecture"][layer]
    name = data.draw(st.sampled_from(sorted(set(spec) | set(FIELD_NAMES))) | st.text(max_size=8))
    if data.draw(st.booleans()):
        spec[name] = data.draw(json_values)
    else:
        spec.pop(name, None)
    assert_refused_clearly(with_description(MODELS[kind], meta))


@SETTINGS
@given(st.sampled_from(sorted(MODELS)), st.data())
def test_layers_added_dropped_or_replaced(kind, data):
    meta = description(MODELS[kind])
    layers = meta["architecture"]
    where = data.draw(st.integers(0, len(layers)))
    action = data.draw(st.sampled_from(["insert", "drop", "replace", "whole"]))
    if action == "insert":
        layers.insert(where, data.draw(json_values | st.builds(dict, type=st.sampled_from(list(LAYER_TYPES)))))
    elif action == "drop" and where < len(layers):
        layers.pop(where)
    elif action == "replace" and where < len(layers):
        layers[where] = data.draw(json_values)
    else:
        meta["architecture"] = data.draw(json_values)
    assert_refused_clearly(with_description(MODELS[kind], meta))


@SETTINGS
@given(st.sampled_from(sorted(MODELS)), st.sampled_from(META_KEYS) | st.text(max_size=8), json_values)
def test_any_description_field_of_any_type(kind, key, value):
    meta = description(MODELS[kind])
    meta[key] = value
    assert_refused_clearly(with_description(MODELS[kind], meta))


@SETTINGS
@given(json_values)
def test_a_description_that_is_not_an_object(value):
    refused(with_description(MODELS["dense"], value))


def test_a_deeply_nested_description_is_refused_unread():
    # Parsing recurses once per level: in Pyodide a few thousand levels overflow the WebAssembly stack and
    # kill the runtime (found by tests/e2e/test_hostile_import.py), so depth is measured before parsing.
    for text in ("[" * 30_000 + "]" * 30_000, '{"a": ' * 21 + "1" + "}" * 21):
        assert refused(with_description(MODELS["dense"], text)) == \
            "model file description is nested more than 20 levels deep"
    deep_but_fine = json.dumps({"format": "x", "params": {"a": [[[[[[1]]]]]]}})
    assert "wrong format tag" in refused(with_description(MODELS["dense"], deep_but_fine))


@pytest.mark.parametrize("text", ['"' + '\\"' * 30_000, '\\"' * 30_000, '"' + "[" * 60_000 + '"',
                                  '["' + "{" * 60_000 + '"]'])
def test_brackets_inside_strings_do_not_count_and_cost_no_backtracking(text):
    # Quotes and escapes arranged so that a backtracking string pattern would take hours on them.
    message = refused(with_description(MODELS["dense"], text))
    assert "not valid JSON" in message or "wrong format tag" in message


def test_a_number_where_a_list_belongs():
    """The bug this suite was written for: it raised TypeError, and the command line printed a traceback."""
    meta = description(MODELS["conv"])
    meta["architecture"][1]["in_shape"] = 5
    message = refused(with_description(MODELS["conv"], meta))
    assert message == "layer 1 (Conv2D): in_shape must be a list of 3 whole numbers from 1 to 100,000, got 5"


# ---------------------------------------------------------------- the entries and their headers

DTYPES = ["<i4", "<i8", "|u1", "|b1", "<f2", ">f4", ">f8", "<c8", "<U3", "|S3", "|O", "<M8[s]",
          [("a", "<f4")], "<f4", "<f8"]


@SETTINGS
@given(st.sampled_from(sorted(MODELS)), st.data())
def test_entries_declaring_any_dtype_or_shape(kind, data):
    members = entries(MODELS[kind])
    name = data.draw(st.sampled_from(sorted(members)))
    shape = data.draw(st.lists(st.integers(0, 2**40) | st.integers(0, 1000), max_size=4).map(tuple))
    descr = data.draw(st.sampled_from(DTYPES))
    payload = members[name][data.draw(st.integers(0, len(members[name]))):]
    members[name] = npy_declaring(shape, descr, payload)
    assert_refused_clearly(pack(members))


@SETTINGS
@given(st.sampled_from(sorted(MODELS)), st.data())
def test_parameters_of_another_dtype(kind, data):
    members = entries(MODELS[kind])
    name = data.draw(st.sampled_from(sorted(set(members) - {META})))
    original = np.load(io.BytesIO(members[name]), allow_pickle=False)
    dtype = data.draw(st.sampled_from(["int32", "uint8", "bool", "float16", "complex64", "float64", "float32",
                                       ">f4", "U5", "S5", "object"]))
    members[name] = npy_bytes(original.astype(dtype))
    assert_refused_clearly(pack(members))


@pytest.mark.parametrize("stored", [lambda text: np.array(text.encode()), lambda text: np.array([text]),
                                    lambda text: np.array(3.0), lambda text: np.array(text, dtype=object)],
                         ids=["bytes", "a list", "a number", "pickled"])
def test_a_description_stored_as_anything_but_text(stored):
    members = entries(MODELS["dense"])
    members[META] = npy_bytes(stored(json.dumps(description(MODELS["dense"]))))
    assert "description (pynet_meta) is not a short text" in refused(pack(members))


@SETTINGS
@given(st.sampled_from(sorted(MODELS)), st.data())
def test_entries_cut_dropped_added_or_repeated(kind, data):
    members = list(entries(MODELS[kind]).items())
    index = data.draw(st.integers(0, len(members) - 1))
    name, raw = members[index]
    action = data.draw(st.sampled_from(["cut", "drop", "add", "repeat", "rename"]))
    if action == "cut":
        members[index] = (name, raw[:data.draw(st.integers(0, len(raw) - 1))])
    elif action == "drop":
        members.pop(index)
    elif action == "add":
        members.append((data.draw(entry_names),
                        data.draw(st.binary(max_size=200) | st.just(npy_bytes(np.zeros(3))))))
    elif action == "repeat":
        members.append((name, raw))
    else:
        members[index] = (data.draw(entry_names), raw)
    with pytest.warns(UserWarning) if action == "repeat" else _nothing():
        blob = pack(members)
    assert_refused_clearly(blob)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2,
                                         zipfile.ZIP_LZMA])
def test_compression_is_stored_or_deflated(compression):
    # Pyodide ships without the bz2 and lzma modules: a file needing them is refused alike everywhere.
    blob = pack(entries(MODELS["dense"]), compression)
    if compression in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        assert assert_refused_clearly(blob) is None
    else:
        assert "compression" in refused(blob)


# ---------------------------------------------------------------- the bytes

@SETTINGS
@given(st.sampled_from(sorted(MODELS)), st.data())
def test_files_cut_anywhere(kind, data):
    blob = MODELS[kind]
    refused(blob[:data.draw(st.integers(0, len(blob) - 1))])


@SETTINGS
@given(st.sampled_from(sorted(MODELS)), st.booleans(), st.data())
def test_bytes_flipped_anywhere(kind, stored, data):
    blob = bytearray(pack(entries(MODELS[kind]), zipfile.ZIP_STORED) if stored else MODELS[kind])
    for _ in range(data.draw(st.integers(1, 3))):
        blob[data.draw(st.integers(0, len(blob) - 1))] ^= data.draw(st.integers(1, 255))
    assert_refused_clearly(bytes(blob))


# ---------------------------------------------------------------- bounds, before any allocation

def peak_bytes_while_loading(blob):
    """The most memory Python and NumPy held at once while `saving.load(blob)` was refusing it."""
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError) as info:
            saving.load(blob)
        return tracemalloc.get_traced_memory()[1], str(info.value)
    finally:
        tracemalloc.stop()


def test_a_huge_declared_shape_is_refused_from_its_header():
    members = entries(MODELS["dense"])
    members["param/0.weight.npy"] = npy_declaring((2**31, 2**20), "<f4", b"\0" * 64)
    peak, message = peak_bytes_while_loading(pack(members))
    assert message == ("parameter 0.weight declares shape (2147483648, 1048576), "
                       "its architecture needs (784, 8)")
    assert peak < 4 * 2**20, f"{peak:,} bytes held to refuse a header"


def test_a_huge_declared_description_is_refused_from_its_header():
    members = entries(MODELS["dense"])
    members[META] = npy_declaring((), "<U268435456", b"{}")  # a GiB of text
    peak, message = peak_bytes_while_loading(pack(members))
    assert "description (pynet_meta) is not a short text" in message and peak < 4 * 2**20


def test_the_whole_model_is_bounded_not_only_each_layer():
    # Twelve layers of a million parameters each: every layer is fine, the model is not.
    layers = [{"type": "Dense", "n_in": 784, "n_out": 1000}]
    layers += [{"type": "Dense", "n_in": 1000, "n_out": 1000} for _ in range(11)]
    layers += [{"type": "Dense", "n_in": 1000, "n_out": 10}]
    meta = {**description(MODELS["dense"]), "architecture": layers}
    peak, message = peak_bytes_while_loading(with_description(MODELS["dense"], meta))
    assert message == "model would have 11,794,000 parameters, more than the 10,000,000 pynet loads"
    assert peak < 4 * 2**20  # refused before the 47 MB of zeros a built model would take


def test_what_one_image_becomes_is_bounded():
    # 1,000 3x3 kernels over a 28x28 image: 676,000 values per image, 173 million for a 256-image chunk.
    meta = description(MODELS["conv"])
    meta["architecture"][1]["kernels"] = 1000
    message = refused(with_description(MODELS["conv"], meta))
    assert message == "layer 1 (Conv2D) would hold 625,000 values per image, more than the 262,144 pynet allows"


@pytest.mark.parametrize("edit, expected", [
    (lambda a: a[4].update(n_in=99), "layer 4 (Dense) cannot take a 28x28 image's values there: Dense(99, 10) "
                                     "takes 99 values, not shape (1250,)"),
    (lambda a: a[0].update(shape=[28, 27, 1]), "layer 0 (Reshape) cannot take a 28x28 image's values there: "
                                              "cannot view 784 values as shape (28, 27, 1)"),
    (lambda a: a[1].update(kernel_size=40), "model architecture is invalid: a 40x40 kernel leaves no window in a 28x28 image"),
    (lambda a: a[4].update(n_out=7), "model must output 10 digit scores, it outputs shape (7,)"),
])
def test_shapes_are_walked_from_pixels_to_digits(edit, expected):
    meta = description(MODELS["conv"])
    edit(meta["architecture"])
    assert refused(with_description(MODELS["conv"], meta)) == expected


# ---------------------------------------------------------------- the command line

@pytest.mark.parametrize("name", sorted(hostile_files()))
def test_the_command_line_prints_one_error_line(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(hostile_files()[name])  # the page's import meets the same: tests/e2e/test_hostile_import.py
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "pynet", "evaluate", str(path)], capture_output=True,
                            text=True, env=env, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("pynet: error: ") and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
