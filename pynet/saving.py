"""Save and load trained models as `.npz` files that CPython and the browser share.

A file holds one JSON document (format, architecture, dtype, preset, hyper-parameters, metrics) as a
0-d string array named `pynet_meta`, and one array per parameter named `param/<layer>.<name>`.

Loading treats the file as hostile, and refuses anything wrong with a `ModelFileError` (one line, for a
person) before it could cost memory or reach code written for good input. In order:
- the file's size, and the zip's entries: their count, names, compression and declared sizes;
- the description: its `.npy` header (a 0-d string of bounded length), then its JSON;
- each layer's fields, typed and bounded as the layer class declares them (`Layer.fields`,
  pynet/fields.py), then the model's total parameter count from the declared shapes (`parameter_shapes`),
  so a model is built only once it is known to be small enough;
- the shapes through the model (`output_shape`): 784 pixels in, 10 digit scores out, every intermediate
  result bounded per example;
- each parameter's `.npy` header, read from the zip entry's stream with NumPy's header reader: its dtype
  and shape must be the ones the architecture implies, so a header declaring a huge shape is refused
  before any data is read or allocated (in the browser the WebAssembly heap never shrinks);
- then the data, which must be finite.
"""
import io
import itertools
import json
import math
import re
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field

import numpy as np
from numpy.lib import format as npy

from .errors import ConfigError, ModelFileError
from .fields import check_fields, shown
from .layers import LAYER_TYPES
from .model import Sequential
from .rng import GeneratorRandom

FORMAT, VERSION = "pynet-model", 1
META = "pynet_meta"
PIXELS, DIGITS = 784, 10
MAX_LAYERS = 64
MAX_PARAMETERS = 10_000_000     # the whole model: 40 MB in float32, 80 MB in float64
MAX_EXAMPLE_VALUES = 2**18      # what one image may become inside the model, at any layer
MAX_META_CHARS = 2**16          # a description is a few kB
MAX_HEADER_BYTES = 10_000       # NumPy's own default bound on an .npy header
MAX_MEMBERS = 2 * MAX_LAYERS + 1
MAX_UNPACKED_BYTES = MAX_PARAMETERS * 8 + MAX_META_CHARS * 4 + MAX_MEMBERS * MAX_HEADER_BYTES
MAX_FILE_BYTES = MAX_UNPACKED_BYTES + 2**20  # stored entries and the zip's own records
MAX_JSON_NESTING = 20           # a description nests 3 deep
PRESET_NAME = re.compile(r"[\w.-]{1,64}")
# A JSON string, or an unterminated one up to the end: possessive and with an optional closing quote, so
# that no text, however hostile, makes the match go back over what it has read (linear time).
JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*+"?', re.S)
# What reading a damaged zip entry raises: a bad CRC or local header, a broken deflate stream, an archive
# cut short, an offset outside the file.
DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, ValueError)


@dataclass
class SavedModel:
    model: Sequential
    preset: str = None
    params: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)


def save(target, model, preset=None, params=None, metrics=None):
    """Write `model` to `target` (a path or a binary file object), with optional metadata. A model with a
    layer the loader cannot rebuild (a class written in the code panel) is refused: its file would not load."""
    refuse_foreign_layers(model)
    meta = {"format": FORMAT, "version": VERSION, "architecture": model.architecture(),
            "dtype": model.dtype.name, "preset": preset, "params": params or {}, "metrics": metrics or {}}
    arrays = {f"param/{name}": value for name, value in model.parameters()}
    np.savez_compressed(target, **{META: np.array(json.dumps(meta))}, **arrays)


def refuse_foreign_layers(model):
    """`ConfigError` when a layer is not one of pynet's own: the loader builds only those (LAYER_TYPES), as
    anything else would mean running code that came with a file."""
    foreign = [(i, type(layer).__name__) for i, layer in enumerate(model.layers)
               if LAYER_TYPES.get(type(layer).__name__) is not type(layer)]
    if foreign:
        names = ", ".join(f"{name} (layer {i})" for i, name in foreign)
        raise ConfigError(f"This model cannot be exported: {names} is written in your code, and a model file "
                          "holds only pynet's own layers, so the file would not load anywhere. Download the code "
                          "as .py instead: it trains the same network again.")


def to_bytes(model, **metadata):
    buffer = io.BytesIO()
    save(buffer, model, **metadata)
    return buffer.getvalue()


def load(source):
    """A `SavedModel` from a path or bytes, or `ModelFileError` saying what is wrong."""
    archive = open_archive(read_source(source))
    members = entries(archive)
    meta = parse_meta(read_npy(archive, members.pop(META), META, meta_header))
    model = build_model(meta)
    load_parameters(model, archive, members)
    return SavedModel(model, meta["preset"], meta["params"], meta["metrics"])


# -- the file and its entries --------------------------------------------------------------------------

