"""Dense(sparse_input=True): blank input columns are skipped, and nothing else changes."""
import numpy as np
import pytest

from pynet.layers import Dense, RowGradient
from pynet.model import Sequential
from pynet.optim import SGD


def blank_columns_batch(rows, cols=40, ink=8, seed=0):
    rng = np.random.default_rng(seed)
    x = np.zeros((rows, cols))
    x[:, rng.choice(cols, ink, replace=False)] = rng.random((rows, ink))
    return x


def dense_pair(seed=1, n_in=40, n_out=7):
    weights = np.random.default_rng(seed).normal(size=(n_in, n_out))
    layers = []
    for sparse in (False, True):
        layer = Dense(n_in, n_out, bias=True, sparse_input=sparse, dtype=np.float64)
        layer.params["weight"] = weights.copy()
        layers.append(layer)
    return layers


@pytest.mark.parametrize("rows", [1, 5])
def test_sparse_path_gives_the_same_output_gradients_and_update(rows):
    x = blank_columns_batch(rows)
    delta = np.random.default_rng(2).normal(size=(rows, 7))
    dense, sparse = dense_pair()
    np.testing.assert_allclose(sparse.forward(x), dense.forward(x), rtol=1e-13)
    np.testing.assert_allclose(sparse.backward(delta), dense.backward(delta), rtol=1e-13)
    assert isinstance(sparse.grads["weight"], RowGradient)  # the sparse path was really taken
    assert len(sparse.grads["weight"].rows) == 8
    np.testing.assert_allclose(np.asarray(sparse.grads["weight"]), dense.grads["weight"], rtol=1e-13)
    for layer in (dense, sparse):
        SGD(0.1).step(Sequential([layer]))
    np.testing.assert_allclose(sparse.params["weight"], dense.params["weight"], rtol=1e-13)


def test_row_gradient_matches_finite_differences():
    x = blank_columns_batch(3)
    layer = Dense(40, 7, sparse_input=True, dtype=np.float64)
    layer.params["weight"] = np.random.default_rng(3).normal(size=(40, 7))
    projection = np.random.default_rng(4).normal(size=(3, 7))
    layer.forward(x)
    layer.backward(projection)
    analytic = np.asarray(layer.grads["weight"])
    numeric = np.zeros_like(analytic)
    weights = layer.params["weight"]
    for i in range(40):
        for j in range(7):
            saved = weights[i, j]
            weights[i, j] = saved + 1e-6
            up = np.sum(layer.forward(x) * projection)
            weights[i, j] = saved - 1e-6
            down = np.sum(layer.forward(x) * projection)
            weights[i, j] = saved
            numeric[i, j] = (up - down) / 2e-6
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


def test_dense_inputs_take_the_ordinary_path():
    _, sparse = dense_pair()
    x = np.random.default_rng(5).random((4, 40)) + 0.1
    sparse.forward(x)
    sparse.backward(np.ones((4, 7)))
    assert sparse.rows is None and isinstance(sparse.grads["weight"], np.ndarray)


@pytest.mark.parametrize("sparse_input", [False, True])
def test_a_prepared_batch_trains_exactly_as_the_raw_one(sparse_input):
    # The trainer prepares each batch once (inked columns cut, both layouts copied row-major) and feeds
    # it every iteration: same numbers as the batch itself, whichever path the layer takes.
    x = blank_columns_batch(6)
    delta = np.random.default_rng(6).normal(size=(6, 7))
    raw, prepared = dense_pair()[int(sparse_input)], dense_pair()[int(sparse_input)]
    batch = prepared.prepare(x)
    assert batch.x.array.flags.c_contiguous and batch.x_t.array.flags.c_contiguous
    assert (batch.rows is not None) == sparse_input
    for _ in range(2):  # the same prepared batch, fed twice, as over two iterations
        np.testing.assert_array_equal(prepared.forward(batch), raw.forward(x))
        np.testing.assert_array_equal(prepared.backward(delta), raw.backward(delta))
        np.testing.assert_array_equal(np.asarray(prepared.grads["weight"]), np.asarray(raw.grads["weight"]))
        for layer in (raw, prepared):
            SGD(0.1).step(Sequential([layer]))
    np.testing.assert_array_equal(prepared.params["weight"], raw.params["weight"])
