"""The reference notebook's eight experiments, each with its own hyper-parameters, initialisation and
update rule (`PRESETS`), and networks beyond the notebook (`BEYOND_NOTEBOOK`: `drawing`, built to read
digits drawn on the page's pad).

`quirks=True` (the default) reproduces the notebook's figures exactly, including where its maths departs
from the textbook; `quirks=False` uses the correct maths throughout. The differences:

| preset | notebook quirk (quirks=True) | correct maths (quirks=False) |
| --- | --- | --- |
| linear | gradient summed over the 1,000 images, so alpha .01 diverges | gradient averaged over the images |
| *dropout presets | mask applied in place before the activation's derivative; backward by mask, not mask*2 | inverted dropout's exact gradient |
| tanh-softmax, conv | softmax delta divided by the batch size twice | divided once |
| conv | 25x25 windows (`range(28 - 3)`), last partial batch skipped | 26x26 windows, every image used |
"""
import math
from dataclasses import dataclass, field

import numpy as np

from .errors import ConfigError
from .layers import Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU, Reshape, Softmax, Tanh
from .losses import SoftmaxCrossEntropy, SquaredError
from .model import Sequential
from .optim import SGD, Adam
from .rng import make_random
from .trainer import Trainer, batch_count

PIXELS, DIGITS = 784, 10


@dataclass(frozen=True)
class Param:
    """A hyper-parameter's type, bounds and explanation: used to validate and to build forms."""

    label: str
    kind: str  # "int" | "float" | "bool"
    min: float = None
    max: float = None
    help: str = ""

    def check(self, name, value):
        """The value, coerced to the right type, or a `ConfigError` naming the field."""
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            raise ConfigError(f"{name} must be true or false, got {value!r}")
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ConfigError(f"{name} must be a number, got {value!r}")
        if not np.isfinite(value):
            raise ConfigError(f"{name} must be a finite number, got {value}")
        if self.kind == "int":
            if float(value) != int(value):
                raise ConfigError(f"{name} must be a whole number, got {value}")
            value = int(value)
        else:
            value = float(value)
        if self.min is not None and value < self.min or self.max is not None and value > self.max:
            raise ConfigError(f"{name} must be between {self.min:g} and {self.max:g}, got {value:g}")
        return value


PARAMS = {
    "iterations": Param("Iterations", "int", 1, 10000, "Passes over the training images."),
    "alpha": Param("Learning rate (alpha)", "float", 1e-9, 100, "Step size of gradient descent."),
    "batch_size": Param("Batch size", "int", 1, 8000, "Images per weight update."),
    "hidden_size": Param("Hidden units", "int", 1, 2000, "Width of the hidden layer."),
    "kernels": Param("Kernels", "int", 1, 64, "Number of 3x3 convolution kernels."),
    "train_size": Param("Training images", "int", 1, 8000, "How many MNIST digits to train on."),
    "test_size": Param("Test images", "int", 1, 2000, "How many held-out digits to evaluate on."),
    "seed": Param("Seed", "int", 0, 2**32 - 1, "Seed of the random stream (the notebook uses 1)."),
    "quirks": Param("Notebook quirks", "bool", help="Reproduce the notebook's maths exactly, quirks "
                    "included (see the preset's notes); untick for the textbook maths."),
    "augment": Param("Augmentation", "float", 0, 2, "Random distortions of the training images (shift, "
                     "rotation, slant, size, wobble): 0 = none, 1 = tuned for drawn digits."),
    "shuffle": Param("Shuffle", "bool", help="A new random order of the training images every iteration "
                     "(the notebook keeps one order)."),
}


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    cell: str
    network: str
    description: str
    defaults: dict
    build: object = field(repr=False)  # (params, random, dtype) -> (model, loss, drop_last)
    # (params, steps: how many batches the training will take) -> the optimizer
    optimizer: object = field(repr=False, default=lambda params, steps: SGD(params["alpha"]))

    def resolve(self, overrides=None):
        """Defaults updated by `overrides`, every value checked. Unknown names are refused."""
        overrides = dict(overrides or {})
        unknown = sorted(set(overrides) - set(self.defaults))
        if unknown:
            raise ConfigError(f"{self.name} has no hyper-parameter {', '.join(unknown)} "
                              f"(it has {', '.join(self.defaults)})")
        params = {name: PARAMS[name].check(name, overrides.get(name, default))
                  for name, default in self.defaults.items()}
        if params.get("batch_size", 0) > params["train_size"]:
            raise ConfigError(f"batch_size ({params['batch_size']}) cannot exceed train_size ({params['train_size']})")
        return params

    def describe(self):
        """JSON-ready description for forms: values with their bounds and help."""
        params = {}
        for name, value in self.defaults.items():
            spec = PARAMS[name]
            params[name] = {"value": value, "kind": spec.kind, "label": spec.label, "help": spec.help,
                            "min": spec.min, "max": spec.max}
        return {"name": self.name, "title": self.title, "cell": self.cell, "network": self.network,
                "description": self.description, "default": self.name == DEFAULT_PRESET, "params": params}


