"""Unit behaviour of layers, trainer and preset parameters (gradients: test_gradients.py; notebook parity:
test_parity.py)."""
import numpy as np
import pytest

from pynet.errors import ConfigError, PynetError
from pynet.layers import Conv2D, Dense, DenseInput, Dropout, Flatten, ReLU, Reshape, Softmax, Tanh
from pynet.losses import SoftmaxCrossEntropy, SquaredError
from pynet.model import Sequential
from pynet.presets import PARAMS, PRESETS, make_trainer
from pynet.rng import GeneratorRandom, NotebookRandom, make_random


@pytest.fixture
def rng():
    return np.random.default_rng(7)


# -- shapes ----------------------------------------------------------------------------------------------


def test_dense_shapes_and_first_layer_skips_input_delta(rng):
    dense = Dense(6, 4, bias=True, dtype=np.float64)
    assert dense.params["weight"].shape == (6, 4) and dense.params["bias"].shape == (4,)
    x = rng.standard_normal((3, 6))
    assert dense.forward(x).shape == (3, 4)
    assert dense.backward(np.ones((3, 4))).shape == (3, 6)
    assert dense.grads["weight"].shape == (6, 4) and dense.grads["bias"].shape == (4,)
    model = Sequential([Dense(6, 4, dtype=np.float64), ReLU(), Dense(4, 2, dtype=np.float64)])
    assert not model.layers[0].needs_input_delta and model.layers[2].needs_input_delta
    model.forward(x)
    assert model.layers[0].backward(np.ones((3, 4))) is None  # the notebook never computes layer_0_delta


@pytest.mark.parametrize("notebook_windows,side", [(True, 25), (False, 26)])
def test_conv_window_counts(rng, notebook_windows, side):
    """The notebook's `range(28 - 3)` gives 25 windows per axis, a valid 3x3 convolution 26."""
    conv = Conv2D((28, 28, 1), 16, 3, notebook_windows=notebook_windows, dtype=np.float64)
    assert conv.out_shape == (side, side, 16)
    x = rng.random((2, 28, 28, 1))
    assert conv.windows(x).shape == (2 * side * side, 9)
    assert conv.forward(x).shape == (2, side, side, 16)
    assert conv.backward(np.ones((2, side, side, 16))).shape == x.shape


def test_conv_notebook_windows_are_the_notebooks(rng):
    """Row for row the notebook's `flattened_input` (get_image_section over 25x25 windows, concatenated)."""
    images = rng.random((3, 784))
    layer_0 = images.reshape(-1, 28, 28)
    sects = [layer_0[:, r:r + 3, c:c + 3].reshape(-1, 1, 3, 3) for r in range(28 - 3) for c in range(28 - 3)]
    expanded_input = np.concatenate(sects, axis=1)
    flattened_input = expanded_input.reshape(expanded_input.shape[0] * expanded_input.shape[1], -1)
    conv = Conv2D((28, 28, 1), 16, 3, notebook_windows=True, dtype=np.float64)
    assert np.array_equal(conv.windows(images.reshape(-1, 28, 28, 1)), flattened_input)


def test_conv_valid_windows_are_a_convolution(rng):
    """notebook_windows=False: every valid position, several channels, against explicit loops."""
    h, w, c, k, kernels = 7, 6, 3, 3, 4
    conv = Conv2D((h, w, c), kernels, k, dtype=np.float64)
    conv.params["weight"] = rng.standard_normal((k * k * c, kernels))
    x = rng.standard_normal((2, h, w, c))
    kernel = conv.params["weight"].reshape(k, k, c, kernels)  # rows in (row, column, channel) order
    expected = np.zeros((2, h - k + 1, w - k + 1, kernels))
    for i in range(h - k + 1):
        for j in range(w - k + 1):
            expected[:, i, j, :] = np.einsum("nabc,abck->nk", x[:, i:i + k, j:j + k, :], kernel)
    assert np.allclose(conv.forward(x), expected, rtol=1e-12, atol=1e-12)


