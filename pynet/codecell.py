"""The code panel's Python: each preset as a short notebook-style cell, and a person's edited cell trained.

A cell is plain Python built on pynet. What it must define (the contract, also in the README):

    model       a `pynet.model.Sequential` (or a list of layers), 784 pixel values in, 10 digit scores out;
                every layer a `pynet.layers.Layer` (a hand-written one subclasses it: `forward(x, training)`
                returns the output, `backward(delta)` fills `self.grads` for `self.params` and returns the
                delta of its input)
    loss        a loss with `forward(output, target)`, `backward()` and `config()` (pynet.losses)
    optimizer   an optimiser with `step(model)` (pynet.optim)
    iterations, batch_size   whole numbers

and may define `train_size`, `test_size` (default 1000 each), `seed` (1: the order and distortions of the
images when `shuffle` / `augment` are on), `shuffle` (False), `augment` (0: the strength of the drawn-digit
distortions) and `drop_last` (False: skip a final partial batch). It may import anything Pyodide has;
pynet, NumPy and the standard library are there.

The form and the cell agree through top-level assignments of plain values (`alpha = 0.01`): those whose
names are hyper-parameters (`pynet.presets.PARAMS`) are read into the form (`mapped_values`) and written
from it (`set_values`), located with `ast` so that the rest of the text is kept as the person wrote it.

An error in a cell is a `CodeError` whose message says "line N of your code" when a line of the cell is to
blame: the page marks that line in its editor.
"""
import ast

import numpy as np

from .augment import DRAWN_DIGITS
from .errors import CODE_FILE, PynetError, code_line, is_interrupt
from .layers import Layer
from .model import Sequential
from .presets import PARAMS, get as get_preset
from .trainer import Trainer

PIXELS, DIGITS = 784, 10
OPTIONAL = {"train_size": 1000, "test_size": 1000, "seed": 1, "shuffle": False, "augment": 0.0,
            "drop_last": False}


class CodeError(PynetError):
    """What is wrong with a cell, for a person; `line` is the cell's line to blame, or None."""

    def __init__(self, message, line=None):
        super().__init__(message if line is None else f"{message} (line {line} of your code)")
        self.line = line


# -- the presets as cells --------------------------------------------------------------------------------

HEADER = '''\
# pynet · {title}
# {network}
# Edit anything and press Train: this cell then trains instead of the preset. The values below that the
# form has follow the form, and the other way round.
'''

SETTINGS = "\n# Training settings\n{assignments}\n"

# The networks, as pynet.presets builds them (tests/test_codecell.py checks they give the same trainer).
# The random stream `rng` replays the notebook's np.random.seed(seed): the weights, then one dropout mask
# per batch, in the order they are drawn here.
SQUARED_ERROR_NET = '''
import numpy as np
from pynet.layers import Dropout, ReLU
from pynet.losses import SquaredError
from pynet.model import Sequential
from pynet.optim import SGD
from pynet.presets import uniform_dense
from pynet.rng import make_random

dtype = np.float32
rng = make_random("notebook", seed)  # np.random.seed(seed)

model = Sequential([
    uniform_dense(784, hidden_size, 0.1, rng, dtype, sparse_input=True),  # weights_0_1
    ReLU(),{dropout}
    uniform_dense(hidden_size, 10, 0.1, rng, dtype),                       # weights_1_2
])
loss = SquaredError()
optimizer = SGD(alpha)
drop_last = quirks  # the notebook skips a final partial batch
'''

LINEAR = '''
import numpy as np
from pynet.layers import Dense
from pynet.losses import SquaredError
from pynet.model import Sequential
from pynet.optim import SGD

dtype = np.float32
batch_size = train_size  # all the images at once

model = Sequential([Dense(784, 10, sparse_input=True, dtype=dtype)])  # zero weights, as in the notebook
loss = SquaredError("sum" if quirks else "mean")  # the notebook sums the gradient over the images
optimizer = SGD(alpha)
'''

TANH_SOFTMAX = '''
import numpy as np
from pynet.layers import Dropout, Softmax, Tanh
from pynet.losses import SoftmaxCrossEntropy
from pynet.model import Sequential
from pynet.optim import SGD
from pynet.presets import uniform_dense
from pynet.rng import make_random

dtype = np.float32
rng = make_random("notebook", seed)  # np.random.seed(seed)

model = Sequential([
    uniform_dense(784, hidden_size, 0.01, rng, dtype, sparse_input=True),
    Tanh(),
    Dropout(0.5, rng, notebook=quirks),
    uniform_dense(hidden_size, 10, 0.1, rng, dtype),
    Softmax(),
])
loss = SoftmaxCrossEntropy(divide_by_batch_twice=quirks)
optimizer = SGD(alpha)
drop_last = quirks
'''

