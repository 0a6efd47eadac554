"""Central finite-difference checks of every backward pass, in float64.

For a layer the scalar objective is a fixed random projection of its output, `f(x) = sum(R * layer(x))`,
so `layer.backward(R)` must be df/dx and `layer.grads` df/dparams. Losses are checked against differences
of their own value, `SoftmaxCrossEntropy` through a `Softmax` layer via `Sequential.backward(...,
from_logits=True)`. Correct maths only (`notebook=False`): the notebook's dropout quirks are, on purpose,
not gradients (tests/test_layers.py checks them).
"""
import numpy as np
import pytest

from pynet.layers import Conv2D, Dense, Dropout, Flatten, Layer, MaxPool2D, ReLU, Reshape, Softmax, Tanh
from pynet.losses import SoftmaxCrossEntropy, SquaredError
from pynet.model import Sequential

EPS = 1e-6
TOL = 1e-6  # relative error


def rel_error(analytic, numeric):
    analytic, numeric = np.asarray(analytic, np.float64), np.asarray(numeric, np.float64)
    assert analytic.shape == numeric.shape
    scale = max(np.linalg.norm(analytic), np.linalg.norm(numeric), 1e-12)
    # the worst single element, relative to the size of the whole gradient, and the overall norm error
    worst = np.abs(analytic - numeric).max() / max(np.abs(numeric).max(), 1e-12)
    return max(worst, np.linalg.norm(analytic - numeric) / scale)


def numeric_gradient(f, array):
    """df/darray by central differences, perturbing `array` in place (and restoring it)."""
    grad = np.zeros_like(array)
    flat, out = array.reshape(-1), grad.reshape(-1)
    assert np.shares_memory(flat, array)
    for i in range(flat.size):
        saved = flat[i]
        flat[i] = saved + EPS
        plus = f()
        flat[i] = saved - EPS
        minus = f()
        flat[i] = saved
        out[i] = (plus - minus) / (2 * EPS)
    return grad


def check_layer(layer, x, training=False, seed=0):
    """Input delta and every parameter gradient of `layer` at `x` against finite differences."""
    rng = np.random.default_rng(seed)
    x = x.copy()
    projection = rng.standard_normal(layer.forward(x.copy(), training).shape)

    def objective():
        return float(np.sum(projection * layer.forward(x.copy(), training)))

    layer.forward(x.copy(), training)
    input_delta = layer.backward(projection.copy())
    grads = {name: g.copy() for name, g in layer.grads.items()}
    assert set(grads) == set(layer.params)

    errors = {"input": rel_error(input_delta, numeric_gradient(objective, x))}
    for name, value in layer.params.items():
        errors[name] = rel_error(grads[name], numeric_gradient(objective, value))
    for what, error in errors.items():
        assert error < TOL, f"{layer!r}: gradient of {what} off by {error:.2e}"
    return errors


def randomise(layer, rng):
    for name, value in layer.params.items():
        layer.params[name] = rng.standard_normal(value.shape) * 0.5
    return layer


@pytest.fixture
def rng():
    return np.random.default_rng(42)


@pytest.mark.parametrize("bias", [False, True])
def test_dense(rng, bias):
    layer = randomise(Dense(7, 5, bias=bias, dtype=np.float64), rng)
    errors = check_layer(layer, rng.standard_normal((4, 7)))
    assert ("bias" in errors) == bias


def away_from_zero(rng, shape):
    """Inputs at least .1 from ReLU's kink, so the differences do not straddle it."""
    return rng.choice([-1, 1], size=shape) * rng.uniform(.1, 2, size=shape)


def test_relu(rng):
    x = away_from_zero(rng, (5, 8))
    check_layer(ReLU(), x)
    assert (x < 0).any() and (x > 0).any()


def test_relu_on_large_arrays_is_the_same_function_and_keeps_nan(rng):
    """Large arrays take another code path (np.where): the same values and derivative, NaN kept."""
    x = away_from_zero(rng, (3, ReLU.WHERE_FROM))
    x[0, 0] = np.nan
    relu = ReLU()
    out = relu.forward(x)
    assert np.isnan(out[0, 0]) and np.array_equal(out[1:], np.maximum(x[1:], 0))
    delta = rng.standard_normal(x.shape)
    assert np.array_equal(relu.backward(delta), delta * (out > 0))
    check_layer(ReLU(), x[1:])


def test_tanh(rng):
    check_layer(Tanh(), rng.standard_normal((5, 8)))


def test_softmax(rng):
    check_layer(Softmax(), rng.standard_normal((5, 10)) * 3)


class FixedMask:
    """A random stream whose every mask is the same one."""

    def __init__(self, mask):
        self.mask = mask

    def keep_mask(self, shape, keep, dtype):
        assert shape == self.mask.shape
        return self.mask.astype(dtype)


