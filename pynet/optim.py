"""Stochastic gradient descent as the notebook does it: `weights -= weights_delta * alpha`."""


class SGD:
    def __init__(self, alpha):
        self.alpha = alpha

    def step(self, model):
        for layer in model.layers:
            for name, weights in layer.params.items():
                weights -= layer.grads[name] * self.alpha
