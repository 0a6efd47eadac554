"""Stochastic gradient descent as the notebook does it: `weights -= weights_delta * alpha`."""
from .layers import RowGradient


class SGD:
    def __init__(self, alpha):
        self.alpha = alpha

    def step(self, model):
        for layer in model.layers:
            for name, weights in layer.params.items():
                grad = layer.grads[name]
                if isinstance(grad, RowGradient):  # only these rows have a gradient
                    weights[grad.rows] -= grad.values * self.alpha
                else:
                    weights -= grad * self.alpha
