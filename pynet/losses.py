"""Losses: `forward(output, target)` gives the loss of a batch, `backward()` the delta of the output.

Both average over the batch, so the learning rate does not depend on the batch size; the notebook's
per-image cells are the batch-of-one case, where the delta is exactly its `layer_2 - goal`.
"""
import numpy as np


class SquaredError:
    """Half the summed squared error of an image, averaged over the batch.

    Its delta is the notebook's `layer_2_delta = (layer_2 - goal) / batch_size`. `reduction="sum"` adds
    over the batch instead of averaging: the notebook's full-batch linear cell does that (its weight update
    is `delta.T.dot(input)` with no division), which is why that cell diverges on 1,000 images at alpha .01.
    """

    name = "squared error"

    def __init__(self, reduction="mean"):
        if reduction not in ("mean", "sum"):
            raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
        self.reduction = reduction

    def forward(self, output, target):
        # The value reported is always the per-image mean, whatever the reduction of the delta.
        self.delta = output - target
        return float(np.sum(self.delta ** 2)) / (2 * len(output))

    def backward(self):
        if self.reduction == "mean":
            return self.delta / len(self.delta)
        return self.delta

    def config(self):
        return {"reduction": self.reduction}


class SoftmaxCrossEntropy:
    """Cross-entropy of softmax probabilities, averaged over the batch.

    `forward` takes the probabilities (the output of a final `Softmax` layer); `backward` returns the delta
    of the *logits* below it, `(probabilities - target) / n`, the well-conditioned form that skips the
    softmax Jacobian (`Sequential.backward(..., from_logits=True)`).

    `divide_by_batch_twice=True` is the notebook's quirk `(layer_2 - goal) / (batch_size * layer_2.shape[0])`:
    the same direction, a learning rate divided by the batch size (alpha 2 behaves as .02).
    """

    name = "cross-entropy"
    returns_logit_delta = True

    def __init__(self, divide_by_batch_twice=False):
        self.divide_by_batch_twice = bool(divide_by_batch_twice)

    def forward(self, probabilities, target):
        self.probabilities, self.target = probabilities, target
        tiny = np.finfo(probabilities.dtype).tiny
        return float(-np.sum(target * np.log(np.maximum(probabilities, tiny)))) / len(target)

    def backward(self):
        n = len(self.target)
        divisor = n * n if self.divide_by_batch_twice else n
        return (self.probabilities - self.target) / divisor

    def config(self):
        return {"divide_by_batch_twice": self.divide_by_batch_twice}


LOSS_TYPES = {cls.__name__: cls for cls in (SquaredError, SoftmaxCrossEntropy)}
