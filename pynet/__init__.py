"""pynet: the networks of a from-scratch MNIST notebook as a small NumPy library.

The same package trains in CPython and, unchanged, inside Pyodide in the browser. Its one runtime
dependency is NumPy.
"""
from .errors import ConfigError, ModelFileError, PynetError
from .layers import Conv2D, Dense, Dropout, Flatten, ReLU, Reshape, Softmax, Tanh
from .losses import SoftmaxCrossEntropy, SquaredError
from .model import Sequential
from .optim import SGD
from .presets import PRESETS, make_trainer
from .trainer import Trainer

__version__ = "0.1.0"
__all__ = ["ConfigError", "ModelFileError", "PynetError", "Conv2D", "Dense", "Dropout", "Flatten", "ReLU",
           "Reshape", "Softmax", "Tanh", "SoftmaxCrossEntropy", "SquaredError", "Sequential", "SGD",
           "PRESETS", "make_trainer", "Trainer"]
