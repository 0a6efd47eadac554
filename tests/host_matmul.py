"""A host matrix-product function for `pynet.blas.use_matmul` in CPython: what the browser worker's XNNPACK
bridge is to Pyodide. It receives data addresses, so it reads them as the bridge reads Pyodide's memory."""
import ctypes

import numpy as np


def as_matrix(address, rows, columns):
    """The row-major float32 (rows, columns) matrix at `address`, as a view."""
    pointer = ctypes.cast(address, ctypes.POINTER(ctypes.c_float))
    return np.ctypeslib.as_array(pointer, (rows, columns))


def numpy_matmul(a_address, b_address, out_address, m, k, n):
    np.matmul(as_matrix(a_address, m, k), as_matrix(b_address, k, n), out=as_matrix(out_address, m, n))
