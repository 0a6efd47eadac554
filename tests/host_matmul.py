"""Host matrix-product functions for `pynet.blas.use_matmul` in CPython: what the browser worker's XNNPACK
bridge is to Pyodide. They receive data addresses, so they read them as the bridge reads Pyodide's memory."""
import ctypes

import numpy as np


def as_matrix(address, rows, columns):
    """The row-major float32 (rows, columns) matrix at `address`, as a view."""
    pointer = ctypes.cast(address, ctypes.POINTER(ctypes.c_float))
    return np.ctypeslib.as_array(pointer, (rows, columns))


def numpy_matmul(a_address, b_address, out_address, m, k, n, b_key=0):
    np.matmul(as_matrix(a_address, m, k), as_matrix(b_address, k, n), out=as_matrix(out_address, m, n))


class KeepingMatmul:
    """A host that keeps constant right operands, as the XNNPACK bridge does: the first product under a
    key copies b, later ones multiply by that copy (not by whatever is at b's address), until forgotten."""

    def __init__(self):
        self.kept, self.calls, self.forgotten = {}, [], []

    def __call__(self, a_address, b_address, out_address, m, k, n, b_key=0):
        self.calls.append(((m, k), (k, n), b_key))
        b = as_matrix(b_address, k, n)
        if b_key:
            b = self.kept.setdefault(b_key, b.copy())
        np.matmul(as_matrix(a_address, m, k), b, out=as_matrix(out_address, m, n))

    def forget(self, key):
        self.forgotten.append(key)
        self.kept.pop(key, None)


def numpy_sigmoid(x_address, out_address, size):
    """The worker's XNNPACK sigmoid, in NumPy: 1 / (1 + exp(-x)) of `size` floats, possibly in place."""
    x = as_matrix(x_address, 1, size)
    with np.errstate(over="ignore"):
        np.divide(1, 1 + np.exp(-x), out=as_matrix(out_address, 1, size))


class SigmoidMatmul:
    """A host product carrying a sigmoid, as the worker's XNNPACK function does: counts the sigmoid's calls."""

    def __init__(self, sigmoid=numpy_sigmoid):
        self.sizes, self.inner = [], sigmoid

    def __call__(self, *args):
        numpy_matmul(*args)

    def sigmoid(self, x_address, out_address, size):
        self.sizes.append(size)
        self.inner(x_address, out_address, size)