def test_reshape_flatten_shapes_and_views(rng):
    x = rng.random((4, 784))
    image = Reshape((28, 28, 1)).forward(x)
    assert image.shape == (4, 28, 28, 1)
    flat = Flatten()
    out = flat.forward(image)
    assert out.shape == (4, 784) and np.shares_memory(out, x)  # a view: in-place dropout reaches back
    assert flat.backward(np.ones((4, 784))).shape == (4, 28, 28, 1)


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_models_map_images_to_ten_outputs(mnist, name):
    train, test = mnist(200, 50)
    trainer = make_trainer(name, train, test, {"iterations": 1})
    assert trainer.model.predict(test.images).shape == (50, 10)


# -- dropout ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [0.5, 0.2, 0.8])
def test_dropout_statistics_and_inverted_scaling(rate):
    layer = Dropout(rate, GeneratorRandom(3))
    x = np.ones((400, 500))
    out = layer.forward(x, training=True)
    kept = out != 0
    n = kept.size
    assert abs(kept.mean() - (1 - rate)) < 5 * np.sqrt(rate * (1 - rate) / n)  # binomial, 5 sigma
    assert np.allclose(out[kept], 1 / (1 - rate))  # survivors scaled up...
    assert abs(out.mean() - 1) < 0.02  # ...so the expected activation is unchanged
    assert np.array_equal(x, np.ones_like(x))  # correct mode does not touch its input
    delta = layer.backward(np.ones_like(x))
    assert np.array_equal(delta, out)  # backward scales exactly like forward


def test_dropout_is_the_identity_at_test_time(rng):
    layer = Dropout(.5, GeneratorRandom(1))
    x = rng.standard_normal((5, 7))
    out = layer.forward(x, training=False)
    assert np.array_equal(out, x) and layer.mask is None
    assert np.array_equal(layer.backward(x), x)
    assert np.array_equal(Dropout(0.0, None).forward(x, training=True), x)  # rate 0 trains as identity


@pytest.mark.parametrize("rate", [1, 1.5, -0.1])
def test_dropout_rejects_bad_rates(rate):
    with pytest.raises(ValueError):
        Dropout(rate, None)


def test_notebook_random_replays_np_random_seed():
    ours = NotebookRandom(1)
    np.random.seed(1)
    assert np.array_equal(ours.uniform((3, 4), .1, np.float64), .2 * np.random.random((3, 4)) - .1)
    assert np.array_equal(ours.keep_mask((2, 5), .5, np.float64), np.random.randint(2, size=(2, 5)))
    assert ours.keep_mask((2, 5), .5, np.float32).dtype == np.float32
    assert make_random("notebook", 1).kind == "notebook" and make_random("generator", 1).kind == "generator"
    with pytest.raises(ValueError):
        make_random("mersenne", 1)


def test_notebook_dropout_works_in_place(rng):
    """`layer_1 *= dropout_mask * 2`: the tanh output the derivative is taken from is the dropped, doubled
    one (`1 - (2h)**2`), and the backward multiplies by the mask alone (`layer_1_delta *= dropout_mask`)."""
    x = rng.standard_normal((4, 50)) * .3
    mask = (rng.random(x.shape) < .5).astype(np.float64)
    tanh = Tanh()
    h = tanh.forward(x)
    clean = h.copy()
    dropout = Dropout(.5, _Fixed(mask), notebook=True)
    out = dropout.forward(h, training=True)
    assert out is h  # in place
    assert np.array_equal(tanh.output, clean * mask * 2)  # the cached output changed too
    delta = rng.standard_normal(x.shape)
    back = tanh.backward(dropout.backward(delta))
    assert np.allclose(back, delta * mask * (1 - (2 * clean) ** 2), rtol=0, atol=1e-15)

    # the correct mode: a copy, and the gradient of tanh then dropout
    tanh = Tanh()
    h = tanh.forward(x)
    dropout = Dropout(.5, _Fixed(mask), notebook=False)
    out = dropout.forward(h, training=True)
    assert out is not h and np.array_equal(tanh.output, clean)
    back = tanh.backward(dropout.backward(delta))
    assert np.allclose(back, delta * mask * 2 * (1 - clean ** 2), rtol=0, atol=1e-15)


class _Fixed:
    def __init__(self, mask):
        self.mask = mask

    def keep_mask(self, shape, keep, dtype):
        return self.mask.astype(dtype)


