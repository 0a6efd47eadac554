"""pynet's presets against the notebook's own training loops (tests/notebook_reference.py).

Same seed, same data, float64, `random="notebook"`: every preset must end with the notebook's weights to
1e-9 (they agree to rounding, ~1e-16 relative: pynet's stable softmax and `input.T.dot(delta)` round
differently from the notebook's `exp(x)/sum` and `delta.T.dot(input).T`, nothing else differs). The
train sizes that are not multiples of the batch size check the notebook's skipped partial batch.
"""
import numpy as np
import pytest

import notebook_reference as nb
from pynet.layers import Dropout
from pynet.presets import PRESETS, make_trainer

# preset -> (train images, iterations, {pynet parameter: notebook weight})
CASES = {
    "linear": (1000, 3, {"0.weight": "weights"}),
    "relu": (1000, 3, {"0.weight": "weights_0_1", "2.weight": "weights_1_2"}),
    "relu-dropout": (1000, 3, {"0.weight": "weights_0_1", "3.weight": "weights_1_2"}),
    "relu-minibatch": (1050, 5, {"0.weight": "weights_0_1", "3.weight": "weights_1_2"}),
    "tanh-softmax": (1050, 5, {"0.weight": "weights_0_1", "3.weight": "weights_1_2"}),
    "conv": (1000, 3, {"1.weight": "kernels", "5.weight": "weights_1_2"}),
    "wide-sgd": (500, 2, {"0.weight": "synapse_0", "3.weight": "synapse_1"}),
    "wide-minibatch": (1050, 5, {"0.weight": "synapse_0", "3.weight": "synapse_1"}),
}


def test_every_preset_is_covered():
    assert set(CASES) == set(PRESETS) == set(nb.LOOPS)


def train_pynet(mnist, name, train_size, iterations, **params):
    train, test = mnist(train_size, 100, np.float64)
    trainer = make_trainer(name, train, test, {"iterations": iterations, "train_size": train_size, **params},
                           dtype=np.float64, random="notebook", eval_every=1000)
    trainer.run()
    assert trainer.state == "done" and trainer.iteration == iterations
    return trainer


def train_notebook(mnist, name, train_size, iterations):
    train, _ = mnist(train_size, 100, np.float64)
    # The notebook's own data: pixels / 255 and one-hot labels.
    images, labels = train.images.copy(), np.eye(10)[train.labels]
    return nb.LOOPS[name][0](images, labels, iterations, seed=1)


def max_abs_diff(trainer, reference, names):
    state = trainer.model.state_dict()
    assert set(state) == set(names), "pynet's parameters changed: update the name map"
    for ours, theirs in names.items():
        assert state[ours].shape == reference[theirs].shape, ours
        assert state[ours].dtype == np.float64
    return max(float(np.abs(state[ours] - reference[theirs]).max()) for ours, theirs in names.items())


@pytest.mark.parametrize("name", list(CASES))
def test_same_weights_as_the_notebook(mnist, name):
    train_size, iterations, names = CASES[name]
    trainer = train_pynet(mnist, name, train_size, iterations)
    reference = train_notebook(mnist, name, train_size, iterations)
    diff = max_abs_diff(trainer, reference, names)
    print(f"{name}: max |pynet - notebook| = {diff:.3g} after {iterations} iterations on {train_size} images")
    assert diff < 1e-9
    # Both drew exactly the same random numbers (weights, then one mask per batch, none for the skipped
    # partial batch): the notebook's global stream and pynet's private one end in the same state.
    dropouts = [layer for layer in trainer.model.layers if isinstance(layer, Dropout)]
    if dropouts:
        ours, theirs = dropouts[0].random.state.get_state(), np.random.get_state()
        assert ours[2] == theirs[2] and np.array_equal(ours[1], theirs[1])
    # The weights really moved: a parity of two untrained models would prove nothing.
    initial = initial_weights(name, train_size)
    assert min(float(np.abs(reference[k] - initial[k]).max()) for k in names.values()) > 1e-4


def initial_weights(name, train_size):
    """The weights before training: the notebook's loop run for zero iterations."""
    return nb.LOOPS[name][0](np.zeros((train_size, 784)), np.zeros((train_size, 10)), 0)


