"""A sequential model: layers applied in order, deltas passed back in reverse order."""
import numpy as np

from .layers import LAYER_TYPES, Softmax


class Sequential:
    def __init__(self, layers):
        self.layers = list(layers)
        # Deltas are only needed down to the first layer with parameters (the notebook never computes
        # `layer_0_delta`): that layer skips its input delta, and the layers below it (a reshape) are
        # not visited at all.
        weighted = [i for i, layer in enumerate(self.layers) if layer.params]
        self.first_weighted = weighted[0] if weighted else 0
        for layer in self.layers[:self.first_weighted + 1]:
            layer.needs_input_delta = False

    def forward(self, x, training=False):
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def prepare(self, x):
        """`x` made ready once for the first layer, for an input fed many times (see `Layer.prepare`)."""
        return self.layers[0].prepare(x) if self.layers else x

    def backward(self, delta, from_logits=False):
        """`from_logits`: `delta` is already the delta of the final softmax's input (see
        `SoftmaxCrossEntropy`), so that softmax's own backward is skipped."""
        layers = self.layers[self.first_weighted:]
        if from_logits:
            if not isinstance(layers[-1], Softmax):
                raise ValueError("a logit delta needs a model ending in Softmax")
            layers = layers[:-1]
        for layer in reversed(layers):
            delta = layer.backward(delta)

    def predict(self, x, batch_size=256):
        """Outputs for many inputs, in chunks so that memory stays bounded (a conv layer's activations are
        10,000 numbers per image)."""
        chunks = [self.forward(x[i:i + batch_size]) for i in range(0, len(x), batch_size)]
        return np.concatenate(chunks) if chunks else np.zeros((0, 0), x.dtype)

    def parameters(self):
        """`[(name, array)]` in layer order, named `"<layer index>.<param>"`, e.g. `"3.weight"`."""
        return [(f"{i}.{name}", value) for i, layer in enumerate(self.layers)
                for name, value in layer.params.items()]

    def state_dict(self):
        return dict(self.parameters())

    def load_state_dict(self, state):
        """Copy arrays into the parameters: all names must be present, shapes must match."""
        expected = self.state_dict()
        if set(state) != set(expected):
            missing, extra = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
            raise ValueError(f"parameters do not match the architecture (missing {missing}, unexpected {extra})")
        for name, value in state.items():
            if value.shape != expected[name].shape:
                raise ValueError(f"parameter {name} has shape {value.shape}, the architecture needs {expected[name].shape}")
        for i, layer in enumerate(self.layers):
            for name in layer.params:
                layer.params[name] = np.array(state[f"{i}.{name}"], dtype=layer.params[name].dtype)

    @property
    def dtype(self):
        params = self.parameters()
        return params[0][1].dtype if params else np.dtype(np.float32)

    @property
    def parameter_count(self):
        return int(sum(value.size for _, value in self.parameters()))

    def architecture(self):
        """Plain-JSON description: `[{"type": "Dense", "n_in": 784, ...}, ...]`."""
        return [{"type": type(layer).__name__, **layer.config()} for layer in self.layers]

    @classmethod
    def from_architecture(cls, architecture, dtype=np.float32, random=None):
        layers = []
        for spec in architecture:
            spec = dict(spec)
            layer_type = LAYER_TYPES[spec.pop("type")]
            if layer_type.__name__ in ("Dense", "Conv2D"):
                spec["dtype"] = dtype
            if layer_type.__name__ == "Dropout":
                spec["random"] = random
            layers.append(layer_type(**spec))
        return cls(layers)

    def summary(self):
        return [repr(layer) for layer in self.layers]