@pytest.mark.parametrize("rate", [0.5, 0.3])
def test_dropout_correct_mode(rng, rate):
    x = rng.standard_normal((6, 9))
    mask = (rng.random(x.shape) < 1 - rate).astype(np.float64)
    assert 0 < mask.mean() < 1
    check_layer(Dropout(rate, FixedMask(mask), notebook=False), x, training=True)


CONV_CASES = [  # (in_shape (H, W, C), kernels, kernel_size, notebook_windows)
    ((6, 6, 1), 3, 3, False),
    ((6, 6, 1), 3, 3, True),
    ((6, 5, 3), 4, 3, False),
    ((6, 5, 3), 4, 3, True),
    ((5, 7, 2), 2, 2, False),
]


@pytest.mark.parametrize("in_shape,kernels,size,notebook_windows", CONV_CASES)
def test_conv2d(rng, in_shape, kernels, size, notebook_windows):
    layer = randomise(Conv2D(in_shape, kernels, size, notebook_windows=notebook_windows, dtype=np.float64), rng)
    assert layer.needs_input_delta
    errors = check_layer(layer, rng.standard_normal((3,) + in_shape))
    assert set(errors) == {"input", "weight"}


@pytest.mark.parametrize("in_shape,kernels,size", [((6, 6, 1), 3, 3), ((6, 5, 3), 4, 3), ((5, 7, 2), 2, 2)])
def test_conv2d_with_bias(rng, in_shape, kernels, size):
    """The biases ride in the product as a last row of the kernels (and a 1 ending each window)."""
    layer = randomise(Conv2D(in_shape, kernels, size, bias=True, dtype=np.float64), rng)
    errors = check_layer(layer, rng.standard_normal((3,) + in_shape))
    assert set(errors) == {"input", "weight", "bias"}


def distinct(rng, shape):
    """Values at least .01 apart, so that no difference of EPS changes which one a pooling block keeps."""
    return (rng.permutation(int(np.prod(shape))) * .01 - 1).reshape(shape)


@pytest.mark.parametrize("in_shape,pool", [((4, 6, 3), 2), ((5, 7, 2), 2), ((6, 6, 1), 3), ((7, 8, 2), 3)])
def test_maxpool2d(rng, in_shape, pool):
    check_layer(MaxPool2D(in_shape, pool), distinct(rng, (2,) + in_shape))


def test_maxpool2d_sends_a_tied_block_s_delta_to_one_element(rng):
    layer = MaxPool2D((4, 4, 1))
    x = np.zeros((1, 4, 4, 1))  # every block a four-way tie, as a blank region's outputs are
    out = layer.forward(x)
    delta = layer.backward(np.ones_like(out))
    assert delta.sum() == 4 and set(np.unique(delta)) == {0, 1}


def test_reshape_and_flatten(rng):
    check_layer(Reshape((4, 3, 2)), rng.standard_normal((3, 24)))
    check_layer(Flatten(), rng.standard_normal((3, 4, 3, 2)))


# -- losses --------------------------------------------------------------------------------------------


def test_squared_error_mean(rng):
    output, target = rng.standard_normal((6, 10)), np.eye(10)[rng.integers(0, 10, 6)]
    loss = SquaredError("mean")
    loss.forward(output, target)
    analytic = loss.backward()
    numeric = numeric_gradient(lambda: SquaredError("mean").forward(output, target), output)
    assert rel_error(analytic, numeric) < TOL


def test_squared_error_sum(rng):
    """"sum" reports the same per-image value but its delta is the gradient of the batch's total,
    i.e. of `len(batch) * value`."""
    output, target = rng.standard_normal((6, 10)), np.eye(10)[rng.integers(0, 10, 6)]
    loss = SquaredError("sum")
    value = loss.forward(output, target)
    assert value == pytest.approx(SquaredError("mean").forward(output, target))
    analytic = loss.backward()
    numeric = numeric_gradient(lambda: len(output) * SquaredError("sum").forward(output, target), output)
    assert rel_error(analytic, numeric) < TOL


class Probe(Layer):
    """Identity that records the delta flowing back through it."""

    def forward(self, x, training=False):
        return x

    def backward(self, delta):
        self.delta = delta
        return delta