@dataclass(frozen=True)
class FileKind:
    """What the bounded `.npz` reading below reads: the noun its messages give the file, the error it
    raises, and which entry names belong (pynet.personal reads digit sets the same way)."""

    noun: str
    error: type
    holds: object  # entry name -> bool


MODEL = FileKind("model file", ModelFileError, lambda name: name == META or name.startswith("param/"))


def read_source(source, kind=MODEL):
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        try:
            with open(source, "rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as error:
            raise kind.error(f"cannot read {kind.noun} {source}: {error.strerror or error}") from None
    if len(data) > MAX_FILE_BYTES:
        raise kind.error(f"{kind.noun} is larger than {MAX_FILE_BYTES // 2**20} MiB, more than one can hold")
    return data


def open_archive(data, kind=MODEL):
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise kind.error(f"not a pynet {kind.noun} (.npz): the file is not a zip archive") from None


def entries(archive, kind=MODEL):
    """{array name: ZipInfo}, once the zip's entries are few, uniquely and plainly named, stored or
    deflated, unencrypted, and declare a bounded total size (zipfile never inflates past a declared size)."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise kind.error(f"{kind.noun} has {len(members)} entries, more than one can have")
    if sum(member.file_size for member in members) > MAX_UNPACKED_BYTES:
        raise kind.error(f"{kind.noun} unpacks to more than one can hold")
    named = {}
    for member in members:
        name = member.filename[:-len(".npy")] if member.filename.endswith(".npy") else None
        if name is None or not kind.holds(name):
            raise kind.error(f"{kind.noun} has an unexpected entry {shown(member.filename)}")
        if name in named:
            raise kind.error(f"{kind.noun} has two entries named {shown(name)}")
        if member.flag_bits & 0x1:
            raise kind.error(f"{kind.noun} is encrypted")
        if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise kind.error(f"{kind.noun} entry {shown(name)} uses a compression pynet does not read")
        named[name] = member
    if META not in named:
        raise kind.error(f"not a pynet {kind.noun}: its description (pynet_meta) is missing")
    return named


def read_npy(archive, member, name, check_header, kind=MODEL):
    """The array stored in zip entry `member`, once `check_header(name, shape, dtype)` has accepted what
    its `.npy` header declares: nothing is allocated for an array before its header is checked."""
    try:
        with archive.open(member) as stream:
            shape, fortran_order, dtype = read_header(stream, name, kind)
            check_header(name, shape, dtype)
            size = math.prod(shape) * dtype.itemsize
            data = stream.read(size)
    except kind.error:
        raise
    except DAMAGED as error:
        raise kind.error(f"{kind.noun} is damaged ({type(error).__name__} in {shown(name)})") from None
    if len(data) != size:
        raise kind.error(f"{kind.noun} entry {shown(name)} is cut short")
    return np.frombuffer(data, dtype).reshape(shape, order="F" if fortran_order else "C")


def read_header(stream, name, kind):
    """(shape, fortran_order, dtype) from an `.npy` stream, by NumPy's own header readers."""
    try:
        version = npy.read_magic(stream)
        readers = {(1, 0): npy.read_array_header_1_0, (2, 0): npy.read_array_header_2_0}
        if version not in readers:
            raise kind.error(f"{kind.noun} entry {shown(name)} is in .npy format {version}, which pynet does not read")
        with warnings.catch_warnings():  # NumPy warns of a header it could only read a second way
            warnings.simplefilter("ignore")
            return readers[version](stream, max_header_size=MAX_HEADER_BYTES)
    except kind.error:
        raise
    except Exception:  # NumPy's reader refuses a malformed header with ValueError, a cut one with EOFError...
        raise kind.error(f"{kind.noun} entry {shown(name)} has no valid .npy header") from None


# -- the description -----------------------------------------------------------------------------------

def meta_header(name, shape, dtype):
    if shape != () or dtype.kind != "U" or dtype.itemsize > 4 * MAX_META_CHARS:
        raise ModelFileError("not a pynet model file: its description (pynet_meta) is not a short text")


def parse_meta(raw):
    text = str(raw[()])
    if nesting(text) > MAX_JSON_NESTING:
        # Parsing "[[[[..." recurses once a level: in Pyodide the WebAssembly stack overflows long before
        # Python's recursion limit, and that kills the runtime, so it is refused unread.
        raise ModelFileError(f"model file description is nested more than {MAX_JSON_NESTING} levels deep")
    try:
        meta = json.loads(text)
    except (ValueError, RecursionError):
        raise ModelFileError("model file description is not valid JSON") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError("not a pynet model file: wrong format tag")
    if meta.get("version") != VERSION or isinstance(meta.get("version"), bool):
        raise ModelFileError(f"model file version {shown(meta.get('version'))} is not supported (this pynet reads {VERSION})")
    if meta.get("dtype") not in ("float32", "float64"):
        raise ModelFileError(f"model dtype must be float32 or float64, got {shown(meta.get('dtype'))}")
    architecture = meta.get("architecture")
    if not isinstance(architecture, list) or not 1 <= len(architecture) <= MAX_LAYERS:
        raise ModelFileError(f"model architecture must be a list of 1 to {MAX_LAYERS} layers")
    preset = meta.get("preset")
    if preset is not None and not (isinstance(preset, str) and PRESET_NAME.fullmatch(preset)):
        raise ModelFileError("model file names an invalid preset")
    for key in ("params", "metrics"):
        meta[key] = meta.get(key) or {}
        if not isinstance(meta[key], dict) or not all(is_plain(v) for v in meta[key].values()):
            raise ModelFileError(f"model file {key} must map names to numbers, strings or booleans")
    return meta


def nesting(text):
    """How deep JSON `text`'s arrays and objects nest (brackets inside strings do not count)."""
    brackets = re.findall(r"[\[\]{}]", JSON_STRING.sub('""', text))
    return max(itertools.accumulate(1 if b in "[{" else -1 for b in brackets), default=0)


def is_plain(value):
    return value is None or isinstance(value, (bool, int, float, str)) and len(str(value)) <= 200


# -- the architecture ----------------------------------------------------------------------------------

def build_model(meta):
    """The model the architecture describes, built only once every layer's fields are checked and the
    parameters it declares are few enough; then its shapes are walked from 784 pixels to 10 scores."""
    layers = [check_layer(index, spec) for index, spec in enumerate(meta["architecture"])]
    count = sum(math.prod(shape) for layer_type, config in layers
                for shape in layer_type.parameter_shapes(**config).values())
    if count > MAX_PARAMETERS:
        raise ModelFileError(f"model would have {count:,} parameters, more than the {MAX_PARAMETERS:,} pynet loads")
    architecture = [{"type": layer_type.__name__, **config} for layer_type, config in layers]
    try:
        model = Sequential.from_architecture(architecture, np.dtype(meta["dtype"]), GeneratorRandom())
    except ValueError as error:  # fields valid one by one, not together (a kernel larger than the image)
        raise ModelFileError(f"model architecture is invalid: {error}") from None
    check_shapes(model)
    return model


def check_layer(index, spec):
    """(layer class, checked config) for one saved layer."""
    kind = spec.get("type") if isinstance(spec, dict) else None
    if not isinstance(kind, str) or kind not in LAYER_TYPES:
        raise ModelFileError(f"layer {index}: unknown layer type {shown(kind if isinstance(spec, dict) else spec)}")
    layer_type = LAYER_TYPES[kind]
    try:
        return layer_type, check_fields(layer_type.fields, {k: v for k, v in spec.items() if k != "type"})
    except ConfigError as error:
        raise ModelFileError(f"layer {index} ({kind}): {error}") from None


def check_shapes(model):
    """One image's shape through the model: each layer must take what the one before gives, nothing may
    grow past MAX_EXAMPLE_VALUES, and the end must be 10 digit scores."""
    shape = (PIXELS,)
    for index, layer in enumerate(model.layers):
        name = f"layer {index} ({type(layer).__name__})"
        try:
            scratch = layer.scratch_size(shape)
            shape = tuple(layer.output_shape(shape))
        except ValueError as error:
            raise ModelFileError(f"{name} cannot take a 28x28 image's values there: {error}") from None
        if max(math.prod(shape), scratch) > MAX_EXAMPLE_VALUES:
            raise ModelFileError(f"{name} would hold {max(math.prod(shape), scratch):,} values per image, "
                                 f"more than the {MAX_EXAMPLE_VALUES:,} pynet allows")
    if shape != (DIGITS,):
        raise ModelFileError(f"model must output {DIGITS} digit scores, it outputs shape {shape}")


# -- the parameters ------------------------------------------------------------------------------------

def load_parameters(model, archive, members):
    expected = model.state_dict()
    extra = sorted(set(members) - {f"param/{name}" for name in expected})
    if extra:
        raise ModelFileError(f"model file has an unexpected entry {shown(extra[0])}")
    missing = sorted(name for name in expected if f"param/{name}" not in members)
    if missing:
        raise ModelFileError(f"model file lacks parameter {missing[0]} of its architecture")

    def parameter_header(name, shape, dtype):
        want = expected[name[len("param/"):]]
        if dtype.kind != "f" or dtype.itemsize != want.dtype.itemsize:
            raise ModelFileError(f"parameter {name[6:]} must hold {want.dtype} values, not {dtype}")
        if shape != want.shape:
            raise ModelFileError(f"parameter {name[6:]} declares shape {shown(shape)}, its architecture needs {want.shape}")

    state = {}
    for name in expected:
        value = read_npy(archive, members[f"param/{name}"], f"param/{name}", parameter_header)
        if not np.isfinite(value).all():
            raise ModelFileError(f"parameter {name} holds NaN or infinite values")
        state[name] = value
    model.load_state_dict(state)
