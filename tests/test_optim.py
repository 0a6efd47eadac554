"""Optimisers against their published update rules, written out step by step."""
import numpy as np
import pytest

from pynet.layers import Dense, Layer, RowGradient
from pynet.model import Sequential
from pynet.optim import SGD, Adam, Momentum


class Fixed(Layer):
    """One parameter whose gradient is whatever the test sets."""

    def __init__(self, value):
        super().__init__()
        self.params["weight"] = np.array(value, np.float64)


def steps(optimizer, gradients, start):
    layer = Fixed(start)
    model = Sequential([layer])
    for gradient in gradients:
        layer.grads["weight"] = np.array(gradient, np.float64)
        optimizer.step(model)
    return layer.params["weight"]


GRADIENTS = [[1.0, -2.0], [0.5, 0.0], [-1.0, 3.0]]


def test_sgd():
    assert np.allclose(steps(SGD(0.1), GRADIENTS, [0, 0]), -0.1 * np.sum(GRADIENTS, axis=0))


def test_momentum_follows_its_velocity():
    w, v = np.zeros(2), np.zeros(2)
    for g in np.array(GRADIENTS):
        v = 0.9 * v + g
        w = w - 0.1 * v
    assert np.allclose(steps(Momentum(0.1, 0.9), GRADIENTS, [0, 0]), w)


def test_adam_is_kingma_and_ba_algorithm_1():
    alpha, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    w, m, v = np.zeros(2), np.zeros(2), np.zeros(2)
    for t, g in enumerate(np.array(GRADIENTS), start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        w = w - alpha * m_hat / (np.sqrt(v_hat) + eps)
    # The step size folds the bias corrections in (the paper's section 2), which moves eps by a factor
    # sqrt(1 - b2**t): equal to 1e-6 relative, not to the last bit.
    np.testing.assert_allclose(steps(Adam(alpha, b1, b2, eps), GRADIENTS, [0, 0]), w, rtol=1e-6)
    # Its first step is alpha times the gradient's sign, whatever the gradient's size.
    assert np.allclose(steps(Adam(alpha), [[0.1, -50.0]], [0, 0]), [-alpha, alpha])


def test_adam_minimises_a_quadratic():
    target = np.array([3.0, -1.0])
    layer = Fixed([0.0, 0.0])
    model, adam = Sequential([layer]), Adam(0.1)
    for _ in range(300):
        layer.grads["weight"] = 2 * (layer.params["weight"] - target)
        adam.step(model)
    assert np.allclose(layer.params["weight"], target, atol=1e-2)


@pytest.mark.parametrize("optimizer", [Momentum(0.05), Adam(0.01)])
def test_float32_parameters_stay_float32(optimizer):
    layer = Dense(3, 2, bias=True, dtype=np.float32)
    model = Sequential([layer])
    for _ in range(2):
        layer.forward(np.ones((4, 3), np.float32))
        layer.backward(np.ones((4, 2), np.float32))
        optimizer.step(model)
    assert all(value.dtype == np.float32 for value in layer.params.values())
    assert all(state.dtype == np.float32 for pair in getattr(optimizer, "moments", {}).values() for state in pair)


@pytest.mark.parametrize("make", [lambda: Momentum(0.1), lambda: Adam(0.01)])
def test_a_row_gradient_counts_as_zero_elsewhere(make):
    """A sparse-input layer's gradient (only the inked rows): the velocity or moments of the other rows
    still decay, as they would with the full gradient."""
    full, sparse = Fixed(np.zeros((4, 2))), Fixed(np.zeros((4, 2)))
    a, b = make(), make()
    for values, rows in [(np.ones((2, 2)), [0, 2]), (np.full((1, 2), -2.0), [3])]:
        dense = np.zeros((4, 2))
        dense[rows] = values
        full.grads["weight"], sparse.grads["weight"] = dense, RowGradient(np.array(rows), values, (4, 2))
        a.step(Sequential([full]))
        b.step(Sequential([sparse]))
    assert np.array_equal(full.params["weight"], sparse.params["weight"])
    assert np.abs(full.params["weight"][2]).min() > 0 and full.params["weight"][1].max() == 0


def test_invalid_settings_are_refused():
    with pytest.raises(ValueError):
        Momentum(0.1, momentum=1.0)
    with pytest.raises(ValueError):
        Adam(beta1=1.0)


def test_adam_step_size_decays_linearly_then_stays():
    adam = Adam(0.01, decay_steps=4, decay_to=0.1)
    assert [adam.rate(t) for t in range(1, 7)] == pytest.approx([0.01, 0.00775, 0.0055, 0.00325, 0.001, 0.001])
    assert Adam(0.01).rate(1000) == 0.01
    first = steps(Adam(0.01, decay_steps=4, decay_to=0.1), [[1.0]], [0.0])
    assert first == pytest.approx(-0.01)  # the first step is alpha's
