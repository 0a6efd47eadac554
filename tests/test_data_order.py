"""The order and distortion of the training images: `shuffle` and `augment` in the Trainer and the presets.

A shuffled iteration visits every image once in a new order; the same seed gives the same orders and
the same distorted images, also after an interrupt; the notebook presets keep one order, prepared once.
"""
import io
import json

import numpy as np
import pytest

from pynet import saving

from pynet.augment import DRAWN_DIGITS
from pynet.data import read_digits, split
from pynet.errors import ModelFileError
from pynet.presets import ALL_PRESETS, BEYOND_NOTEBOOK, PARAMS, PRESETS, get, make_trainer
from pynet.trainer import Trainer
from tests.synthetic import synthetic_digits_bytes


@pytest.fixture(scope="module")
def datasets():
    return split(read_digits(synthetic_digits_bytes()), 400, 200)


class Recorder:
    """An augmentation that records what it was given and returns it unchanged."""

    def __init__(self):
        self.batches = []

    def __call__(self, images, random):
        self.batches.append((images.copy(), random.random()))
        return images


def orders(trainer, iterations):
    """The labels' order in each iteration, read from the batches the trainer trains on."""
    seen = []
    for _ in range(iterations):
        labels = np.concatenate([trainer.batch_data(b)[2] for b in range(trainer.batches)])
        seen.append(labels)
        trainer.iteration += 1
    return seen


def tanh_trainer(datasets, **params):
    train, test = datasets
    return make_trainer("tanh-softmax", train, test, {"train_size": 400, "iterations": 3, **params})


def test_shuffle_gives_every_image_once_in_a_new_order_each_iteration(datasets):
    trainer = tanh_trainer(datasets, shuffle=True)
    first = trainer.permutation().copy()
    trainer.iteration = 1
    second = trainer.permutation()
    assert sorted(first) == sorted(second) == list(range(400)) and not np.array_equal(first, second)
    trainer.iteration = 0
    images, goal, labels = trainer.batch_data(1)
    rows = first[100:200]
    assert np.array_equal(images, trainer.train_x[rows]) and np.array_equal(labels, trainer.train_labels[rows])
    assert np.array_equal(goal.argmax(axis=1), labels)  # images, targets and labels stay together


def test_shuffled_orders_repeat_with_the_seed_and_change_with_it(datasets):
    a = orders(tanh_trainer(datasets, shuffle=True, seed=5), 3)
    b = orders(tanh_trainer(datasets, shuffle=True, seed=5), 3)
    c = orders(tanh_trainer(datasets, shuffle=True, seed=6), 3)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


def test_notebook_presets_keep_one_prepared_order(datasets):
    train, test = datasets
    for name, preset in PRESETS.items():
        assert preset.defaults["shuffle"] is False and preset.defaults["augment"] == 0
    trainer = tanh_trainer(datasets)
    assert not trainer.shuffle and trainer.augment is None
    first = orders(trainer, 2)
    assert np.array_equal(first[0], first[1]) and np.array_equal(first[0], train.labels)
    assert trainer.batch_data(0)[0] is trainer.batch_data(0)[0]  # prepared once, kept


def test_a_shuffled_batch_is_not_kept(datasets):
    trainer = tanh_trainer(datasets, shuffle=True)
    trainer.run(max_batches=8)
    assert trainer.inputs == [None] * trainer.batches


def test_shuffled_training_learns_and_repeats_exactly(datasets):
    runs = []
    for _ in range(2):
        trainer = tanh_trainer(datasets, shuffle=True, quirks=False, alpha=0.1, iterations=4)
        trainer.run()
        runs.append(trainer)
    assert runs[0].last_evaluation["test_accuracy"] > 0.9
    for (_, a), (_, b) in zip(runs[0].model.parameters(), runs[1].model.parameters()):
        assert np.array_equal(a, b)
    unshuffled = tanh_trainer(datasets, quirks=False, alpha=0.1, iterations=4)
    unshuffled.run()
    assert not np.array_equal(unshuffled.model.state_dict()["0.weight"], runs[0].model.state_dict()["0.weight"])


def test_augmentation_sees_each_batch_with_its_own_reproducible_draws(datasets):
    train, test = datasets
    records = []
    for _ in range(2):
        recorder = Recorder()
        model = make_trainer("tanh-softmax", train, test, {"train_size": 400}).model
        trainer = Trainer(model, *make_loss_and_optimizer(), train, test, batch_size=100, iterations=2,
                          augment=recorder, seed=3)
        trainer.run()
        records.append(recorder.batches)
    assert len(records[0]) == 8  # 4 batches, 2 iterations
    assert [draw for _, draw in records[0]] == [draw for _, draw in records[1]]
    assert len({draw for _, draw in records[0]}) == 8  # a fresh stream for every batch of every iteration
    for b, (images, _) in enumerate(records[0][:4]):  # unshuffled: the batches in order, labels untouched
        assert np.array_equal(images, trainer.train_x[b * 100:(b + 1) * 100])


def make_loss_and_optimizer():
    from pynet.losses import SoftmaxCrossEntropy
    from pynet.optim import SGD
    return SoftmaxCrossEntropy(), SGD(0.1)


