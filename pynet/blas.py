"""Matrix products, optionally through OpenBLAS called with ctypes.

Every matrix product in pynet goes through `dot(a, b)`. By default that is NumPy's own product, which on
CPython already runs an optimised, multi-threaded BLAS. Inside Pyodide, NumPy's product is a portable C
loop (1.5-4 GFLOP/s), while the OpenBLAS that Pyodide ships for SciPy (the `openblas` package: one 6 MB
shared library, no SciPy needed) runs the same products at 4-10 GFLOP/s. `use_openblas()` loads that
library through `ctypes` (standard library) and routes the large float32/float64 products to its
`cblas_sgemm`/`cblas_dgemm`, passing transposed operands as flags rather than copies. The library stays
pure Python and gives the same results (up to the order of floating-point sums) with or without it.
"""
import numpy as np

# ctypes is imported only by use_openblas(): loading it (and libffi) costs Pyodide's start-up ~40 ms.

ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112
LIBRARY_PATHS = ("/usr/lib/libopenblas.so", "libopenblas.so", "libopenblas.so.0")

# Products smaller than this many multiply-adds stay in NumPy: below it OpenBLAS's fixed cost per call
# outweighs its faster kernel. Measured in Pyodide 0.27.7 (float32): a (100,784)@(784,400) product takes
# 25 ms in NumPy and 6.6 ms in OpenBLAS, a (100,10)@(10,100) one 0.63 ms and 0.05 ms, a (1,784)@(784,100)
# one 42 us and 54 us.
MIN_MULTIPLY_ADDS = 50_000

_gemm = {}  # dtype -> configured ctypes function, filled by use_openblas()


def dot(a, b):
    """`a @ b` for 2-D arrays, by OpenBLAS when enabled and worthwhile, else by NumPy."""
    if a.ndim == 2 and b.ndim == 2:
        m, k = a.shape
        n = b.shape[1]
        if k == 1:
            # An outer product (a per-image weight gradient): one multiply per element and no sums, so
            # broadcasting gives the same numbers, 5-8x faster than NumPy's dot in WebAssembly.
            return a * b
        # A single row is as fast in NumPy as in OpenBLAS, whose fixed cost per call then dominates.
        if _gemm and m > 1 and m * k * n >= MIN_MULTIPLY_ADDS and a.dtype == b.dtype and a.dtype in _gemm:
            return gemm(a, b)
    return a.dot(b)


def layout(x):
    """(transpose flag, leading dimension, array) for a row-major BLAS: C-contiguous as is, a transposed
    view (F-contiguous) as a flag, anything else copied."""
    if x.flags.c_contiguous:
        return NO_TRANS, x.shape[1], x
    if x.flags.f_contiguous:
        return TRANS, x.shape[0], x
    x = np.ascontiguousarray(x)
    return NO_TRANS, x.shape[1], x


def gemm(a, b):
    (trans_a, lda, a), (trans_b, ldb, b) = layout(a), layout(b)
    m, k = a.shape
    n = b.shape[1]
    out = np.empty((m, n), a.dtype)
    _gemm[a.dtype](ROW_MAJOR, trans_a, trans_b, m, n, k, 1.0, a.ctypes.data, max(lda, 1),
                   b.ctypes.data, max(ldb, 1), 0.0, out.ctypes.data, max(n, 1))
    return out


def use_openblas(path=None):
    """Route large products through OpenBLAS; returns True when it was found and passed a self-check."""
    import ctypes
    library = open_library(path)
    if library is None:
        return False
    for dtype, name, scalar in ((np.float32, "cblas_sgemm", ctypes.c_float),
                                (np.float64, "cblas_dgemm", ctypes.c_double)):
        function = getattr(library, name)
        i, p = ctypes.c_int, ctypes.c_void_p
        function.argtypes = [i, i, i, i, i, i, scalar, p, i, p, i, scalar, p, i]
        function.restype = None
        _gemm[np.dtype(dtype)] = function
    if not self_check():
        _gemm.clear()
        return False
    return True


def use_numpy():
    """Back to NumPy's own product."""
    _gemm.clear()


def enabled():
    return bool(_gemm)


def open_library(path):
    import ctypes
    import ctypes.util
    candidates = [path] if path else list(LIBRARY_PATHS) + [ctypes.util.find_library("openblas")]
    for candidate in filter(None, candidates):
        try:
            return ctypes.CDLL(candidate)
        except OSError:
            continue
    return None


def self_check():
    """A wrong signature would corrupt memory silently; compare against NumPy once, every layout."""
    rng = np.random.default_rng(0)
    for dtype in _gemm:
        a, b = rng.random((40, 70)).astype(dtype), rng.random((70, 50)).astype(dtype)
        for x, y in ((a, b), (a.T.copy().T, b), (a, b.T.copy().T)):
            if not np.allclose(gemm(x, y), x.dot(y), rtol=1e-4, atol=1e-4):
                return False
    return True
