"""Full-length training of the notebook's best networks: pynet reaches the notebook's test accuracy.

The default split (first 1,000 training and 1,000 test digits), each preset's default hyper-parameters and
seed, float32 (the default dtype) and the notebook's random stream. The notebook reports ~84% (tanh-softmax),
~81% (conv) and ~81% (relu-dropout) on its own 1,000/1,000 digits; the floors leave room for a different
sample of MNIST. Intermediate evaluations are skipped (`eval_every`): the final one is what is checked.
Run time, natively: ~1 s, ~25 s and ~15 s.
"""
import time

import numpy as np
import pytest

from pynet.presets import make_trainer

FLOORS = {"tanh-softmax": 0.80, "conv": 0.80, "relu-dropout": 0.75}
NOTEBOOK = {"tanh-softmax": 0.844, "conv": 0.81, "relu-dropout": 0.81}  # as printed in the notebook


@pytest.mark.slow
@pytest.mark.parametrize("name", list(FLOORS))
def test_reaches_the_notebooks_accuracy(mnist, name):
    train, test = mnist(1000, 1000)
    trainer = make_trainer(name, train, test, eval_every=100000)
    assert trainer.model.dtype == np.float32 and trainer.iterations == 300
    started = time.perf_counter()
    events = trainer.run()
    seconds = time.perf_counter() - started
    assert trainer.state == "done", events[-1]
    done = events[-1]
    print(f"\n{name}: test accuracy {done['test_accuracy']:.3f} (floor {FLOORS[name]:.2f}, notebook "
          f"~{NOTEBOOK[name]:.2f}), train accuracy {done['train_accuracy']:.3f}, "
          f"{trainer.iterations} iterations in {seconds:.1f} s")
    assert done["test_accuracy"] >= FLOORS[name]


@pytest.mark.slow
def test_drawing_reaches_98_percent_on_the_held_out_digits(mnist):
    """The drawing preset's default training (all 8,000 training digits, augmented and shuffled, ten
    iterations) on the 2,000 held-out digits: the issue's goal is 98%. It reaches ~98.9% with seed 1."""
    train, test = mnist(8000, 2000)
    trainer = make_trainer("drawing", train, test, eval_every=100000)
    started = time.perf_counter()
    trainer.run()
    done = trainer.last_evaluation
    print(f"\ndrawing: test accuracy {done['test_accuracy']:.4f}, train accuracy {done['train_accuracy']:.3f}, "
          f"{trainer.iterations} iterations in {time.perf_counter() - started:.1f} s")
    assert trainer.state == "done" and done["test_accuracy"] >= 0.98