CONV = '''
import numpy as np
from pynet.layers import Conv2D, Dropout, Flatten, Reshape, Softmax, Tanh
from pynet.losses import SoftmaxCrossEntropy
from pynet.model import Sequential
from pynet.optim import SGD
from pynet.presets import uniform_dense
from pynet.rng import make_random

dtype = np.float32
rng = make_random("notebook", seed)  # np.random.seed(seed)

conv = Conv2D((28, 28, 1), kernels, 3, notebook_windows=quirks, dtype=dtype)
conv.params["weight"] = rng.uniform(conv.params["weight"].shape, 0.01, dtype)
hidden = int(np.prod(conv.out_shape))

model = Sequential([
    Reshape((28, 28, 1)),
    conv,
    Flatten(),
    Tanh(),
    Dropout(0.5, rng, notebook=quirks),
    uniform_dense(hidden, 10, 0.1, rng, dtype),
    Softmax(),
])
loss = SoftmaxCrossEntropy(divide_by_batch_twice=quirks)
optimizer = SGD(alpha)
drop_last = quirks
'''

DRAWING = '''
import math

import numpy as np
from pynet.layers import Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU, Reshape, Softmax
from pynet.losses import SoftmaxCrossEntropy
from pynet.model import Sequential
from pynet.optim import Adam
from pynet.presets import he_uniform
from pynet.rng import make_random
from pynet.trainer import batch_count

dtype = np.float32
rng = make_random("notebook", seed)

conv_1 = he_uniform(Conv2D((28, 28, 1), kernels, 3, bias=True, dtype=dtype), rng, dtype)
pool_1 = MaxPool2D(conv_1.out_shape)
conv_2 = he_uniform(Conv2D(pool_1.out_shape, 2 * kernels, 3, bias=True, dtype=dtype), rng, dtype)
pool_2 = MaxPool2D(conv_2.out_shape)
flat = int(np.prod(pool_2.out_shape))
hidden = he_uniform(Dense(flat, hidden_size, bias=True, dtype=dtype), rng, dtype)
output = Dense(hidden_size, 10, bias=True, dtype=dtype)
output.params["weight"] = rng.uniform(output.params["weight"].shape, math.sqrt(3 / hidden_size), dtype)

model = Sequential([
    Reshape((28, 28, 1)), conv_1, pool_1, ReLU(), conv_2, pool_2, ReLU(), Flatten(),
    hidden, ReLU(), Dropout(0.25, rng), output, Softmax(),
])
loss = SoftmaxCrossEntropy()
# Adam's step falls to a tenth of alpha over the whole training
steps = iterations * batch_count(train_size, batch_size)
optimizer = Adam(alpha, decay_steps=steps, decay_to=0.1)
'''

DROPOUT_LINE = "\n    Dropout(0.5, rng, notebook=quirks),"
BODIES = {
    "linear": LINEAR,
    "relu": SQUARED_ERROR_NET.replace("{dropout}", ""),
    "relu-dropout": SQUARED_ERROR_NET.replace("{dropout}", DROPOUT_LINE),
    "relu-minibatch": SQUARED_ERROR_NET.replace("{dropout}", DROPOUT_LINE),
    "wide-sgd": SQUARED_ERROR_NET.replace("{dropout}", DROPOUT_LINE),
    "wide-minibatch": SQUARED_ERROR_NET.replace("{dropout}", DROPOUT_LINE),
    "tanh-softmax": TANH_SOFTMAX,
    "conv": CONV,
    "drawing": DRAWING,
}


def cell(preset_name, params=None):
    """The cell that trains preset `preset_name` with `params` (checked; the defaults fill the rest)."""
    preset = get_preset(preset_name)
    values = preset.resolve(params or {})
    assignments = "\n".join(f"{name} = {literal(value)}" for name, value in values.items())
    return (HEADER.format(title=preset.title, network=preset.network) + SETTINGS.format(assignments=assignments)
            + BODIES[preset.name])


