"""Element-wise functions that a host can do faster than NumPy: today `tanh`.

NumPy's `tanh` calls the C library's `tanhf` once per element. On CPython that is a vectorised loop;
inside Pyodide it is scalar WebAssembly, tens of times slower, and the convolution preset's hidden layer
(128 images x 10,000 units a batch) spends more time in it than in its matrix products. A host plugs in
a logistic sigmoid with `use_sigmoid(function)`: `function(x_address, out_address, size)` writing
`1 / (1 + exp(-x))` of `size` contiguous float32 values at `x_address` to `out_address` (it may be the
same address). The browser worker passes XNNPACK's SIMD sigmoid (web/js/xnnpack-matmul.js), which also
runs on every core. Large float32 arrays then take

    tanh(x) = 2 * sigmoid(2x) - 1

which agrees with NumPy's `tanh` to about 1e-7 (float32 rounding of a value near 1); small arrays, float64
and CPython keep NumPy's own. `backend()` says which is in use.
"""
import numpy as np

from .blas import address  # where an array's data starts (a byte offset in Pyodide's heap)

# Arrays smaller than this stay in NumPy: below it the host call's fixed cost outweighs its faster kernel
# (a drawn digit's hidden layer, the dense presets' per-image steps).
MIN_ELEMENTS = 4096
# How far the host's tanh may stray from NumPy's (float32 has ~6e-8 resolution near 1).
TOLERANCE = 1e-6

_sigmoid = None  # the host's function(x_address, out_address, size), or None
_backend = "numpy"


def tanh(x):
    """`np.tanh(x)`, by the host's sigmoid for large float32 arrays when one is plugged in."""
    if _sigmoid is None or x.dtype != np.float32 or x.size < MIN_ELEMENTS:
        return np.tanh(x)
    return tanh_by_sigmoid(x, _sigmoid)


def tanh_by_sigmoid(x, sigmoid):
    """2 * sigmoid(2x) - 1 in a new C-contiguous array, the sigmoid by the host's `sigmoid`."""
    out = np.multiply(x, 2, dtype=np.float32)  # a new contiguous array: the host reads and writes it in place
    sigmoid(address(out), address(out), out.size)
    out *= 2
    out -= 1
    return out


def use_sigmoid(function, name="host"):
    """Do large tanh's through the host's sigmoid `function(x_address, out_address, size)`. Returns True
    when it passed a self-check against NumPy (else NumPy keeps doing them)."""
    global _sigmoid, _backend
    use_numpy()
    if not self_check(function):
        return False
    _sigmoid, _backend = function, name
    return True


def use_numpy():
    """Back to NumPy's own tanh."""
    global _sigmoid, _backend
    _sigmoid, _backend = None, "numpy"


def backend():
    """Who does the large tanh's: "numpy" or the name given to use_sigmoid()."""
    return _backend


def self_check(function):
    """A wrong signature or a broken kernel would corrupt training silently: compare with NumPy once, over
    the range a tanh layer sees and its extremes (infinities, NaN), in a strided view too."""
    x = np.concatenate([np.linspace(-12, 12, 4801), [0.0, -0.0, 1e-8, -1e-8, 88.0, -88.0, 200.0, -200.0,
                                                       np.inf, -np.inf, np.nan]]).astype(np.float32)
    try:
        with np.errstate(all="ignore"):
            results = [(tanh_by_sigmoid(v, function), np.tanh(v)) for v in (x, x[::2])]
        return all(got.shape == want.shape and np.allclose(got, want, rtol=0, atol=TOLERANCE, equal_nan=True)
                   for got, want in results)
    except Exception:  # a host function that fails is as unusable as a wrong one
        return False
