"""Matrix products, optionally through a faster library than NumPy's own loop.

Every matrix product in pynet goes through `dot(a, b)`. By default that is NumPy's own product, which on
CPython already runs an optimised, multi-threaded BLAS. Inside Pyodide, NumPy's product is a portable C
loop (1.5-4 GFLOP/s), so a host can plug in a faster one:

- `use_matmul(function)`: a host's own float32 product, `function(a_address, b_address, out_address, m,
  k, n, b_key)` writing the product of C-contiguous matrices, given by their data addresses, to
  `out_address` (`b_key`: see `Constant` below).
  The browser worker passes XNNPACK's WebAssembly SIMD kernel (from the TensorFlow.js WebAssembly
  backend): 30-40 GFLOP/s on one core, 3-4x OpenBLAS on pynet's dense layers.
- `use_openblas()`: the OpenBLAS that Pyodide ships for SciPy (the `openblas` package: one 6 MB shared
  library, no SciPy needed), 4-10 GFLOP/s, called through `ctypes` for float32 and float64, passing
  transposed operands as flags rather than copies. The worker uses it where XNNPACK cannot load.

The last one plugged in does the large products. pynet stays pure Python and gives the same results (up
to the order of floating-point sums) either way; `backend()` says which library is in use.

A `Constant` is a matrix that does not change while it is used, such as a training batch, which recurs
every iteration: `dot` takes it on either side, and a host that can keep matrices (XNNPACK keeps them
packed for its kernel, which otherwise repacks its right operand on every product) is given it as its right
operand under a key, so that only the other operand is copied in on each product.
"""
import itertools
import weakref

import numpy as np

# ctypes is imported only by use_openblas(): loading it (and libffi) would lengthen every Pyodide start-up.

ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112
LIBRARY_PATHS = ("/usr/lib/libopenblas.so", "libopenblas.so", "libopenblas.so.0")

# Products smaller than this many multiply-adds stay in NumPy: below it a library's fixed cost per call
# outweighs its faster kernel: in Pyodide a (100,10)@(10,100) product gains little from either library and
# a (1,784)@(784,100) one is slower in OpenBLAS than in NumPy, while a (100,784)@(784,400) one is many
# times faster (bench/README.md, "Levers", has the figures).
MIN_MULTIPLY_ADDS = 50_000

_gemm = {}  # dtype -> function(a, b, b_key=0) returning a @ b, filled by use_openblas() or use_matmul()
_backend = "numpy"
_forget = None  # the host's forget(key) when it keeps constant operands, else None
_keys = itertools.count(1)


class Constant:
    """A matrix that stays unchanged while in use, as a C-contiguous `array`; `.T` is its transpose, a
    Constant too (make both with `Constant.pair`). A host that keeps constants may hold a copy of it under
    `key` until this object is garbage-collected."""

    def __init__(self, array):
        self.array = np.ascontiguousarray(array)
        self.key = next(_keys)
        self.T = None
        weakref.finalize(self, forget_constant, self.key)

    @classmethod
    def pair(cls, array):
        """A matrix and its transpose, each the other's `.T`. The transpose refers back weakly (hold on to the
        matrix): no reference cycle, so a host forgets both as soon as the matrix is dropped, not at the next
        garbage collection."""
        matrix, transposed = cls(array), cls(np.asarray(array).T)
        matrix.T, transposed.T = transposed, weakref.proxy(matrix)
        return matrix

    @property
    def dtype(self):
        return self.array.dtype


def forget_constant(key):
    """A constant is gone: the host may drop what it kept of it."""
    if _forget is not None:
        _forget(key)


def dot(a, b):
    """`a @ b` for 2-D arrays (either may be a `Constant`), by the plugged-in library when there is one
    and it is worthwhile, else by NumPy."""
    if isinstance(a, Constant) or isinstance(b, Constant):
        return constant_dot(a, b)
    if a.ndim == 2 and b.ndim == 2:
        if a.shape[1] == 1:
            # An outer product (a per-image weight gradient): one multiply per element and no sums, so
            # broadcasting gives the same numbers, faster than NumPy's dot in WebAssembly.
            return a * b
        product = library_product(a, b)
        if product is not None:
            return product(a, b)
    return a.dot(b)


def library_product(a, b):
    """The plugged-in product for the 2-D arrays `a @ b`, or None where NumPy is as fast: a single row, an
    outer product, or too few multiply-adds (a library's fixed cost per call then dominates)."""
    (m, k), n = a.shape, b.shape[1]
    if m > 1 and k > 1 and m * k * n >= MIN_MULTIPLY_ADDS and a.dtype == b.dtype:
        return _gemm.get(a.dtype)
    return None


def constant_dot(a, b):
    """`a @ b` with a constant operand: kept by the host on the right, so a constant on the left is
    multiplied as `(b.T @ a.T).T`; a library that keeps nothing, or NumPy, multiplies the arrays."""
    plain_a, plain_b = getattr(a, "array", a), getattr(b, "array", b)
    product = library_product(plain_a, plain_b) if _forget is not None else None
    if product is None:
        return dot(plain_a, plain_b)
    if isinstance(b, Constant):
        return product(plain_a, plain_b, b.key)
    if a.T is None:  # a constant made alone, not by `Constant.pair`: no kept transpose to multiply by
        return product(plain_a, plain_b)
    return np.ascontiguousarray(product(np.ascontiguousarray(plain_b.T), a.T.array, a.T.key).T)


