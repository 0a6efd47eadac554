"""Model files, good and bad, built entry by entry: the unit tests and the page's import test share them.

A model file is a zip of `.npy` entries (see pynet/saving.py). These helpers take one apart and put it back
together, so a test can change any single thing: an entry's header (what it declares) apart from its data,
the JSON description, the compression, the bytes themselves.
"""
import io
import json
import zipfile

import numpy as np
from numpy.lib import format as npy

from pynet import Conv2D, Dense, Dropout, Flatten, ReLU, Reshape, Sequential, Softmax, Tanh, saving
from pynet.layers import MaxPool2D
from pynet.rng import GeneratorRandom

META = "pynet_meta.npy"


def small_models():
    """{name: model}: one of each kind pynet saves, small enough to load thousands of times."""
    random = GeneratorRandom(7)

    def weighted(model, dtype=np.float32):
        for layer in model.layers:
            for name, value in layer.params.items():
                layer.params[name] = random.uniform(value.shape, .1, dtype)
        return model

    return {
        "dense": weighted(Sequential([Dense(784, 8, sparse_input=True), Tanh(), Dropout(.5, random),
                                      Dense(8, 10, bias=True), Softmax()])),
        "conv": weighted(Sequential([Reshape((28, 28, 1)), Conv2D((28, 28, 1), 2, 3, notebook_windows=True),
                                     Flatten(), Tanh(), Dense(25 * 25 * 2, 10), Softmax()])),
        "pooled": weighted(Sequential([Reshape((28, 28, 1)), Conv2D((28, 28, 1), 2, 3, bias=True),
                                       MaxPool2D((26, 26, 2), 2), ReLU(), Flatten(), Dense(13 * 13 * 2, 10),
                                       Softmax()])),
        "linear64": weighted(Sequential([Dense(784, 10, dtype=np.float64)]), np.float64),
    }


def model_bytes(model, preset="tanh-softmax"):
    return saving.to_bytes(model, preset=preset, params={"iterations": 3}, metrics={"test_accuracy": 0.5})


def npy_bytes(array):
    out = io.BytesIO()
    npy.write_array(out, np.asanyarray(array), allow_pickle=True)
    return out.getvalue()


def npy_declaring(shape, descr="<f4", payload=b"", fortran_order=False):
    """An `.npy` entry whose header says `shape` and `descr`, followed by `payload` whatever they say."""
    out = io.BytesIO()
    npy.write_array_header_1_0(out, {"descr": descr, "fortran_order": fortran_order, "shape": tuple(shape)})
    return out.getvalue() + payload


def npy_header_text(text):
    """An `.npy` entry whose header is `text` as is, however malformed (version 1.0 framing)."""
    header = text.encode("latin1") + b"\n"
    header += b" " * (-(10 + len(header)) % 64)
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header


def entries(blob):
    """{entry name: raw bytes} of a model file, in order."""
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def pack(members, compression=zipfile.ZIP_DEFLATED):
    """A zip of {entry name: bytes}; a list of pairs may repeat a name."""
    out = io.BytesIO()
    pairs = members.items() if isinstance(members, dict) else members
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in pairs:
            archive.writestr(name, data)
    return out.getvalue()


def description(blob):
    return json.loads(str(np.load(io.BytesIO(entries(blob)[META]))[()]))


def with_description(blob, meta):
    """The same file with its JSON description replaced by `meta` (any JSON value, or raw text)."""
    text = meta if isinstance(meta, str) else json.dumps(meta)
    return pack({**entries(blob), META: npy_bytes(np.array(text))})


def hostile_files():
    """{file name: bytes}: a few files of each way to be broken, as the command line and the page meet them."""
    models = {name: model_bytes(model) for name, model in small_models().items()}
    conv = description(models["conv"])
    conv["architecture"][1]["in_shape"] = 5  # a number where a list belongs
    huge = entries(models["dense"])
    huge["param/0.weight.npy"] = npy_declaring((2**31, 2**20), "<f4")  # 8 PiB declared, none there
    deep = entries(models["dense"])  # a header the parser must recurse into: [[[[...]]]]
    deep["param/0.weight.npy"] = npy_header_text("{'descr': '<f4', 'fortran_order': False, 'shape': "
                                                 + "[" * 190 + "]" * 190 + "}")
    return {"number-for-list.npz": with_description(models["conv"], conv),
            "huge-header.npz": pack(huge),
            "deep-header.npz": pack(deep),
            "nested.npz": with_description(models["dense"], "[" * 30_000),
            "cut.npz": models["dense"][:len(models["dense"]) // 2],
            "not-json.npz": with_description(models["dense"], "{'format': 1}")}
