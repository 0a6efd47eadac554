"""Layers: each maps a batch forward and a delta backward, and owns its parameters.

The names follow *Grokking Deep Learning*: what flows backward is a *delta* (the gradient of the loss with
respect to a layer's output), and a layer's `backward(delta)` stores the gradients of its own parameters
in `grads` and returns the delta of its input, e.g. for a dense layer

    weights_1_2_delta = layer_1.T.dot(layer_2_delta)
    layer_1_delta     = layer_2_delta.dot(weights_1_2.T)

Every layer caches during `forward` what its `backward` needs, so one forward must precede one backward.
A batch is always the first axis. Parameters live in `params` (name -> array, updated in place by the
optimiser) and their gradients in `grads` under the same names.
"""
import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import elementwise  # tanh: NumPy's, or a host's faster kernel on large arrays
from .blas import Constant, dot  # `a.dot(b)`, or the library a host plugged in (XNNPACK, OpenBLAS; blas.py)
from .fields import Dims, Flag, Real, Whole

# The largest size (units, kernels, a side) a layer's description may give: far above any network here,
# and small enough that no product of two sizes overflows anything. Whole models are bounded in saving.py.
MAX_SIZE = 100_000


class Layer:
    """Base: no parameters, identity `config`. Subclasses set `params`/`grads` in `__init__`.

    A layer describes itself in three places that loading a model file relies on (pynet/saving.py), so
    that a saved architecture is checked before anything is built or run:
    - `fields`: its constructor's JSON arguments, typed and bounded (pynet/fields.py); `config()` gives
      exactly these names;
    - `parameter_shapes(**config)`: the shape of each parameter, known without allocating it;
    - `output_shape(input_shape)`: one example's output shape, or ValueError for an input it cannot take,
      and `scratch_size(input_shape)`, the values one example needs meanwhile besides its output.
    """

    fields = {}

    def __init__(self):
        self.params = {}
        self.grads = {}
        # The first layer's input delta is never used (the notebook never computes `layer_0_delta`):
        # `Sequential` turns this off there and the layer skips that matrix product.
        self.needs_input_delta = True

    def forward(self, x, training=False):
        raise NotImplementedError

    def backward(self, delta):
        raise NotImplementedError

    def prepare(self, x):
        """`x` made ready for `forward` once, for an input fed many times (the trainer's batches recur
        every iteration). Most layers have nothing to prepare."""
        return x

    def config(self):
        """The constructor arguments, as plain JSON values: enough to rebuild the layer for loading."""
        return {}

    @classmethod
    def parameter_shapes(cls, **config):
        """{name: shape} of the parameters a layer with these (checked) `fields` has."""
        return {}

    def output_shape(self, input_shape):
        """The shape of one example's output for one example of `input_shape` (most layers keep it)."""
        return tuple(input_shape)

    def scratch_size(self, input_shape):
        """How many values besides its output one example needs in `forward` (a window matrix, say)."""
        return 0

    def astype(self, dtype):
        for name, value in self.params.items():
            self.params[name] = value.astype(dtype)
        return self

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"


class RowGradient:
    """A weight gradient that is zero outside `rows`, kept as just those rows (`values`).

    A dense layer whose input column is blank for a whole batch (most border pixels of MNIST digits, and
    four in five pixels of a single image) gets no gradient in that weight row. `np.asarray(grad)` gives
    the full matrix; `SGD` updates only the rows.
    """

    def __init__(self, rows, values, shape):
        self.rows, self.values, self.shape = rows, values, shape

    @property
    def dtype(self):
        return self.values.dtype

    def __array__(self, dtype=None, copy=None):
        full = np.zeros(self.shape, dtype or self.values.dtype)
        full[self.rows] = self.values
        return full


class DenseInput:
    """A batch as a dense layer multiplies it: `x`, only its inked columns when `rows` (their indices) is
    not None, and `x_t`, its transpose, the weight gradient's left operand. `reuse=True`, for a batch that
    recurs, makes both `blas.Constant`s: row-major copies made once, which a matrix-product library may
    keep in its own memory between steps."""

    def __init__(self, x, rows, reuse=False):
        self.rows = rows
        if rows is not None:
            x = x[:, rows]
        if reuse:
            self.x = Constant.pair(x)
            self.x_t = self.x.T
        else:
            self.x, self.x_t = x, x.T