def layout(x):
    """(transpose flag, leading dimension, array) for a row-major BLAS: C-contiguous as is, a transposed
    view (F-contiguous) as a flag, anything else copied."""
    if x.flags.c_contiguous:
        return NO_TRANS, x.shape[1], x
    if x.flags.f_contiguous:
        return TRANS, x.shape[0], x
    x = np.ascontiguousarray(x)
    return NO_TRANS, x.shape[1], x


def cblas_product(function):
    """a @ b by a ctypes cblas_?gemm `function`."""
    def product(a, b, b_key=0):
        (trans_a, lda, a), (trans_b, ldb, b) = layout(a), layout(b)
        m, k = a.shape
        n = b.shape[1]
        out = np.empty((m, n), a.dtype)
        function(ROW_MAJOR, trans_a, trans_b, m, n, k, 1.0, a.ctypes.data, max(lda, 1),
                 b.ctypes.data, max(ldb, 1), 0.0, out.ctypes.data, max(n, 1))
        return out
    return product


def address(x):
    """Where an array's data starts in this process's memory (in Pyodide, a byte offset in its heap)."""
    return x.__array_interface__["data"][0]


def host_product(function):
    """a @ b by a host's `function(a_address, b_address, out_address, m, k, n, b_key)`, which sees only
    C-contiguous float32 matrices. Addresses, not arrays: in Pyodide, handing JavaScript an array costs a
    buffer proxy (~8 us) each, more than a small product's whole kernel. `b_key` is 0, or the key of a
    `Constant` b that the host may keep until told to forget that key."""
    def product(a, b, b_key=0):
        # XNNPACK's kernel wants row-major operands: a transposed copy (at most 784x400 floats here)
        # costs far less than the slower transposed path of the library would.
        a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
        (m, k), n = a.shape, b.shape[1]
        out = np.empty((m, n), np.float32)
        function(address(a), address(b), address(out), m, k, n, b_key)  # a, b, out stay alive meanwhile
        return out
    return product


def use_matmul(function, name="host", forget=None):
    """Route large float32 products through `function(a_address, b_address, out_address, m, k, n, b_key)`
    (see `host_product`); float64 ones stay in NumPy. A host that keeps constant operands passes
    `forget(key)`, called once a `Constant` is gone; without it every `b_key` is 0. Returns True when the
    function passed a self-check against NumPy (else NumPy does every product)."""
    return install({np.dtype(np.float32): host_product(function)}, name, forget)


def use_openblas(path=None):
    """Route large products through OpenBLAS; returns True when it was found and passed a self-check."""
    import ctypes
    library = open_library(path)
    if library is None:
        return False
    products = {}
    for dtype, name, scalar in ((np.float32, "cblas_sgemm", ctypes.c_float),
                                (np.float64, "cblas_dgemm", ctypes.c_double)):
        function = getattr(library, name)
        i, p = ctypes.c_int, ctypes.c_void_p
        function.argtypes = [i, i, i, i, i, i, scalar, p, i, p, i, scalar, p, i]
        function.restype = None
        products[np.dtype(dtype)] = cblas_product(function)
    return install(products, "openblas")


def install(products, name, forget=None):
    """Make `products` (dtype -> function(a, b, b_key=0)) do the large products if they pass the
    self-check; `forget(key)` when they keep constant operands."""
    global _backend, _forget
    use_numpy()
    if not self_check(products, forget):
        return False
    _gemm.update(products)
    _backend, _forget = name, forget
    return True


def use_numpy():
    """Back to NumPy's own product."""
    global _backend, _forget
    _gemm.clear()
    _backend, _forget = "numpy", None


def enabled():
    return bool(_gemm)


def backend():
    """The library doing the large products: "numpy", "openblas" or the name given to use_matmul()."""
    return _backend


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


def self_check(products, forget=None):
    """A wrong signature or a broken library would corrupt results silently; compare against NumPy once,
    every layout, and a kept constant with two different other operands."""
    rng = np.random.default_rng(0)
    for dtype, product in products.items():
        a, b, c = rng.random((40, 70)).astype(dtype), rng.random((70, 50)).astype(dtype), rng.random((40, 70))
        cases = [(a, b, 0), (a.T.copy().T, b, 0), (a, b.T.copy().T, 0)]
        if forget is not None:
            key = next(_keys)
            cases += [(a, b, key), (c.astype(dtype), b, key)]
        try:
            good = all(np.allclose(product(x, y, b_key), x.dot(y), rtol=1e-4, atol=1e-4) for x, y, b_key in cases)
            if forget is not None:
                forget(key)
        except Exception:  # a host function that fails is as unusable as a wrong one
            good = False
        if not good:
            return False
    return True
