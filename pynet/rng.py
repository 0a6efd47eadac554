"""Random streams for weight initialisation and dropout masks.

Two interchangeable sources with the same small interface:

- `NotebookRandom` replays the notebook exactly: after `np.random.seed(1)` the notebook draws its weights
  with `.2 * np.random.random(shape) - .1` and each dropout mask with `np.random.randint(2, size=shape)`,
  in that order. The presets use it so that pynet and the notebook end with identical weights.
- `GeneratorRandom` uses NumPy's modern `Generator` (PCG64): faster masks, float32 drawn directly, the
  right choice for anything that does not need to match the notebook.

A training step that an interrupt cuts short must leave the stream as it found it (pynet/trainer.py). Saving
and restoring the notebook's MT19937 state costs more than a whole per-image step, so instead a step's
draws are a transaction: `begin()`, then `commit()` once the step is applied, or `give_back()` if it is
abandoned. Draws given back are handed out again, in order, to the same requests when the step is retried,
so the stream goes on exactly as if the abandoned step had never drawn. Every draw goes through `take`.
"""
import numpy as np

from .interrupts import gate


class Stream:
    """What both streams share: the transaction of a step's draws."""

    def __init__(self):
        self.taken = None     # [(request, value)] drawn since `begin()`, or None outside a step
        self.returned = []    # draws given back, handed out first

    def take(self, request, draw):
        """The value for `request` (a tuple naming the draw): one given back for the same request, or
        `draw()`. A different request than the one given back means the abandoned step was not retried:
        its draws are dropped. A draw and its note go together: an interrupt between would lose the draw."""
        with gate.held():
            if self.returned:
                asked, value = self.returned.pop(0)
                if asked != request:
                    self.returned.clear()
                    value = draw()
            else:
                value = draw()
            if self.taken is not None:
                self.taken.append((request, value))
        return value

    def begin(self):
        self.give_back()  # a step abandoned without `give_back()` (the interrupt cut that too)
        self.taken = []

    def commit(self):
        self.taken = None

    def give_back(self):
        if self.taken:
            self.returned = self.taken + self.returned
        self.taken = None


class NotebookRandom(Stream):
    """The legacy global-state stream of `np.random.seed(seed)`, held privately (no global state touched)."""

    kind = "notebook"

    def __init__(self, seed=1):
        super().__init__()
        self.state = np.random.RandomState(seed)

    def uniform(self, shape, scale, dtype):
        """The notebook's `2*scale * np.random.random(shape) - scale`, e.g. `.2 * r - .1`."""
        return self.take(("uniform", shape, scale, dtype), lambda: (
            2 * scale * self.state.random_sample(shape) - scale).astype(dtype, copy=False))

    def keep_mask(self, shape, keep, dtype):
        """1 for kept units, 0 for dropped ones: `np.random.randint(2, size=shape)` when keep is 1/2."""
        if keep == 0.5:
            return self.take(("mask", shape, keep, dtype), lambda: self.state.randint(2, size=shape).astype(dtype))
        return self.take(("mask", shape, keep, dtype), lambda: (self.state.random_sample(shape) < keep).astype(dtype))


class GeneratorRandom(Stream):
    """A `numpy.random.Generator` stream: the default outside notebook parity."""

    kind = "generator"

    def __init__(self, seed=None):
        super().__init__()
        self.generator = np.random.default_rng(seed)

    def uniform(self, shape, scale, dtype):
        return self.take(("uniform", shape, scale, dtype), lambda: (
            2 * scale * self.generator.random(shape) - scale).astype(dtype, copy=False))

    def keep_mask(self, shape, keep, dtype):
        return self.take(("mask", shape, keep, dtype), lambda: (
            self.generator.random(shape, dtype=np.float32) < keep).astype(dtype))


def make_random(kind, seed):
    """`kind` is "notebook" or "generator"."""
    if kind == "notebook":
        return NotebookRandom(seed)
    if kind == "generator":
        return GeneratorRandom(seed)
    raise ValueError(f"unknown random stream {kind!r}: use 'notebook' or 'generator'")