class Dense(Layer):
    """`layer_1 = layer_0.dot(weights_0_1)`, plus an optional bias (the notebook's networks have none).

    `sparse_input=True` (for pixels): input columns that are zero in every row of the batch are left out
    of the products, which changes no result (they only add zeros) but saves a third of the work on a
    batch of 100 digits and four fifths on a single one.
    """

    SPARSE_BELOW = 0.75  # use the sparse path when at most this fraction of the columns has ink
    fields = {"n_in": Whole(1, MAX_SIZE), "n_out": Whole(1, MAX_SIZE), "bias": Flag(False),
              "sparse_input": Flag(False)}

    def __init__(self, n_in, n_out, bias=False, sparse_input=False, dtype=np.float32):
        super().__init__()
        self.n_in, self.n_out, self.sparse_input = int(n_in), int(n_out), bool(sparse_input)
        for name, shape in self.parameter_shapes(n_in=self.n_in, n_out=self.n_out, bias=bias).items():
            self.params[name] = np.zeros(shape, dtype)
        self.rows = None

    @classmethod
    def parameter_shapes(cls, n_in, n_out, bias=False, **config):
        return {"weight": (n_in, n_out), **({"bias": (n_out,)} if bias else {})}

    def output_shape(self, input_shape):
        if tuple(input_shape) != (self.n_in,):
            raise ValueError(f"Dense({self.n_in}, {self.n_out}) takes {self.n_in} values, not shape {tuple(input_shape)}")
        return (self.n_out,)

    def inked_columns(self, x):
        """The indices of the input columns not blank in every row, when few enough to pay; else None."""
        if not self.sparse_input:
            return None
        rows = np.flatnonzero(x.any(axis=0))
        return rows if len(rows) <= self.SPARSE_BELOW * self.n_in else None

    def prepare(self, x):
        """The inked columns cut out and both layouts copied once, as `blas.Constant`s that a matrix-product
        library may keep (XNNPACK keeps them packed). Redone at every step, that was most of an iteration
        of the full-batch linear preset in Pyodide, and a quarter of a 100-image product in repacking."""
        return DenseInput(x, self.inked_columns(x), reuse=True)

    def forward(self, x, training=False):
        if not isinstance(x, DenseInput):
            x = DenseInput(x, self.inked_columns(x))
        self.rows, self.input, self.input_t = x.rows, x.x, x.x_t
        weights = self.params["weight"] if self.rows is None else self.params["weight"][self.rows]
        out = dot(self.input, weights)  # layer_0.dot(weights_0_1)
        if "bias" in self.params:
            out += self.params["bias"]
        return out

    def backward(self, delta):
        weights_delta = dot(self.input_t, delta)  # weights_0_1_delta = layer_0.T.dot(layer_1_delta)
        self.grads["weight"] = weights_delta if self.rows is None else \
            RowGradient(self.rows, weights_delta, self.params["weight"].shape)
        if "bias" in self.params:
            self.grads["bias"] = delta.sum(axis=0)
        # layer_1_delta = layer_2_delta.dot(weights_1_2.T); the activation's derivative follows in its layer
        return dot(delta, self.params["weight"].T) if self.needs_input_delta else None

    def config(self):
        return {"n_in": self.n_in, "n_out": self.n_out, "bias": "bias" in self.params,
                "sparse_input": self.sparse_input}


class ReLU(Layer):
    """`relu(x) = (x > 0) * x`; its derivative, taken from the output as the notebook does, is `output > 0`.

    On large arrays both go by `np.where` on a comparison: in WebAssembly, NumPy's `maximum` branches on
    every element and a product with a boolean array converts it first, each several times slower
    (`x <= 0` keeps a NaN, so that a diverging network still shows it). On a few values (one image's
    hidden layer) the fewer NumPy calls of `maximum` win."""

    WHERE_FROM = 4096  # elements

    def forward(self, x, training=False):
        self.output = np.where(x <= 0, 0, x) if x.size >= self.WHERE_FROM else np.maximum(x, 0)
        return self.output

    def backward(self, delta):
        if delta.size >= self.WHERE_FROM:
            return np.where(self.output > 0, delta, 0)
        return delta * (self.output > 0)  # relu2deriv(layer_1)


class Tanh(Layer):
    """`tanh(x)`, whose derivative from the output is `1 - output ** 2`. (`elementwise.tanh` is NumPy's, or a
    host's faster kernel on large arrays: see pynet/elementwise.py.)"""

    def forward(self, x, training=False):
        self.output = elementwise.tanh(x)
        return self.output

    def backward(self, delta):
        return delta * (1 - self.output ** 2)  # tanh2deriv(layer_1)


