"""A layer a person writes in the code panel, in plain NumPy, and where it goes in a preset's cell: for the
unit tests (tests/test_codecell.py) and the page's (tests/e2e/test_code.py)."""

SCALE_LAYER = '''
from pynet.layers import Layer


class Scale(Layer):
    """A learned scale per unit."""

    def __init__(self, n):
        super().__init__()
        self.params["scale"] = np.ones(n, np.float32)

    def forward(self, x, training=False):
        self.input = x
        return x * self.params["scale"]

    def backward(self, delta):
        self.grads["scale"] = (delta * self.input).sum(axis=0)
        return delta * self.params["scale"]

'''
SCALE_PARAMETERS = 100  # with the tanh-softmax cell's 100 hidden units


def with_scale_layer(cell):
    """The tanh-softmax cell with `Scale(hidden_size)` before its Tanh."""
    cell = cell.replace("\nmodel = Sequential", SCALE_LAYER + "\nmodel = Sequential")
    return cell.replace("    Tanh(),\n", "    Scale(hidden_size),\n    Tanh(),\n")
