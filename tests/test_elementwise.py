"""pynet.elementwise: a large float32 tanh by a host's sigmoid (the worker's XNNPACK), NumPy's otherwise."""
import numpy as np
import pytest

from tests.host_matmul import SigmoidMatmul, as_matrix, numpy_sigmoid
from pynet import Tanh, elementwise


@pytest.fixture(autouse=True)
def numpy_again():
    yield
    elementwise.use_numpy()


def hidden_layer(rows=128, seed=0, units=625):
    """conv's hidden layer before its tanh: `rows` images of `units` values."""
    return (np.random.default_rng(seed).standard_normal((rows, units)) * 2).astype(np.float32)


def test_without_a_host_tanh_is_numpys():
    x = hidden_layer()
    assert elementwise.backend() == "numpy"
    np.testing.assert_array_equal(elementwise.tanh(x), np.tanh(x))


def test_a_host_sigmoid_does_the_large_float32_tanhs():
    host = SigmoidMatmul()
    assert elementwise.use_sigmoid(host.sigmoid, "xnnpack") and elementwise.backend() == "xnnpack"
    host.sizes.clear()  # the self-check's calls
    x = hidden_layer()
    strided = x[:, ::2]
    for array in (x, strided):
        got = elementwise.tanh(array)
        assert got.shape == array.shape and got.dtype == np.float32
        np.testing.assert_allclose(got, np.tanh(array), rtol=0, atol=elementwise.TOLERANCE)
    assert host.sizes == [x.size, strided.size]
    np.testing.assert_array_equal(x, hidden_layer())  # the input is left as it was


def test_small_arrays_and_float64_keep_numpys_tanh():
    host = SigmoidMatmul()
    assert elementwise.use_sigmoid(host.sigmoid)
    host.sizes.clear()
    small = hidden_layer(1, seed=1, units=elementwise.MIN_ELEMENTS - 1)
    wide = hidden_layer().astype(np.float64)
    np.testing.assert_array_equal(elementwise.tanh(small), np.tanh(small))
    np.testing.assert_array_equal(elementwise.tanh(wide), np.tanh(wide))
    assert host.sizes == []


@pytest.mark.parametrize("broken", [
    lambda x, out, size: None,                                          # writes nothing
    lambda x, out, size: as_matrix(out, 1, size).fill(0.5),             # a constant
    lambda x, out, size: numpy_sigmoid(x, out, size // 2),              # half the elements
    lambda x, out, size: 1 / 0,                                         # fails
])
def test_a_wrong_sigmoid_is_refused(broken):
    assert not elementwise.use_sigmoid(broken, "xnnpack")
    assert elementwise.backend() == "numpy"
    x = hidden_layer()
    np.testing.assert_array_equal(elementwise.tanh(x), np.tanh(x))


def test_the_tanh_layer_goes_through_it_and_keeps_its_derivative():
    host = SigmoidMatmul()
    assert elementwise.use_sigmoid(host.sigmoid)
    host.sizes.clear()
    layer, x = Tanh(), hidden_layer()
    out = layer.forward(x)
    assert host.sizes == [x.size]
    delta = np.ones_like(x)
    np.testing.assert_allclose(layer.backward(delta), 1 - np.tanh(x) ** 2, rtol=0, atol=3 * elementwise.TOLERANCE)
    np.testing.assert_allclose(out, np.tanh(x), rtol=0, atol=elementwise.TOLERANCE)