def test_notebook_dropout_in_the_conv_model_reaches_the_tanh_output(mnist):
    train, test = mnist(130, 10, np.float64)
    trainer = make_trainer("conv", train, test, {"iterations": 1}, dtype=np.float64)
    tanh, dropout = trainer.model.layers[3], trainer.model.layers[4]
    assert isinstance(tanh, Tanh) and isinstance(dropout, Dropout) and dropout.notebook
    out = trainer.model.forward(train.images[:4], training=True)
    assert out.shape == (4, 10)
    assert np.shares_memory(tanh.output, trainer.model.layers[5].input)
    assert set(np.unique(tanh.output[dropout.mask == 0])) == {0.0}


# -- softmax ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_is_stable_with_huge_logits(dtype):
    x = np.array([[1000, 0, -1000], [800, 800, -5], [-1e4, -1e4 + 1, -1e4 + 2], [100, 99, 98]], dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        p = Softmax().forward(x)
    assert p.dtype == dtype and np.isfinite(p).all()
    assert np.allclose(p.sum(axis=1), 1, atol=1e-6)
    assert np.allclose(p[0], [1, 0, 0]) and np.allclose(p[1, :2], [.5, .5])
    expected = np.exp([0, 1, 2]) / np.exp([0, 1, 2]).sum()
    assert np.allclose(p[2], expected, atol=1e-6) and np.allclose(p[3], expected[::-1], atol=1e-6)


def test_cross_entropy_of_a_certain_mistake_is_finite():
    p = np.array([[1.0, 0.0]], np.float32)
    assert np.isfinite(SoftmaxCrossEntropy().forward(p, np.array([[0.0, 1.0]], np.float32)))


# -- float32 ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("random", ["notebook", "generator"])
@pytest.mark.parametrize("name", list(PRESETS))
def test_float32_stays_float32(mnist, name, random):
    train, test = mnist(260, 50, np.float64)  # float64 data: the trainer casts it once
    trainer = make_trainer(name, train, test, {"iterations": 2, "alpha": 1e-3}, random=random)
    assert trainer.train_x.dtype == trainer.train_y.dtype == trainer.test_x.dtype == np.float32
    seen = []
    for layer in trainer.model.layers:  # record the dtype of everything flowing forward and back
        layer.forward, layer.backward = _spy(layer.forward, seen), _spy(layer.backward, seen)
    trainer.run(max_batches=2)
    assert seen and all(dtype == np.float32 for dtype in seen), set(seen)
    for layer in trainer.model.layers:
        assert all(v.dtype == np.float32 for v in layer.params.values())
        assert all(v.dtype == np.float32 for v in layer.grads.values())
    assert trainer.loss.backward().dtype == np.float32
    assert trainer.model.predict(test.images.astype(np.float32)).dtype == np.float32


def _spy(method, seen):
    def wrapper(x, *args):
        out = method(x, *args)
        x = x.x if isinstance(x, DenseInput) else x  # a first layer's prepared batch
        seen.extend(a.dtype for a in (x, out) if a is not None)
        return out
    return wrapper


# -- trainer ---------------------------------------------------------------------------------------------


def strip_timing(events):
    return [{k: v for k, v in e.items() if k not in ("seconds", "images_per_second", "test_images_per_second")} for e in events]


def test_trainer_events_and_counters(mnist):
    train, test = mnist(300, 100)
    trainer = make_trainer("tanh-softmax", train, test, {"iterations": 3, "batch_size": 100}, eval_every=2)
    assert (trainer.state, trainer.iteration, trainer.batch, trainer.batches) == ("ready", 0, 0, 3)
    events = trainer.step()
    assert events == [{"type": "batch", "iteration": 0, "batch": 1, "batches": 3, "loss": events[0]["loss"],
                       "images": 100}]
    assert (trainer.state, trainer.iteration, trainer.batch) == ("running", 0, 1)
    events += trainer.run()
    assert trainer.state == "done" and trainer.done and (trainer.iteration, trainer.batch) == (3, 0)
    kinds = [e["type"] for e in events]
    assert kinds == (["batch"] * 3 + ["iteration", "evaluation"] + ["batch"] * 3 + ["iteration"]
                     + ["batch"] * 3 + ["iteration", "evaluation", "done"])
    iterations = [e for e in events if e["type"] == "iteration"]
    assert [e["iteration"] for e in iterations] == [0, 1, 2]
    assert all(0 <= e["train_accuracy"] <= 1 and e["images_per_second"] > 0 for e in iterations)
    evaluations = [e for e in events if e["type"] == "evaluation"]
    assert [e["iteration"] for e in evaluations] == [0, 2]  # every eval_every, and after the last
    done = events[-1]
    assert done["iterations"] == 3 and done["test_accuracy"] == evaluations[-1]["test_accuracy"]
    assert trainer.history == [e for e in events if e["type"] in ("iteration", "evaluation")]
    assert trainer.step() == [] and trainer.run() == [] and list(trainer.events()) == []


def test_pause_and_resume_gives_the_same_run(mnist):
    train, test = mnist(300, 100)
    params = {"iterations": 3, "batch_size": 100}
    straight = make_trainer("relu-minibatch", train, test, params)
    all_at_once = straight.run()
    paused = make_trainer("relu-minibatch", train, test, params)
    chunks = []
    while not paused.done:
        before = (paused.iteration, paused.batch)
        chunk = paused.run(max_batches=2)
        batches = sum(e["type"] == "batch" for e in chunk)
        assert batches == min(2, 9 - (before[0] * 3 + before[1]))
        assert paused.iteration * 3 + paused.batch == min(before[0] * 3 + before[1] + 2, 9)
        chunks += chunk
    assert strip_timing(chunks) == strip_timing(all_at_once)
    for k, v in straight.model.state_dict().items():
        assert np.array_equal(v, paused.model.state_dict()[k])


def test_run_stops_when_asked(mnist):
    train, test = mnist(300, 100)
    trainer = make_trainer("relu-minibatch", train, test, {"iterations": 2})
    assert trainer.run(should_stop=lambda: True) == [] and trainer.batch == 0
    events = trainer.run(max_seconds=0)
    assert [e["type"] for e in events] == ["batch"] and trainer.batch == 1


def test_interrupt_mid_batch_leaves_counters_alone(mnist):
    train, test = mnist(300, 100)
    trainer = make_trainer("relu-minibatch", train, test, {"iterations": 1}, random="generator")
    trainer.run(max_batches=1)
    forward = trainer.model.forward

    def interrupted(*args, **kwargs):
        trainer.model.forward = forward
        raise KeyboardInterrupt

    trainer.model.forward = interrupted
    with pytest.raises(KeyboardInterrupt):
        trainer.step()
    assert (trainer.iteration, trainer.batch, trainer.seen) == (0, 1, 100)
    events = trainer.run()
    assert trainer.state == "done" and sum(e["type"] == "batch" for e in events) == 2
    # the interrupt came before the batch drew its dropout mask: the run ends exactly as an uninterrupted one
    straight = make_trainer("relu-minibatch", train, test, {"iterations": 1}, random="generator")
    straight.run()
    for k, v in straight.model.state_dict().items():
        assert np.array_equal(v, trainer.model.state_dict()[k])


def test_divergence_is_detected_and_stops_training(mnist):
    train, test = mnist(1000, 100)
    trainer = make_trainer("linear", train, test, {"iterations": 200})  # the notebook's summed gradient
    events = trainer.run()
    assert trainer.state == "diverged" and trainer.done
    assert events[-1]["type"] == "diverged" and "diverged" in events[-1]["message"]
    assert events[-1]["iteration"] == trainer.iteration < 200
    weights = trainer.model.state_dict()["0.weight"].copy()
    assert trainer.step() == [] and np.array_equal(weights, trainer.model.state_dict()["0.weight"])


def test_a_non_finite_batch_does_not_update_the_weights(mnist):
    train, test = mnist(200, 50)
    trainer = make_trainer("relu-minibatch", train, test, {"iterations": 1})
    trainer.train_x[100:200] = np.nan
    trainer.step()
    before = {k: v.copy() for k, v in trainer.model.state_dict().items()}
    events = trainer.step()
    assert [e["type"] for e in events] == ["diverged"] and trainer.state == "diverged"
    assert all(np.array_equal(before[k], v) for k, v in trainer.model.state_dict().items())


@pytest.mark.parametrize("quirks,batches,images", [(True, 2, [100, 100]), (False, 3, [100, 100, 50])])
def test_drop_last(mnist, quirks, batches, images):
    """The notebook's `range(int(len / batch_size))` skips a partial batch; the correct maths uses it."""
    train, test = mnist(250, 50)
    trainer = make_trainer("relu-minibatch", train, test, {"iterations": 1, "quirks": quirks})
    assert trainer.batches == batches
    events = trainer.run()
    assert [e["images"] for e in events if e["type"] == "batch"] == images


def test_trainer_prepares_each_batch_once_and_feeds_it_every_iteration(mnist, monkeypatch):
    train, test = mnist(300, 100)
    trainer = make_trainer("relu-minibatch", train, test, {"iterations": 3})
    prepared = []
    prepare = trainer.model.prepare
    monkeypatch.setattr(trainer.model, "prepare", lambda x: prepared.append(prepare(x)) or prepared[-1])
    fed = []
    forward = trainer.model.forward
    monkeypatch.setattr(trainer.model, "forward",
                        lambda x, training=False: (training and fed.append(x)) or forward(x, training))
    trainer.run()
    assert len(prepared) == trainer.batches == 3
    assert [id(x) for x in fed] == [id(x) for x in prepared] * 3
    np.testing.assert_array_equal(prepared[1].x.array, train.images[100:200][:, prepared[1].rows])


def test_trainer_refuses_a_batch_larger_than_the_data(mnist):
    train, test = mnist(50, 50)
    with pytest.raises(ConfigError):
        make_trainer("relu-minibatch", train, test, {"iterations": 1})
    from pynet.trainer import Trainer
    model = Sequential([Dense(784, 10)])
    with pytest.raises(ValueError):
        Trainer(model, SquaredError(), None, train, test, batch_size=100, iterations=1, drop_last=True)


# -- preset parameters ------------------------------------------------------------------------------------


@pytest.mark.parametrize("override,field", [
    ({"iterations": 0}, "iterations"), ({"iterations": 10001}, "iterations"),
    ({"iterations": 2.5}, "iterations"), ({"iterations": "3"}, "iterations"),
    ({"iterations": True}, "iterations"), ({"alpha": float("nan")}, "alpha"),
    ({"alpha": float("inf")}, "alpha"), ({"alpha": 0}, "alpha"), ({"alpha": None}, "alpha"),
    ({"batch_size": 0}, "batch_size"), ({"hidden_size": 2001}, "hidden_size"),
    ({"seed": -1}, "seed"), ({"quirks": 1}, "quirks"), ({"quirks": "yes"}, "quirks"),
    ({"test_size": 0}, "test_size"), ({"batch_size": 500, "train_size": 400}, "batch_size"),
    ({"kernels": 4}, "kernels"), ({"momentum": .9}, "momentum"),
])
def test_invalid_parameters_are_refused_by_name(override, field):
    with pytest.raises(ConfigError) as info:
        PRESETS["tanh-softmax"].resolve(override)
    assert field in str(info.value)
    assert isinstance(info.value, PynetError) and isinstance(info.value, ValueError)


def test_valid_parameters_are_coerced():
    params = PRESETS["conv"].resolve({"iterations": 3.0, "alpha": 1, "kernels": np.int64(8), "quirks": False})
    assert params["iterations"] == 3 and type(params["iterations"]) is int
    assert params["alpha"] == 1.0 and type(params["alpha"]) is float
    assert params["kernels"] == 8 and type(params["kernels"]) is int and params["quirks"] is False
    assert PRESETS["conv"].resolve() == PRESETS["conv"].defaults


def test_every_preset_default_is_valid_and_described():
    for preset in PRESETS.values():
        assert preset.resolve() == preset.defaults and preset.defaults["seed"] == 1
        described = preset.describe()
        assert set(described["params"]) == set(preset.defaults)
        for name, spec in described["params"].items():
            assert spec["kind"] == PARAMS[name].kind and spec["value"] == preset.defaults[name]


def test_unknown_preset_and_oversized_batch(mnist):
    train, test = mnist(50, 50)
    with pytest.raises(ConfigError, match="unknown preset"):
        make_trainer("resnet", train, test)
    with pytest.raises(ConfigError, match="batch_size"):
        make_trainer("tanh-softmax", train, test, {"iterations": 1})  # 100 > the 50 images given


def test_loss_reductions_are_validated():
    with pytest.raises(ValueError):
        SquaredError("max")
