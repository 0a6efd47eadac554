"""Save and load trained models as `.npz` files that CPython and the browser share.

A file holds one JSON document (format, architecture, dtype, preset, hyper-parameters, metrics) as a
0-d string array named `pynet_meta`, and one array per parameter named `param/<layer>.<name>`.

Loading treats the file as hostile: it is opened with `allow_pickle=False`, its size and member count
are bounded before anything is decompressed, the architecture may only name known layers with bounded
sizes, every array must have the shape and a float dtype the architecture implies and hold finite values,
and the model must map 784 pixels to 10 digits. Any failure raises `ModelFileError` and creates nothing.
"""
import io
import json
import zipfile
from dataclasses import dataclass, field

import numpy as np

from .errors import ModelFileError
from .layers import LAYER_TYPES
from .model import Sequential
from .rng import GeneratorRandom

FORMAT, VERSION = "pynet-model", 1
MAX_FILE_BYTES = 256 * 2**20
MAX_UNPACKED_BYTES = 512 * 2**20  # a zip bomb stops here
MAX_MEMBERS = 64
MAX_LAYER_PARAMETERS = 50_000_000
MAX_DIMENSION = 100_000
META = "pynet_meta"


@dataclass
class SavedModel:
    model: Sequential
    preset: str = None
    params: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)


def save(target, model, preset=None, params=None, metrics=None):
    """Write `model` to `target` (a path or a binary file object), with optional metadata."""
    meta = {"format": FORMAT, "version": VERSION, "architecture": model.architecture(),
            "dtype": model.dtype.name, "preset": preset, "params": params or {}, "metrics": metrics or {}}
    arrays = {f"param/{name}": value for name, value in model.parameters()}
    np.savez_compressed(target, **{META: np.array(json.dumps(meta))}, **arrays)


def to_bytes(model, **metadata):
    buffer = io.BytesIO()
    save(buffer, model, **metadata)
    return buffer.getvalue()


def load(source):
    """A `SavedModel` from a path or bytes, or `ModelFileError` saying what is wrong."""
    data = read_source(source)
    arrays = read_arrays(data)
    meta = parse_meta(arrays.pop(META, None))
    model = build_model(meta)
    load_parameters(model, arrays)
    check_maps_digits(model)
    return SavedModel(model, meta["preset"], meta["params"], meta["metrics"])


def read_source(source, what="model file", raises=ModelFileError):
    """The bytes of a path or bytes-like `source`, bounded; `what` names the kind of file in messages,
    raised as `raises` (the personal digit sets use these too)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        try:
            with open(source, "rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as error:
            raise raises(f"cannot read {what} {source}: {error.strerror or error}") from None
    if len(data) > MAX_FILE_BYTES:
        raise raises(f"{what} is larger than {MAX_FILE_BYTES // 2**20} MiB")
    return data


def read_arrays(data, what="model file", raises=ModelFileError):
    """The file's arrays by name, after checking it is a bounded zip of plain (non-object) arrays."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise raises(f"not a pynet {what} (.npz): the file is not a zip archive") from None
    if len(members) > MAX_MEMBERS:
        raise raises(f"{what} has {len(members)} entries, more than it can have")
    if sum(member.file_size for member in members) > MAX_UNPACKED_BYTES:
        raise raises(f"{what} unpacks to more than it can hold")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return {name: npz[name] for name in npz.files}
    except ValueError as error:
        if "pickle" in str(error):
            raise raises(f"{what} contains pickled objects, which are refused") from None
        raise raises(f"{what} is damaged: {error}") from None
    except Exception as error:  # zlib.error, EOFError, BadZipFile...: all mean a damaged archive
        raise raises(f"{what} is damaged ({type(error).__name__})") from None


def parse_meta(raw):
    if raw is None or raw.dtype.kind != "U" or raw.shape != ():
        raise ModelFileError("not a pynet model file: its description (pynet_meta) is missing")
    try:
        meta = json.loads(str(raw))
    except ValueError:
        raise ModelFileError("model file description is not valid JSON") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError("not a pynet model file: wrong format tag")
    if meta.get("version") != VERSION:
        raise ModelFileError(f"model file version {meta.get('version')!r} is not supported (this pynet reads {VERSION})")
    if meta.get("dtype") not in ("float32", "float64"):
        raise ModelFileError(f"model dtype must be float32 or float64, got {meta.get('dtype')!r}")
    if not isinstance(meta.get("architecture"), list) or not meta["architecture"]:
        raise ModelFileError("model file has no architecture")
    preset = meta.get("preset")
    if preset is not None and not (isinstance(preset, str) and len(preset) <= 64):
        raise ModelFileError("model file names an invalid preset")
    for key in ("params", "metrics"):
        meta[key] = meta.get(key) or {}
        if not isinstance(meta[key], dict) or not all(is_plain(v) for v in meta[key].values()):
            raise ModelFileError(f"model file {key} must map names to numbers, strings or booleans")
    return meta


def is_plain(value):
    return value is None or isinstance(value, (bool, int, float, str)) and len(str(value)) <= 200


def build_model(meta):
    for index, spec in enumerate(meta["architecture"]):
        check_layer_spec(index, spec)
    try:
        return Sequential.from_architecture(meta["architecture"], np.dtype(meta["dtype"]), GeneratorRandom())
    except (TypeError, ValueError) as error:
        raise ModelFileError(f"model architecture is invalid: {error}") from None


def check_layer_spec(index, spec):
    """Refuse unknown layers and sizes that would allocate absurd memory, before allocating anything."""
    if not isinstance(spec, dict) or spec.get("type") not in LAYER_TYPES:
        name = spec.get("type") if isinstance(spec, dict) else spec
        raise ModelFileError(f"layer {index}: unknown layer type {name!r}")
    dims = [v for k, v in spec.items() if k != "type" for v in (v if isinstance(v, list) else [v])
            if not isinstance(v, (bool, float))]
    if not all(isinstance(d, int) and 0 < d <= MAX_DIMENSION for d in dims):
        raise ModelFileError(f"layer {index} ({spec['type']}): sizes must be whole numbers from 1 to {MAX_DIMENSION}")
    size = LAYER_TYPES[spec["type"]].parameter_count(spec)
    if size > MAX_LAYER_PARAMETERS:
        raise ModelFileError(f"layer {index} ({spec['type']}) would have {size:,} parameters, too many")


def load_parameters(model, arrays):
    expected = model.state_dict()
    state = {}
    for name, value in arrays.items():
        if not name.startswith("param/") or name[len("param/"):] not in expected:
            raise ModelFileError(f"model file has an unexpected entry {name!r}")
        if value.dtype.kind != "f":
            raise ModelFileError(f"parameter {name[6:]} must hold floats, not {value.dtype}")
        if not np.isfinite(value).all():
            raise ModelFileError(f"parameter {name[6:]} holds NaN or infinite values")
        state[name[len("param/"):]] = value
    try:
        model.load_state_dict(state)
    except ValueError as error:
        raise ModelFileError(f"model file does not match its architecture: {error}") from None


def check_maps_digits(model):
    try:
        output = model.forward(np.zeros((1, 784), model.dtype))
    except (ValueError, IndexError) as error:
        raise ModelFileError(f"model cannot take a 28x28 image: {error}") from None
    if output.shape != (1, 10):
        raise ModelFileError(f"model must output 10 digit scores, it outputs {output.shape[1:]}")
