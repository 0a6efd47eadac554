"""Optimisers: each `step(model)` moves every parameter against its gradient, in place.

- `SGD` is the notebook's `weights -= weights_delta * alpha`.
- `Momentum` keeps a velocity, a running sum of past gradients, and steps along it: the step keeps its
  direction across batches whose gradients disagree in the noise (Polyak, 1964; Sutskever et al., "On the
  importance of initialization and momentum in deep learning", 2013, eq. 1-2).
- `Adam` scales each parameter's step by running estimates of its gradient's first and second moments
  (Kingma and Ba, "Adam: a method for stochastic optimization", 2015, Algorithm 1), so one learning rate
  suits layers whose gradients differ by orders of magnitude: a convolution's kernels and a dense layer.

Their state (velocities, moments, step count) belongs to the model they were first given, kept per
parameter under its (layer index, name).
"""
import math

import numpy as np

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


def gradients(model):
    """`[(key, weights, gradient)]` for every parameter, a `RowGradient` made whole: a velocity or a
    moment decays in every row, also where this batch has no gradient."""
    return [((i, name), weights, np.asarray(layer.grads[name]))
            for i, layer in enumerate(model.layers) for name, weights in layer.params.items()]


class Momentum:
    """`velocity = momentum * velocity + gradient; weights -= alpha * velocity`."""

    def __init__(self, alpha, momentum=0.9):
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum}")
        self.alpha, self.momentum = alpha, momentum
        self.velocity = {}

    def step(self, model):
        for key, weights, grad in gradients(model):
            velocity = self.velocity.get(key)
            if velocity is None:
                velocity = self.velocity[key] = np.zeros_like(weights)
            velocity *= self.momentum
            velocity += grad
            weights -= self.alpha * velocity


class Adam:
    """Kingma and Ba's Algorithm 1, its bias corrections folded into the step size (their section 2's
    "more efficient" ordering): `m = b1 m + (1 - b1) g`, `v = b2 v + (1 - b2) g**2`,
    `weights -= alpha_t * sqrt(1 - b2**t) / (1 - b1**t) * m / (sqrt(v) + eps)`.

    `alpha_t` is `alpha`, or with `decay_steps` it falls linearly to `decay_to * alpha` over that many
    steps and stays there: large steps while far from a minimum, small ones to settle in it."""

    def __init__(self, alpha=0.001, beta1=0.9, beta2=0.999, eps=1e-8, decay_steps=0, decay_to=1.0):
        if not (0 <= beta1 < 1 and 0 <= beta2 < 1):
            raise ValueError(f"Adam's betas must be in [0, 1), got {beta1} and {beta2}")
        self.alpha, self.beta1, self.beta2, self.eps = alpha, beta1, beta2, eps
        self.decay_steps, self.decay_to = int(decay_steps), float(decay_to)
        self.moments = {}  # key -> (m, v)
        self.t = 0

    def rate(self, t):
        """alpha_t for step t (from 1)."""
        if not self.decay_steps:
            return self.alpha
        return self.alpha * (1 - (1 - self.decay_to) * min((t - 1) / self.decay_steps, 1))

    def step(self, model):
        t = self.t + 1
        # A Python float: a NumPy float64 scalar would make float32 parameters' updates float64.
        size = self.rate(t) * math.sqrt(1 - self.beta2 ** t) / (1 - self.beta1 ** t)
        for key, weights, grad in gradients(model):
            if key not in self.moments:
                self.moments[key] = (np.zeros_like(weights), np.zeros_like(weights))
            m, v = self.moments[key]
            m *= self.beta1
            m += (1 - self.beta1) * grad
            v *= self.beta2
            v += (1 - self.beta2) * grad * grad
            weights -= (size * m) / (np.sqrt(v) + self.eps)
        self.t = t