def uniform_dense(n_in, n_out, scale, random, dtype, sparse_input=False):
    """A bias-free dense layer initialised as the notebook does: `2*scale * np.random.random(...) - scale`."""
    layer = Dense(n_in, n_out, sparse_input=sparse_input, dtype=dtype)
    layer.params["weight"] = random.uniform((n_in, n_out), scale, dtype)
    return layer


def squared_error_net(dropout):
    """784 -> hidden ReLU [-> dropout] -> 10, squared error: the notebook's ReLU cells."""
    def build(p, random, dtype):
        layers = [uniform_dense(PIXELS, p["hidden_size"], .1, random, dtype, sparse_input=True), ReLU()]
        if dropout:
            layers.append(Dropout(.5, random, notebook=p["quirks"]))
        layers.append(uniform_dense(p["hidden_size"], DIGITS, .1, random, dtype))
        return Sequential(layers), SquaredError(), p["quirks"]
    return build


def build_linear(p, random, dtype):
    model = Sequential([Dense(PIXELS, DIGITS, sparse_input=True, dtype=dtype)])  # zero init, as in the notebook
    return model, SquaredError("sum" if p["quirks"] else "mean"), False


def build_tanh_softmax(p, random, dtype):
    model = Sequential([
        uniform_dense(PIXELS, p["hidden_size"], .01, random, dtype, sparse_input=True), Tanh(),
        Dropout(.5, random, notebook=p["quirks"]),
        uniform_dense(p["hidden_size"], DIGITS, .1, random, dtype), Softmax()])
    return model, SoftmaxCrossEntropy(divide_by_batch_twice=p["quirks"]), p["quirks"]


def build_conv(p, random, dtype):
    conv = Conv2D((28, 28, 1), p["kernels"], 3, notebook_windows=p["quirks"], dtype=dtype)
    conv.params["weight"] = random.uniform(conv.params["weight"].shape, .01, dtype)
    hidden = int(np.prod(conv.out_shape))  # 25*25*16 = 10,000 in the notebook
    model = Sequential([
        Reshape((28, 28, 1)), conv, Flatten(), Tanh(), Dropout(.5, random, notebook=p["quirks"]),
        uniform_dense(hidden, DIGITS, .1, random, dtype), Softmax()])
    return model, SoftmaxCrossEntropy(divide_by_batch_twice=p["quirks"]), p["quirks"]


def he_uniform(layer, random, dtype):
    """`layer`'s weights drawn uniform with He et al.'s variance, 2 / fan-in ("Delving deep into
    rectifiers", 2015): a ReLU network's signal then keeps its size through the layers. Biases stay 0."""
    weight = layer.params["weight"]
    layer.params["weight"] = random.uniform(weight.shape, math.sqrt(6 / weight.shape[0]), dtype)
    return layer


DRAWING_DROPOUT = 0.25  # of the hidden layer: less than the notebook's .5, the distortions regularise too