def test_linear_stays_relatively_close_while_diverging(mnist):
    """The linear cell's summed gradient makes its weights grow ~100-1000x per iteration (the notebook's
    quirk), so after a few more iterations an absolute 1e-9 is below their rounding (~1e-16 relative of
    ~1e12): compare relatively there. Absolute parity at 3 iterations is in the test above."""
    trainer = train_pynet(mnist, "linear", 1000, 6)
    reference = train_notebook(mnist, "linear", 1000, 6)
    ours, theirs = trainer.model.state_dict()["0.weight"], reference["weights"]
    assert np.abs(theirs).max() > 1e9  # it does diverge
    assert np.abs(ours - theirs).max() / np.abs(theirs).max() < 1e-12


# presets whose quirks change the maths (relu has none: no dropout, batches of one)
QUIRKY = [name for name in CASES if name != "relu"]
# Iterations to show that quirks=False trains. tanh-softmax and conv keep alpha 2, which with the softmax
# delta divided once (not by batch_size twice) is a 100x (128x) larger step than the notebook's: their loss
# first jumps (to ~20-400) and only then falls, so they get more iterations than the parity runs.
TRAINS_ITERATIONS = {"tanh-softmax": 30, "conv": 5}


@pytest.mark.parametrize("name", QUIRKY)
def test_quirks_false_departs_from_the_notebook_and_trains(mnist, name):
    train_size, iterations, names = CASES[name]
    correct = train_pynet(mnist, name, train_size, iterations, quirks=False)
    reference = train_notebook(mnist, name, train_size, iterations)
    if name == "conv":  # 26x26 windows: the output layer is bigger than the notebook's
        assert correct.model.state_dict()["5.weight"].shape == (26 * 26 * 16, 10)
        assert reference["weights_1_2"].shape == (25 * 25 * 16, 10)
        diff = float(np.abs(correct.model.state_dict()["1.weight"] - reference["kernels"]).max())
    else:
        diff = max_abs_diff(correct, reference, names)
    assert diff > 1e-4, f"quirks=False trained exactly like the notebook (max diff {diff:.3g})"

    # ...and the textbook maths trains: the training loss falls and it beats chance on held-out digits.
    if name in TRAINS_ITERATIONS:
        correct = train_pynet(mnist, name, train_size, TRAINS_ITERATIONS[name], quirks=False)
    losses = [e["train_loss"] for e in correct.history if e["type"] == "iteration"]
    assert np.isfinite(losses).all() and losses[-1] < losses[0], losses
    test = mnist(train_size, 1000, np.float64)[1]
    _, accuracy = correct.evaluate(test.images, test.labels)
    print(f"{name} quirks=False: train loss {losses[0]:.3g} -> {losses[-1]:.3g}, test accuracy {accuracy:.3f}")
    assert accuracy > 0.45, accuracy


def test_relu_has_no_quirks(mnist):
    """The quirks flag changes nothing where the notebook's maths is already right."""
    a = train_pynet(mnist, "relu", 300, 2).model.state_dict()
    b = train_pynet(mnist, "relu", 300, 2, quirks=False).model.state_dict()
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_linear_quirk_diverges_and_its_fix_does_not(mnist):
    """The notebook's linear cell (alpha .01, gradient summed over 1,000 images) blows up; averaged, it trains."""
    train, test = mnist(1000, 100, np.float64)
    quirky = make_trainer("linear", train, test, {"iterations": 100}, dtype=np.float64, eval_every=1000)
    events = quirky.run()
    assert quirky.state == "diverged" and events[-1]["type"] == "diverged"
    correct = make_trainer("linear", train, test, {"iterations": 100, "quirks": False}, dtype=np.float64,
                           eval_every=1000)
    correct.run()
    assert correct.state == "done" and np.isfinite(correct.model.state_dict()["0.weight"]).all()


def test_conv_evaluation_counts_what_the_notebooks_per_image_window_loop_counts(mnist):
    """pynet evaluates the whole test set in batches (im2col by stride tricks); the notebook cuts 625
    windows per image in Python. Same weights, same correct count."""
    trainer = train_pynet(mnist, "conv", 256, 1)
    _, test = mnist(256, 200, np.float64)
    state = trainer.model.state_dict()
    weights = {"kernels": state["1.weight"], "weights_1_2": state["5.weight"]}
    expected = nb.conv_test_correct(test.images, np.eye(10)[test.labels], weights)
    _, accuracy = trainer.evaluate(test.images, test.labels)
    assert round(accuracy * len(test)) == expected