def test_augmented_batches_keep_their_labels(datasets):
    trainer = tanh_trainer(datasets, augment=1.0, shuffle=True)
    assert trainer.augment == DRAWN_DIGITS
    images, goal, labels = trainer.batch_data(2)
    rows = trainer.permutation()[200:300]
    assert np.array_equal(labels, trainer.train_labels[rows]) and np.array_equal(goal.argmax(axis=1), labels)
    assert images.shape == (100, 784) and not np.array_equal(images, trainer.train_x[rows])
    again = trainer.batch_data(2)[0]
    assert np.array_equal(images, again)  # a batch redone (after an interrupt) is the same batch


def test_an_interrupted_batch_is_redone_with_the_same_images(datasets):
    class StopOnce:
        def __init__(self):
            self.calls = 0

        def __call__(self, images, random):
            self.calls += 1
            if self.calls == 3:
                raise KeyboardInterrupt
            return DRAWN_DIGITS(images, random)

    train, test = datasets
    results = []
    for augment in (StopOnce(), DRAWN_DIGITS):
        trainer = tanh_trainer(datasets, shuffle=True)
        trainer.augment = augment
        while not trainer.done:
            trainer.run()
        results.append(trainer.model.state_dict())
    assert all(np.array_equal(results[0][k], results[1][k]) for k in results[0])


def test_strength_scales_the_recipe(datasets):
    assert tanh_trainer(datasets, augment=0.5).augment == DRAWN_DIGITS.scaled(0.5)
    assert PARAMS["augment"].check("augment", 2) == 2.0
    with pytest.raises(Exception, match="augment must be between 0 and 2"):
        get("tanh-softmax").resolve({"augment": 3})
    with pytest.raises(Exception, match="shuffle must be true or false"):
        get("tanh-softmax").resolve({"shuffle": 1})


# -- the drawing preset --------------------------------------------------------------------------------


def test_drawing_is_offered_after_the_notebook_presets_and_its_defaults_are_valid():
    assert list(ALL_PRESETS) == list(PRESETS) + ["drawing"] and set(BEYOND_NOTEBOOK) == {"drawing"}
    preset = get("drawing")
    assert preset.resolve() == preset.defaults
    assert preset.defaults["train_size"] == 8000 and preset.defaults["test_size"] == 2000
    assert preset.defaults["augment"] == 1 and preset.defaults["shuffle"] is True
    assert "quirks" not in preset.defaults
    described = preset.describe()
    assert described["default"] is False and described["cell"] == ""
    assert {name: spec["kind"] for name, spec in described["params"].items()} == \
        {name: PARAMS[name].kind for name in preset.defaults}


def test_drawing_builds_its_network_and_optimiser(datasets):
    train, test = datasets
    trainer = make_trainer("drawing", train, test, {"train_size": 400, "test_size": 200, "iterations": 2})
    names = [type(layer).__name__ for layer in trainer.model.layers]
    assert names == ["Reshape", "Conv2D", "MaxPool2D", "ReLU", "Conv2D", "MaxPool2D", "ReLU", "Flatten",
                     "Dense", "ReLU", "Dropout", "Dense", "Softmax"]
    assert all("bias" in layer.params for layer in trainer.model.layers if layer.params)
    assert type(trainer.optimizer).__name__ == "Adam" and trainer.optimizer.decay_steps == 2 * 8
    assert trainer.shuffle and trainer.augment == DRAWN_DIGITS and trainer.batch_size == 50
    trainer.run()
    assert trainer.state == "done" and trainer.last_evaluation["test_accuracy"] > 0.9
    assert trainer.optimizer.rate(trainer.optimizer.t) == pytest.approx(0.002 * (1 - 0.9 * 15 / 16))


def test_drawing_has_no_notebook_quirks():
    with pytest.raises(Exception, match="drawing has no hyper-parameter quirks"):
        get("drawing").resolve({"quirks": False})


def with_architecture(blob, architecture):
    """A saved model's bytes with its description's architecture replaced."""
    with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
        members = {name: npz[name] for name in npz.files}
    meta = json.loads(str(members["pynet_meta"]))
    members["pynet_meta"] = np.array(json.dumps({**meta, "architecture": architecture}))
    out = io.BytesIO()
    np.savez(out, **members)
    return out.getvalue()


def test_a_drawing_model_saves_and_loads_strictly(datasets):
    train, test = datasets
    trainer = make_trainer("drawing", train, test, {"train_size": 400, "test_size": 200, "iterations": 1})
    trainer.run()
    blob = saving.to_bytes(trainer.model, preset="drawing", params=trainer.params)
    loaded = saving.load(blob)
    assert loaded.model.architecture() == trainer.model.architecture() and loaded.params == trainer.params
    np.testing.assert_array_equal(loaded.model.predict(test.images), trainer.model.predict(test.images))
    # Pooling that does not fit, a convolution too large to allocate, channels that do not match the weights
    for index, change in [(2, {"pool": 0}), (2, {"pool": 30}), (1, {"kernels": 100_000, "kernel_size": 300}),
                          (4, {"in_shape": [13, 13, 7]})]:
        architecture = trainer.model.architecture()
        architecture[index].update(change)
        with pytest.raises(ModelFileError):
            saving.load(with_architecture(blob, architecture))