def build_drawing(p, random, dtype):
    """Two convolutions with max-pooling, a hidden ReLU layer with dropout, a softmax output, every layer
    with biases: 28x28 -> 3x3 conv (k) -> 2x2 max -> ReLU -> 3x3 conv (2k) -> 2x2 max -> ReLU -> hidden
    -> 10. Pooling comes before the ReLU: the same result, on a quarter of the values."""
    k = p["kernels"]
    conv_1 = he_uniform(Conv2D((28, 28, 1), k, 3, bias=True, dtype=dtype), random, dtype)
    pool_1 = MaxPool2D(conv_1.out_shape)
    conv_2 = he_uniform(Conv2D(pool_1.out_shape, 2 * k, 3, bias=True, dtype=dtype), random, dtype)
    pool_2 = MaxPool2D(conv_2.out_shape)
    flat = int(np.prod(pool_2.out_shape))
    hidden = he_uniform(Dense(flat, p["hidden_size"], bias=True, dtype=dtype), random, dtype)
    output = Dense(p["hidden_size"], DIGITS, bias=True, dtype=dtype)
    output.params["weight"] = random.uniform(output.params["weight"].shape, math.sqrt(3 / p["hidden_size"]), dtype)
    model = Sequential([Reshape((28, 28, 1)), conv_1, pool_1, ReLU(), conv_2, pool_2, ReLU(), Flatten(),
                        hidden, ReLU(), Dropout(DRAWING_DROPOUT, random), output, Softmax()])
    return model, SoftmaxCrossEntropy(), False


def defaults(iterations, alpha, batch_size=None, hidden_size=None, kernels=None):
    values = {"iterations": iterations, "alpha": alpha, "batch_size": batch_size,
              "hidden_size": hidden_size, "kernels": kernels}
    values = {k: v for k, v in values.items() if v is not None}
    return {**values, "train_size": 1000, "test_size": 1000, "seed": 1, "quirks": True, "augment": 0.0,
            "shuffle": False}


# The notebook's experiments, each replayed by tests/test_parity.py.
PRESETS = {p.name: p for p in [
    Preset("linear", "Two-layer linear network", "Simplest implementation - Two layer neural network",
           "784 → 10 linear, zero init, squared error",
           "One weight matrix trained on all images at once. The notebook sums the gradient over the "
           "images, so at alpha .01 on 1,000 images it diverges; untick the quirks or lower alpha.",
           defaults(100, .01), build_linear),
    Preset("relu", "Three layers, ReLU", "Three layer neural network - Nonlinearity and backpropagation",
           "784 → 30 ReLU → 10, squared error",
           "A hidden ReLU layer trained by backpropagation, one image at a time.",
           defaults(350, .01, 1, 30), squared_error_net(dropout=False)),
    Preset("relu-dropout", "ReLU with dropout", "Add dropout",
           "784 → 100 ReLU → dropout → 10, squared error",
           "Half the hidden units are silenced at random for each image: noise that fights overfitting.",
           defaults(300, .005, 1, 100), squared_error_net(dropout=True)),
    Preset("relu-minibatch", "ReLU, mini-batches", "Add Batch gradient descent",
           "784 → 100 ReLU → dropout → 10, squared error",
           "The dropout network updated once per batch of 100 images, with a larger step.",
           defaults(300, .1, 100, 100), squared_error_net(dropout=True)),
    Preset("tanh-softmax", "Tanh + softmax", "Add better activation functions - Tanh and Softmax",
           "784 → 100 tanh → dropout → 10 softmax, cross-entropy",
           "A tanh hidden layer and a softmax output read as probabilities: the notebook's best dense net. "
           "Its quirk divides the step by the batch size, so with quirks off use alpha about 0.1.",
           defaults(300, 2, 100, 100), build_tanh_softmax),
    Preset("conv", "Convolutional layer", "Add Convolutional layer",
           "16 kernels 3x3 → tanh → dropout → 10 softmax",
           "Sixteen 3x3 kernels slide over the image; their responses feed a softmax output. "
           "Its quirk divides the step by the batch size, so with quirks off use alpha about 0.1.",
           defaults(300, 2, 128, kernels=16), build_conv),
    Preset("wide-sgd", "Wide ReLU, one image at a time", "MNIST stochastic gradient descent",
           "784 → 400 ReLU → dropout → 10, squared error",
           "A wider hidden layer with dropout, updated after every image.",
           defaults(500, .001, 1, 400), squared_error_net(dropout=True)),
    Preset("wide-minibatch", "Wide ReLU, mini-batches", "Mini-batched stochastic gradient descent",
           "784 → 400 ReLU → dropout → 10, squared error",
           "The wide network updated once per batch of 100 images.",
           defaults(500, .01, 100, 400), squared_error_net(dropout=True)),
]}
# Networks the notebook does not have, for what its networks do not do well.
BEYOND_NOTEBOOK = {p.name: p for p in [
    Preset("drawing", "Drawn digits (two convolutions)", "",
           "conv 3x3 → max-pool → conv 3x3 → max-pool → 128 ReLU → dropout → 10 softmax, Adam",
           "Not from the notebook: a network built to read digits drawn on the pad. It trains on all 8,000 "
           "images, distorted at random as hands vary (augmentation), in a new order every iteration, "
           "with the Adam optimiser, whose step falls to a tenth of alpha by the end.",
           {"iterations": 10, "alpha": 0.002, "batch_size": 50, "kernels": 16, "hidden_size": 128,
            "train_size": 8000, "test_size": 2000, "seed": 1, "augment": 1.0, "shuffle": True},
           build_drawing, optimizer=lambda params, steps: Adam(params["alpha"], decay_steps=steps, decay_to=0.1)),
]}
ALL_PRESETS = {**PRESETS, **BEYOND_NOTEBOOK}  # what hosts offer, in this order
DEFAULT_PRESET = "tanh-softmax"