def literal(value):
    """A hyper-parameter as Python source: `0.01`, `300`, `True`."""
    if isinstance(value, (bool, np.bool_)):
        return repr(bool(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return repr(int(value))


# -- the form and the cell -------------------------------------------------------------------------------

def parse(code):
    """The cell's syntax tree, or a `CodeError` naming the line of a syntax error."""
    try:
        return ast.parse(code, CODE_FILE)
    except SyntaxError as error:
        raise CodeError(f"SyntaxError: {error.msg}", error.lineno) from None


def mapped_assignments(tree):
    """{name: (ast value node, value)} of the top-level `name = <plain value>` whose name the form has;
    the last assignment of a name wins, as it would when the cell runs."""
    found = {}
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id in PARAMS):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                found.pop(node.targets[0].id, None)  # computed: it no longer maps to the form
                continue
            if isinstance(value, (bool, int, float)):
                found[node.targets[0].id] = (node.value, value)
    return found


def mapped_values(code):
    """{name: value} of the cell's hyper-parameters that a form can show."""
    return {name: value for name, (_, value) in mapped_assignments(parse(code)).items()}


def set_values(code, values):
    """The cell with the plain values of the names in `values` replaced; everything else kept as written.
    A name the cell does not assign plainly is left alone."""
    lines = code.splitlines(keepends=True)
    found = mapped_assignments(parse(code))
    wanted = {name: coerced(name, value) for name, value in values.items() if name in found}
    changed = [(node, wanted[name]) for name, (node, old) in found.items()
               if wanted.get(name) is not None and literal(wanted[name]) != literal(old)]
    edits = sorted(changed, key=lambda e: (e[0].lineno, e[0].col_offset), reverse=True)
    for node, value in edits:
        # `ast` counts columns in UTF-8 bytes: edit each line as bytes.
        first, last = node.lineno - 1, node.end_lineno - 1
        head = lines[first].encode()[:node.col_offset].decode()
        tail = lines[last].encode()[node.end_col_offset:].decode()
        lines[first:last + 1] = [head + literal(value) + tail]
    return "".join(lines)


def coerced(name, value):
    """`value` as the hyper-parameter's type (JSON has no 2.0: a form's alpha of 2 comes as an int), or None
    when it is not a valid value."""
    try:
        return PARAMS[name].check(name, value)
    except PynetError:
        return None


# -- running a cell --------------------------------------------------------------------------------------

def described(error):
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def run(code):
    """The cell's namespace after running it, or a `CodeError` saying what went wrong and where. The
    page's Stop, landing while the cell runs (an endless loop, say), ends it with a CodeError too."""
    program = compile(parse(code), CODE_FILE, "exec")
    namespace = {"__name__": "__cell__"}
    try:
        exec(program, namespace)
    except (KeyboardInterrupt, Exception) as error:
        if is_interrupt(error):
            raise CodeError("Stopped: your code was still running", code_line(error)) from None
        raise CodeError(described(error), code_line(error)) from None
    return namespace


def settings(namespace):
    """The contract's values, checked: {model, loss, optimizer, iterations, batch_size, ...}."""
    missing = [name for name in ("model", "loss", "optimizer", "iterations", "batch_size") if name not in namespace]
    if missing:
        raise CodeError(f"your code must define {', '.join(missing)} (see the README: the code panel's contract)")
    found = {name: namespace.get(name, default) for name, default in OPTIONAL.items()}
    found.update({name: namespace[name] for name in ("model", "loss", "optimizer", "iterations", "batch_size")})
    for name in ("iterations", "batch_size", "train_size", "test_size", "seed", "augment", "shuffle"):
        try:
            found[name] = PARAMS[name].check(name, found[name])
        except PynetError as error:
            raise CodeError(str(error)) from None
    found["model"] = checked_model(found["model"])
    for name, methods in (("loss", ("forward", "backward", "config")), ("optimizer", ("step",))):
        lacking = [m for m in methods if not callable(getattr(found[name], m, None))]
        if lacking:
            raise CodeError(f"{name} must have {' and '.join(lacking)} (got {type(found[name]).__name__})")
    if found["batch_size"] > found["train_size"]:
        raise CodeError(f"batch_size ({found['batch_size']}) cannot exceed train_size ({found['train_size']})")
    return found


def checked_model(model):
    if isinstance(model, (list, tuple)):
        model = Sequential(model)
    if not isinstance(model, Sequential):
        raise CodeError(f"model must be a pynet Sequential (or a list of layers), got {type(model).__name__}")
    if not model.layers:
        raise CodeError("model has no layers")
    for i, layer in enumerate(model.layers):
        if not isinstance(layer, Layer):
            raise CodeError(f"layer {i} ({type(layer).__name__}) is not a pynet layer: write it as "
                            f"`class {type(layer).__name__}(Layer)` (from pynet.layers import Layer)")
        if not isinstance(getattr(layer, "params", None), dict) or not isinstance(getattr(layer, "grads", None), dict):
            raise CodeError(f"layer {i} ({type(layer).__name__}) has no params or grads: its __init__ must "
                            "call super().__init__()")
    if not model.parameters():
        raise CodeError("model has no parameters to train")
    return model


def trainer_for(values, train, test, eval_every=10):
    """The `Trainer` of checked `settings(...)` on `train`/`test`, built as pynet.presets.make_trainer
    builds a preset's."""
    augment = DRAWN_DIGITS.scaled(values["augment"]) if values["augment"] else None
    try:
        return Trainer(values["model"], values["loss"], values["optimizer"], train, test,
                       batch_size=values["batch_size"], iterations=values["iterations"], eval_every=eval_every,
                       drop_last=bool(values["drop_last"]), shuffle=values["shuffle"], augment=augment,
                       seed=values["seed"])
    except ValueError as error:
        raise CodeError(str(error)) from None


def first_batch(trainer):
    """One forward and backward pass on the first batch's shape, layer by layer, to find a mistake before
    training starts: a layer that cannot take its input says which layer and which shapes. The random
    draws it made are given back, and the first real step is handed the same ones (pynet/rng.py), so a
    checked run trains exactly as an unchecked one would."""
    model, size = trainer.model, trainer.batch_size
    x, goal = trainer.train_x[:size], trainer.train_y[:size]
    for stream in trainer.streams:
        stream.begin()
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            for i, layer in enumerate(model.layers):
                x = forward_through(i, layer, x)
            if x.ndim != 2 or x.shape[1] != DIGITS:
                raise CodeError(f"the model's output has shape {x.shape}: it must be (batch, {DIGITS}), "
                                "one score per digit")
            trainer.loss.forward(x, goal)
            try:
                model.backward(trainer.loss.backward(), from_logits=getattr(trainer.loss, "returns_logit_delta", False))
            except (KeyboardInterrupt, Exception) as error:
                if is_interrupt(error):
                    raise
                raise CodeError(f"{where(model, error)}backward failed: {described(error)}", code_line(error)) from None
    except (KeyboardInterrupt, Exception) as error:
        for stream in trainer.streams:
            stream.give_back()
        if is_interrupt(error):
            raise CodeError("Stopped before training began") from None
        if isinstance(error, CodeError):
            raise
        raise CodeError(f"the first batch failed: {described(error)}", code_line(error)) from None


def forward_through(i, layer, x):
    """Layer `i`'s output for `x`, or a CodeError naming the layer, the input's shape and why."""
    try:
        return layer.forward(x, training=True)
    except (KeyboardInterrupt, Exception) as error:
        if is_interrupt(error):
            raise
        why = described(error)
        if type(layer).output_shape is not Layer.output_shape:  # pynet's own layers can say what they take
            try:
                layer.output_shape(x.shape[1:])
            except ValueError as reason:
                why = str(reason)
        raise CodeError(f"layer {i}, {layer!r}, cannot take an input of shape {x.shape}: {why}",
                        code_line(error)) from None


def where(model, error):
    """"layer i (Name): " for the innermost layer method in `error`'s traceback, or ""."""
    layers = {id(layer): i for i, layer in enumerate(model.layers)}
    tb, found = error.__traceback__, ""
    while tb is not None:
        owner = tb.tb_frame.f_locals.get("self")
        if id(owner) in layers:
            found = f"layer {layers[id(owner)]} ({type(owner).__name__}): "
        tb = tb.tb_next
    return found


def build(code, split):
    """A checked `Trainer` from a cell: `split(train_size, test_size)` gives the datasets."""
    values = settings(run(code))
    train, test = split(values["train_size"], values["test_size"])
    trainer = trainer_for(values, train, test)
    first_batch(trainer)
    trainer.params = {name: value for name, value in mapped_values(code).items()}
    trainer.preset = None
    return trainer


# -- the code panel's questions (pynet.host's `code` command) ----------------------------------------------

def answer(message):
    """`op`: "cell" {preset, params} -> {code}; "values" {code} -> {values} or {values: {}, error, line}
    (a syntax error, for the editor to mark); "set" {code, values} -> {code}; "script" {code} -> {script}."""
    op = message.get("op")
    if op == "cell":
        return {"code": cell(str(message.get("preset")), message.get("params") or {})}
    code = str(message.get("code") or "")
    if op == "values":
        try:
            return {"values": mapped_values(code)}
        except CodeError as error:
            return {"values": {}, "error": str(error), "line": error.line}
    if op == "set":
        return {"code": set_values(code, dict(message.get("values") or {}))}
    if op == "script":
        return {"script": script(code)}
    raise PynetError(f"unknown code question {op!r}")


# -- the cell as a script --------------------------------------------------------------------------------

FOOTER = '''

# -- Training: what the page does with the cell above, in CPython --------------------------------------
if __name__ == "__main__":
    from pynet.codecell import settings, trainer_for
    from pynet.data import load_mnist

    values = settings(globals())
    # The digits the page trains on: pynet's built digits file (`python build.py data`, or $PYNET_DATA).
    train, test = load_mnist(None, values["train_size"], values["test_size"])
    trainer = trainer_for(values, train, test)
    for event in trainer.events():
        if event["type"] == "evaluation":
            print(f"iteration {event['iteration'] + 1}: train accuracy {event['train_accuracy']:.4f}, "
                  f"test accuracy {event['test_accuracy']:.4f}")
        elif event["type"] == "diverged":
            print(event["message"])
'''


def script(code):
    """The cell as a `python` script that trains it and prints the page's figures, number for number."""
    parse(code)
    return code.rstrip("\n") + "\n" + FOOTER