class Softmax(Layer):
    """Numerically stable softmax over the last axis (the notebook's `exp(x) / sum` overflows past x ~ 700
    in float64 and ~ 88 in float32; subtracting the row maximum changes nothing else)."""

    def forward(self, x, training=False):
        exps = np.exp(x - x.max(axis=-1, keepdims=True))
        self.output = exps / exps.sum(axis=-1, keepdims=True)
        return self.output

    def backward(self, delta):
        # The Jacobian-vector product of softmax. Training with `SoftmaxCrossEntropy` skips it: that loss
        # returns the delta of the logits, `(output - target) / n`, directly.
        p = self.output
        return p * (delta - (delta * p).sum(axis=-1, keepdims=True))


class Dropout(Layer):
    """Inverted dropout: in training keep each unit with probability `1 - rate` and scale the kept ones by
    `1 / (1 - rate)`, so nothing changes at test time. The notebook's `layer_1 *= dropout_mask * 2`.

    `notebook=True` reproduces two of the notebook's quirks, which change its figures:
    - the mask multiplies the previous layer's output *in place*, so that layer's derivative is taken at
      the dropped, doubled values (harmless for ReLU; for tanh it gives `1 - (2h)**2` instead of `1 - h**2`);
    - the backward pass multiplies by the mask only (`layer_1_delta *= dropout_mask`), not by `mask * 2`,
      so the gradient below the dropout is half the true one.
    """

    fields = {"rate": Real(0, 1, below_hi=True, default=0.5), "notebook": Flag(False)}

    def __init__(self, rate=0.5, random=None, notebook=False):
        super().__init__()
        if not 0 <= rate < 1:
            raise ValueError(f"dropout rate must be in [0, 1), got {rate}")
        self.rate, self.random, self.notebook = float(rate), random, bool(notebook)
        self.mask = None

    def forward(self, x, training=False):
        if not training or self.rate == 0:
            self.mask = None
            return x
        keep = 1 - self.rate
        self.mask = self.random.keep_mask(x.shape, keep, x.dtype)  # dropout_mask
        if self.notebook:
            x *= self.mask * (1 / keep)  # layer_1 *= dropout_mask * 2
            return x
        self.scaled_mask = self.mask * (1 / keep)
        return x * self.scaled_mask

    def backward(self, delta):
        if self.mask is None:
            return delta
        if self.notebook:
            return delta * self.mask  # layer_1_delta *= dropout_mask
        return delta * self.scaled_mask

    def config(self):
        return {"rate": self.rate, "notebook": self.notebook}


