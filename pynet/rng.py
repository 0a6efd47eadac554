"""Random streams for weight initialisation and dropout masks.

Two interchangeable sources with the same small interface:

- `NotebookRandom` replays the notebook exactly: after `np.random.seed(1)` the notebook draws its weights
  with `.2 * np.random.random(shape) - .1` and each dropout mask with `np.random.randint(2, size=shape)`,
  in that order. The presets use it so that pynet and the notebook end with identical weights.
- `GeneratorRandom` uses NumPy's modern `Generator` (PCG64): faster masks, float32 drawn directly, the
  right choice for anything that does not need to match the notebook.
"""
import numpy as np


class NotebookRandom:
    """The legacy global-state stream of `np.random.seed(seed)`, held privately (no global state touched)."""

    kind = "notebook"

    def __init__(self, seed=1):
        self.state = np.random.RandomState(seed)

    def uniform(self, shape, scale, dtype):
        """The notebook's `2*scale * np.random.random(shape) - scale`, e.g. `.2 * r - .1`."""
        return (2 * scale * self.state.random_sample(shape) - scale).astype(dtype, copy=False)

    def keep_mask(self, shape, keep, dtype):
        """1 for kept units, 0 for dropped ones: `np.random.randint(2, size=shape)` when keep is 1/2."""
        if keep == 0.5:
            return self.state.randint(2, size=shape).astype(dtype)
        return (self.state.random_sample(shape) < keep).astype(dtype)


class GeneratorRandom:
    """A `numpy.random.Generator` stream: the default outside notebook parity."""

    kind = "generator"

    def __init__(self, seed=None):
        self.generator = np.random.default_rng(seed)

    def uniform(self, shape, scale, dtype):
        return (2 * scale * self.generator.random(shape) - scale).astype(dtype, copy=False)

    def keep_mask(self, shape, keep, dtype):
        draws = self.generator.random(shape, dtype=np.float32)
        return (draws < keep).astype(dtype)


def make_random(kind, seed):
    """`kind` is "notebook" or "generator"."""
    if kind == "notebook":
        return NotebookRandom(seed)
    if kind == "generator":
        return GeneratorRandom(seed)
    raise ValueError(f"unknown random stream {kind!r}: use 'notebook' or 'generator'")