@pytest.mark.parametrize("twice", [False, True])
def test_softmax_cross_entropy_from_logits(rng, twice):
    """The loss's logit delta, passed through `Sequential.backward(..., from_logits=True)` (which skips the
    softmax's own backward), is the gradient of the mean cross-entropy with respect to the logits; the
    notebook's `divide_by_batch_twice` is that gradient divided once more by the batch size."""
    n = 5
    logits, target = rng.standard_normal((n, 10)) * 2, np.eye(10)[rng.integers(0, 10, n)]
    probe = Probe()
    model = Sequential([Reshape((10,)), probe, Softmax()])
    loss = SoftmaxCrossEntropy(divide_by_batch_twice=twice)
    loss.forward(model.forward(logits.copy()), target)
    model.backward(loss.backward(), from_logits=True)

    numeric = numeric_gradient(lambda: SoftmaxCrossEntropy().forward(model.forward(logits), target), logits)
    assert rel_error(probe.delta * (n if twice else 1), numeric) < TOL


def test_from_logits_needs_a_final_softmax():
    with pytest.raises(ValueError):
        Sequential([Dense(3, 3, dtype=np.float64)]).backward(np.zeros((1, 3)), from_logits=True)


# -- a whole model ---------------------------------------------------------------------------------------


def check_model(model, loss, x, target, from_logits):
    model.forward(x, training=True)
    loss.forward(model.forward(x, training=True), target)
    model.backward(loss.backward(), from_logits=from_logits)
    analytic = {f"{i}.{name}": layer.grads[name].copy()
                for i, layer in enumerate(model.layers) for name in layer.params}
    assert set(analytic) == set(model.state_dict()) and analytic

    def objective():
        return type(loss)(**loss.config()).forward(model.forward(x, training=True), target)

    for name, value in model.parameters():
        error = rel_error(analytic[name], numeric_gradient(objective, value))
        assert error < TOL, f"gradient of {name} off by {error:.2e}"


def test_whole_conv_softmax_model(rng):
    """Reshape -> Conv2D (2 channels) -> Flatten -> Tanh -> Dropout (fixed mask) -> Dense+bias -> Softmax,
    cross-entropy: every parameter's gradient against differences of the loss."""
    n, conv = 4, Conv2D((5, 5, 2), 3, 3, dtype=np.float64)
    hidden = int(np.prod(conv.out_shape))
    mask = (rng.random((n, hidden)) < .5).astype(np.float64)
    model = Sequential([Reshape((5, 5, 2)), randomise(conv, rng), Flatten(), Tanh(),
                        Dropout(.5, FixedMask(mask)), randomise(Dense(hidden, 10, bias=True, dtype=np.float64), rng),
                        Softmax()])
    x, target = rng.standard_normal((n, 50)), np.eye(10)[rng.integers(0, 10, n)]
    check_model(model, SoftmaxCrossEntropy(), x, target, from_logits=True)


def test_whole_drawing_model(rng):
    """The drawing preset's kind of network: two convolutions with biases and max-pooling (before their
    ReLUs), a hidden dense layer, dropout (fixed mask), softmax and cross-entropy."""
    n = 3
    conv_1 = randomise(Conv2D((9, 9, 1), 2, 3, bias=True, dtype=np.float64), rng)
    conv_2 = randomise(Conv2D((3, 3, 2), 3, 2, bias=True, dtype=np.float64), rng)
    mask = (rng.random((n, 5)) < .5).astype(np.float64)
    model = Sequential([Reshape((9, 9, 1)), conv_1, MaxPool2D((7, 7, 2)), ReLU(), conv_2, MaxPool2D((2, 2, 3)),
                        ReLU(), Flatten(), randomise(Dense(3, 5, bias=True, dtype=np.float64), rng), ReLU(),
                        Dropout(.5, FixedMask(mask)), randomise(Dense(5, 10, bias=True, dtype=np.float64), rng),
                        Softmax()])
    x, target = distinct(rng, (n, 81)), np.eye(10)[rng.integers(0, 10, n)]
    check_model(model, SoftmaxCrossEntropy(), x, target, from_logits=True)


def test_whole_relu_squared_error_model(rng):
    """Dense -> ReLU -> Dropout -> Dense -> Tanh -> Dense, squared error (mean)."""
    n = 6
    mask = (rng.random((n, 8)) < .5).astype(np.float64)
    model = Sequential([randomise(Dense(12, 8, dtype=np.float64), rng), ReLU(), Dropout(.5, FixedMask(mask)),
                        randomise(Dense(8, 6, bias=True, dtype=np.float64), rng), Tanh(),
                        randomise(Dense(6, 10, dtype=np.float64), rng)])
    x, target = rng.standard_normal((n, 12)), np.eye(10)[rng.integers(0, 10, n)]
    hidden = model.layers[1].forward(model.layers[0].forward(x))
    assert np.abs(model.layers[0].forward(x)).min() > 1e-4  # no input within EPS of ReLU's kink
    assert (hidden > 0).any() and (hidden == 0).any()
    check_model(model, SquaredError(), x, target, from_logits=False)