class Conv2D(Layer):
    """Kernels slid over images `(N, H, W, C)` giving `(N, OH, OW, K)`, as one matrix product.

    im2col: every window laid out as a row `(N*OH*OW, kh*kw*C)` (the notebook's `flattened_input`), so
    that `flattened_input.dot(kernels)` with kernels `(kh*kw*C, K)` gives every output pixel of every
    kernel at once. No Python loop over pixels.

    With `bias=True` each row ends with a 1 and the kernels with their biases: the product adds the
    biases, and the weight gradient's last row is the bias gradient (the deltas summed over the pixels),
    with no pass of their own over a layer's largest arrays.

    `notebook_windows=True` takes the notebook's `range(28 - 3)` windows per axis (25, one short of the
    26 a valid 3x3 convolution has), dropping the last row and column of windows.
    """

    fields = {"in_shape": Dims(range(3, 4), MAX_SIZE), "kernels": Whole(1, MAX_SIZE),
              "kernel_size": Whole(1, MAX_SIZE, default=3), "notebook_windows": Flag(False),
              "bias": Flag(False)}

    def __init__(self, in_shape, kernels, kernel_size=3, notebook_windows=False, bias=False, dtype=np.float32):
        super().__init__()
        self.in_shape = tuple(int(d) for d in in_shape)  # (H, W, C)
        self.kernels, self.kernel_size = int(kernels), int(kernel_size)
        self.notebook_windows = bool(notebook_windows)
        h, w, c = self.in_shape
        k = self.kernel_size
        short = 1 if self.notebook_windows else 0
        self.out_shape = (h - k + 1 - short, w - k + 1 - short, self.kernels)
        if min(self.out_shape) < 1:
            raise ValueError(f"a {k}x{k} kernel leaves no window in a {h}x{w} image")
        # `bias`: one per kernel, added at every pixel (the notebook's kernels have none)
        for name, shape in self.parameter_shapes(self.in_shape, self.kernels, k, bias=bias).items():
            self.params[name] = np.zeros(shape, dtype)

    @classmethod
    def parameter_shapes(cls, in_shape, kernels, kernel_size=3, bias=False, **config):
        shapes = {"weight": (kernel_size * kernel_size * in_shape[-1], kernels)}
        if bias:
            shapes["bias"] = (kernels,)
        return shapes

    def output_shape(self, input_shape):
        if tuple(input_shape) != self.in_shape:
            raise ValueError(f"Conv2D takes images of shape {self.in_shape}, not {tuple(input_shape)}")
        return self.out_shape

    def scratch_size(self, input_shape):
        oh, ow, _ = self.out_shape
        # the window matrix, a row per output pixel (and a column of ones with biases)
        return oh * ow * (self.params["weight"].shape[0] + ("bias" in self.params))

    def windows(self, x):
        """`(N*OH*OW, kh*kw*C)`, every window as a row, pixels in (row, column, channel) order, then a 1
        if the layer has biases. Copied from a strided view of all windows (`sliding_window_view`) when
        each pixel has several channels; a single channel is copied one kernel offset at a time instead,
        in whole image rows (element by element, NumPy's copy is slow in WebAssembly)."""
        (oh, ow, _), k, (n, _, _, c) = self.out_shape, self.kernel_size, x.shape
        rows = np.empty((n, oh, ow, k * k * c + ("bias" in self.params)), x.dtype)
        if "bias" in self.params:
            rows[..., -1] = 1
        if c == 1:
            for i in range(k):
                for j in range(k):
                    rows[..., i * k + j] = x[:, i:i + oh, j:j + ow, 0]
        else:
            views = sliding_window_view(x, (k, k), axis=(1, 2))[:, :oh, :ow]  # (N, OH, OW, C, kh, kw)
            rows[..., :k * k * c].reshape(n, oh, ow, k, k, c)[...] = views.transpose(0, 1, 2, 4, 5, 3)
        return rows.reshape(n * oh * ow, -1)

    def kernel_matrix(self):
        """The kernels `(kh*kw*C, K)`, with the biases as a last row if the layer has them."""
        if "bias" in self.params:
            return np.concatenate([self.params["weight"], self.params["bias"][None]])
        return self.params["weight"]

    def forward(self, x, training=False):
        self.input_shape = x.shape
        self.flattened_input = self.windows(x)
        kernel_output = dot(self.flattened_input, self.kernel_matrix())
        return kernel_output.reshape((x.shape[0],) + self.out_shape)

    def backward(self, delta):
        delta_rows = delta.reshape(-1, self.kernels)
        kernel_update = dot(self.flattened_input.T, delta_rows)
        self.grads["weight"] = kernel_update[:len(self.params["weight"])]
        if "bias" in self.params:  # a bias feeds every output pixel of its kernel: their deltas add up
            self.grads["bias"] = kernel_update[-1]
        if not self.needs_input_delta:
            return None
        return self.scatter_windows(dot(delta_rows, self.params["weight"].T))

    def scatter_windows(self, window_deltas):
        """col2im: add each window's delta back onto the pixels it covers (a loop over the k*k kernel
        offsets, each a whole-array add, not over pixels). The deltas are first laid out offset by offset,
        so that each add reads whole rows of pixels: adding channel-sized pieces one by one costs NumPy a
        loop call each, which in WebAssembly is most of the time."""
        n, (oh, ow, _), k = self.input_shape[0], self.out_shape, self.kernel_size
        c = self.input_shape[3]
        by_offset = window_deltas.reshape(n, oh, ow, k, k, c).transpose(3, 4, 0, 1, 2, 5).copy()
        input_delta = np.zeros(self.input_shape, window_deltas.dtype)
        for i in range(k):
            for j in range(k):
                input_delta[:, i:i + oh, j:j + ow, :] += by_offset[i, j]
        return input_delta

    def config(self):
        return {"in_shape": list(self.in_shape), "kernels": self.kernels, "kernel_size": self.kernel_size,
                "notebook_windows": self.notebook_windows, "bias": "bias" in self.params}