def get(name):
    try:
        return ALL_PRESETS[name]
    except KeyError:
        raise ConfigError(f"unknown preset {name!r}; choose one of: {', '.join(ALL_PRESETS)}") from None


def build_model(name, params, dtype=np.float32, random="notebook"):
    """(model, loss, drop_last) for a preset with resolved `params`, weights drawn from a fresh stream
    seeded with `params["seed"]` (the notebook's `np.random.seed(1)` by default)."""
    stream = make_random(random, params["seed"])
    return get(name).build(params, stream, np.dtype(dtype))


def make_trainer(name, train, test, params=None, *, dtype=np.float32, random="notebook", eval_every=10):
    """A ready `Trainer` for preset `name` on datasets `train`/`test` (their sizes are what counts:
    `train_size`/`test_size` only tell a host how much data to load). `params` override the defaults.

    `random="notebook"` replays the notebook's `np.random.seed` stream (weights, then one dropout mask
    per batch); `"generator"` uses NumPy's `Generator`. The order of the images (`shuffle`) and their
    distortions (`augment`) come from streams of their own, seeded by `seed` too (see `Trainer`).
    """
    preset = get(name)
    params = preset.resolve(params)
    batch_size = params.get("batch_size", len(train))  # the linear cell trains on all images at once
    if batch_size > len(train):
        raise ConfigError(f"batch_size ({batch_size}) cannot exceed the {len(train)} training images")
    model, loss, drop_last = build_model(name, params, dtype, random)
    augment = None
    if params["augment"]:
        # Imported here, not at the top: the page imports this module while Python boots, and only
        # augmented training needs the distortions.
        from .augment import DRAWN_DIGITS
        augment = DRAWN_DIGITS.scaled(params["augment"])
    steps = params["iterations"] * batch_count(len(train), batch_size, drop_last)
    trainer = Trainer(model, loss, preset.optimizer(params, steps), train, test, batch_size=batch_size,
                      iterations=params["iterations"], eval_every=eval_every, drop_last=drop_last,
                      shuffle=params["shuffle"], augment=augment, seed=params["seed"])
    trainer.preset, trainer.params = name, params
    return trainer