class MaxPool2D(Layer):
    """The largest value of each `pool x pool` block of every channel: `(N, H, W, C)` to
    `(N, H // pool, W // pool, C)` (a last row or column that does not fill a block is dropped).

    The maximum's derivative is 1 at the element that won and 0 elsewhere, so backward sends each block's
    delta to its winner alone (LeCun et al., "Gradient-based learning applied to document recognition",
    1998; Goodfellow et al., *Deep Learning*, section 9.3). The maximum is taken down each block's
    columns, then along the row of winners, so the first pass reads whole image rows at a time; each pass
    remembers which of its `pool` candidates won (the first, on a tie). Max-pooling and ReLU commute (both
    keep order), so a ReLU after the pool does the same work on a quarter of the values.
    """

    fields = {"in_shape": Dims(range(3, 4), MAX_SIZE), "pool": Whole(1, MAX_SIZE, default=2)}

    def __init__(self, in_shape, pool=2):
        super().__init__()
        self.in_shape = tuple(int(d) for d in in_shape)  # (H, W, C)
        self.pool = int(pool)
        h, w, c = self.in_shape
        self.out_shape = (h // max(self.pool, 1), w // max(self.pool, 1), c)
        if self.pool < 1 or min(self.out_shape) < 1:
            raise ValueError(f"{self.pool}x{self.pool} pooling does not fit in a {h}x{w} image")

    def output_shape(self, input_shape):
        if tuple(input_shape) != self.in_shape:
            raise ValueError(f"MaxPool2D takes images of shape {self.in_shape}, not {tuple(input_shape)}")
        return self.out_shape

    def forward(self, x, training=False):
        (oh, ow, c), p = self.out_shape, self.pool
        self.input_shape = x.shape
        x = x[:, :oh * p, :ow * p]
        down, self.down_winner = largest(x.reshape(len(x) * oh, p, -1))  # (N*OH, OW*p*C)
        across, self.across_winner = largest(down.reshape(len(x) * oh * ow, p, c))  # (N*OH*OW, C)
        return across.reshape(len(x), oh, ow, c)

    def backward(self, delta):
        (oh, ow, c), p = self.out_shape, self.pool
        n = len(delta)
        down = to_winners(delta.reshape(n * oh * ow, c), self.across_winner, p)  # (N*OH*OW, p, C)
        blocks = to_winners(down.reshape(n * oh, -1), self.down_winner, p)  # (N*OH, p, OW*p*C)
        blocks = blocks.reshape(n, oh * p, ow * p, c)
        if blocks.shape == self.input_shape:
            return blocks
        input_delta = np.zeros(self.input_shape, delta.dtype)  # pixels outside every block get nothing
        input_delta[:, :oh * p, :ow * p] = blocks
        return input_delta

    def config(self):
        return {"in_shape": list(self.in_shape), "pool": self.pool}


def largest(candidates):
    """`candidates` (M, p, L): the largest of the p rows, elementwise, (M, L), and which row won (uint8),
    the first on a tie. `np.where` on a comparison, not `np.maximum`: in WebAssembly NumPy's maximum
    branches on every element, several times slower on the unpredictable signs of a layer's outputs."""
    best, winner = candidates[:, 0], None
    for j in range(1, candidates.shape[1]):
        wins = candidates[:, j] > best
        best = np.where(wins, candidates[:, j], best)
        # The first comparison's booleans are already the row numbers 0 and 1, as bytes.
        winner = wins.view(np.uint8) if winner is None else np.where(wins, np.uint8(j), winner)
    return best, winner


def to_winners(delta, winner, p):
    """`delta` (M, L) sent back to the rows that won in `largest`: (M, p, L), zero elsewhere."""
    out = np.empty((delta.shape[0], p, delta.shape[1]), delta.dtype)
    for j in range(1, p):
        out[:, j] = np.where(winner.view(np.bool_) if p == 2 else winner == j, delta, 0)
    # Row 0 gets what no other row took: each delta went to one row, so this subtraction is exact.
    out[:, 0] = delta - out[:, 1] if p == 2 else delta - out[:, 1:].sum(axis=1)
    return out


class Reshape(Layer):
    """Views each example with a new shape, e.g. a flat 784-pixel row as a 28x28x1 image."""

    fields = {"shape": Dims(range(1, 4), MAX_SIZE)}

    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(int(d) for d in shape)

    def output_shape(self, input_shape):
        if math.prod(input_shape) != math.prod(self.shape):
            raise ValueError(f"cannot view {math.prod(input_shape)} values as shape {self.shape}")
        return self.shape

    def forward(self, x, training=False):
        self.input_shape = x.shape
        return x.reshape((x.shape[0],) + self.shape)

    def backward(self, delta):
        return delta.reshape(self.input_shape)

    def config(self):
        return {"shape": list(self.shape)}


class Flatten(Layer):
    """`(N, ...)` to `(N, features)`: a view, so a following in-place dropout still reaches the cached
    output of the layer before (the notebook's conv cell relies on that)."""

    def forward(self, x, training=False):
        self.input_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def output_shape(self, input_shape):
        return (math.prod(input_shape),)

    def backward(self, delta):
        return delta.reshape(self.input_shape)


# Every layer a saved model may name: loading rebuilds only these, from plain JSON arguments.
LAYER_TYPES = {cls.__name__: cls for cls in (Dense, ReLU, Tanh, Softmax, Dropout, Conv2D, MaxPool2D, Reshape,
                                             Flatten)}
