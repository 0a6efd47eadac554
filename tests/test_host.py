"""The JSON command interface the browser worker drives, exercised in CPython."""
import base64
import json

import numpy as np
import pytest

import pynet.host
from pynet.host import Host
from tests.host_matmul import SigmoidMatmul, as_matrix, numpy_matmul
from tests.synthetic import synthetic_digits_bytes, synthetic_pixels


@pytest.fixture
def host():
    return Host(synthetic_digits_bytes())


def call(host, payload=None, **message):
    reply = json.loads(host.handle(json.dumps(message), payload))
    return reply


def state(host):
    return call(host, type="status")["session"]["state"]


def train(host, preset="tanh-softmax", **params):
    params = {"iterations": 3, "train_size": 400, "test_size": 200, **params}
    assert call(host, type="configure", preset=preset, params=params)["ok"]
    events = []
    for _ in range(1000):
        reply = call(host, type="run", max_seconds=0.02)
        events += reply["events"]
        if reply.get("session", {}).get("state", "training") != "training":
            return events
    raise AssertionError("training never finished")


def test_presets_describe_every_notebook_experiment_with_bounds(host):
    presets = call(host, type="presets")["presets"]
    assert [p["name"] for p in presets] == ["linear", "relu", "relu-dropout", "relu-minibatch",
                                            "tanh-softmax", "conv", "wide-sgd", "wide-minibatch", "drawing"]
    assert [p["name"] for p in presets if p["default"]] == ["tanh-softmax"]
    tanh = next(p for p in presets if p["name"] == "tanh-softmax")["params"]
    assert tanh["iterations"] == {"value": 300, "kind": "int", "label": "Iterations", "min": 1,
                                  "max": 10000, "help": tanh["iterations"]["help"]}
    assert tanh["alpha"]["value"] == 2 and tanh["quirks"]["kind"] == "bool"


@pytest.mark.parametrize("params,field", [({"iterations": 0}, "iterations"), ({"alpha": -1}, "alpha"),
                                          ({"alpha": "abc"}, "alpha"), ({"batch_size": 500}, "batch_size"),
                                          ({"train_size": 9000}, "train_size"), ({"bogus": 1}, "bogus")])
def test_invalid_configuration_is_refused_with_the_field_named(host, params, field):
    reply = call(host, type="configure", preset="tanh-softmax", params={"train_size": 400, **params})
    assert reply["ok"] is False and field in reply["error"]
    assert call(host, type="run")["error"] == "Training is not running (it is empty)."


def test_run_streams_iteration_and_evaluation_events_and_learns(host):
    events = train(host, iterations=12)
    iterations = [e["iteration"] for e in events if e["type"] == "iteration"]
    assert iterations == list(range(12))
    assert [e["iteration"] for e in events if e["type"] == "evaluation"] == [0, 10, 11]
    assert events[-2]["type"] == "done" or events[-1]["type"] == "done"
    assert [e for e in events if e["type"] == "evaluation"][-1]["test_accuracy"] > 0.9


def test_run_coalesces_batch_events_to_the_last_one(host):
    call(host, type="configure", preset="relu", params={"iterations": 2, "train_size": 400, "test_size": 100})
    reply = call(host, type="run", max_seconds=10)
    batches = [e for e in reply["events"] if e["type"] == "batch"]
    assert len(batches) == 1 and batches[0]["batch"] == 400


def test_should_stop_payload_pauses_between_batches_and_resume_continues(host):
    call(host, type="configure", preset="relu", params={"iterations": 2, "train_size": 400, "test_size": 100})
    calls = []
    reply = call(host, lambda: calls.append(1) or len(calls) > 5, type="run", max_seconds=10)
    assert "session" not in reply and state(host) == "training"  # held, not ended
    assert reply["events"][-1]["batch"] == 5  # five batches, then the flag held it
    reply = call(host, type="run", max_seconds=10)
    assert reply["session"]["state"] == "done"


def test_keyboard_interrupt_stops_cleanly_and_model_stays_usable(host):
    call(host, type="configure", preset="relu", params={"iterations": 2, "train_size": 400, "test_size": 100})
    def interrupt():
        raise KeyboardInterrupt  # what Pyodide raises when the page writes the interrupt buffer
    reply = call(host, interrupt, type="run", max_seconds=10)
    assert reply["ok"] and reply["interrupted"] and state(host) == "training"  # the stop command follows
    stop = call(host, type="stop")
    assert stop["ok"] and stop["events"][0]["type"] == "evaluation" and stop["session"]["state"] == "stopped"
    assert call(host, np.zeros(784), type="predict")["ok"]
    assert call(host, type="run")["error"] == "Training is not running (it is stopped)."


def test_interrupt_after_the_training_loop_is_a_stop_not_an_error(host, monkeypatch):
    # The page's Stop may land while a run call encodes its events, outside the trainer's own handler.
    call(host, type="configure", preset="relu", params={"iterations": 2, "train_size": 400, "test_size": 100})
    def interrupted(events):
        raise KeyboardInterrupt
    monkeypatch.setattr(pynet.host, "coalesce", interrupted)
    calls = []
    reply = call(host, lambda: calls.append(1) or len(calls) > 3, type="run", max_seconds=10)
    monkeypatch.undo()
    assert_stopped_and_usable(host, reply)


def assert_stopped_and_usable(host, run_reply):
    assert run_reply["ok"] and run_reply["interrupted"], run_reply
    assert run_reply["events"] == [] and state(host) == "training"
    assert call(host, type="stop")["session"]["state"] == "stopped"
    assert call(host, np.zeros(784), type="predict")["ok"]


def test_interrupt_in_another_command_says_so(host, monkeypatch):
    train(host, iterations=2)
    def interrupted(*args):
        raise KeyboardInterrupt
    monkeypatch.setattr(pynet.host, "as_array", interrupted)
    reply = call(host, np.zeros(784), type="predict")
    assert not reply["ok"] and reply["interrupted"] and "Stop" in reply["error"]


def test_divergence_is_reported_not_hidden(host):
    events = train(host, preset="linear", iterations=100, alpha=5.0)
    assert events[-1]["type"] == "diverged" and "alpha" in events[-1]["message"]
    assert json.loads(json.dumps(events))  # no NaN/Infinity tokens: JavaScript could not parse them


def test_predict_returns_probabilities_summing_to_one(host):
    assert call(host, np.zeros(784), type="predict")["error"] == "Train or import a model first"
    train(host, iterations=5)
    images, labels = synthetic_pixels(20, seed=7)
    for image, label in zip(images, labels):
        reply = call(host, (image.ravel() / 255).astype(np.float32), type="predict")
        assert abs(sum(reply["probabilities"]) - 1) < 1e-6 and reply["digit"] == label
    assert "784 pixels" in call(host, np.zeros(10), type="predict")["error"]
    assert "NaN" in call(host, np.full(784, np.nan), type="predict")["error"]


def test_squared_error_models_give_normalised_scores(host):
    train(host, preset="relu", iterations=1)
    reply = call(host, np.zeros(784, np.float32), type="predict")
    assert abs(sum(reply["probabilities"]) - 1) < 1e-6 and min(reply["probabilities"]) >= 0


@pytest.mark.parametrize("preset,shape", [("tanh-softmax", (16, 28, 28)), ("conv", (16, 3, 3))])
def test_weights_are_first_layer_images(host, preset, shape):
    train(host, preset=preset, iterations=1)
    reply = call(host, type="weights", max_tiles=16)
    pixels = np.frombuffer(base64.b64decode(reply["pixels_b64"]), np.uint8)
    assert (reply["tiles"], reply["height"], reply["width"]) == shape and pixels.size == np.prod(shape)
    assert pixels.min() < 128 < pixels.max()


def test_samples_carry_images_labels_and_predictions(host):
    train(host, iterations=5)
    reply = call(host, type="samples", count=12)
    pixels = np.frombuffer(base64.b64decode(reply["pixels_b64"]), np.uint8)
    assert pixels.size == 12 * 784 and len(reply["labels"]) == len(reply["predictions"]) == 12
    assert sum(a == b for a, b in zip(reply["labels"], reply["predictions"])) >= 10


def test_export_import_round_trip_and_bad_import_keeps_current_model(host):
    train(host, iterations=5)
    exported = call(host, type="export")
    assert exported["filename"] == "pynet-tanh-softmax.npz"
    blob = base64.b64decode(exported["bytes_b64"])
    image = np.zeros(784, np.float32)
    before = call(host, image, type="predict")["probabilities"]

    fresh = Host(synthetic_digits_bytes())
    summary = call(fresh, np.frombuffer(blob, np.uint8), type="import")["summary"]
    assert summary["preset"] == "tanh-softmax" and summary["test_accuracy"] > 0.9
    assert np.allclose(call(fresh, image, type="predict")["probabilities"], before)

    bad = call(fresh, np.frombuffer(b"garbage!", np.uint8), type="import")
    assert bad["ok"] is False and "not a zip" in bad["error"]
    assert np.allclose(call(fresh, image, type="predict")["probabilities"], before)


def test_unknown_command_and_internal_errors_come_back_as_messages(host):
    assert call(host, type="fly")["error"] == "unknown command 'fly'"
    reply = json.loads(host.handle("{not json"))
    assert reply["ok"] is False and reply["error"].startswith("Internal error") and "Traceback" in reply["detail"]


def test_accelerate_takes_the_workers_matmul_function_and_refuses_a_wrong_one(host):
    from pynet import blas
    seen = []
    def matmul(a_address, b_address, out_address, m, k, n, b_key=0):  # what the worker passes: XNNPACK
        seen.append((m, k))
        numpy_matmul(a_address, b_address, out_address, m, k, n)
    try:
        reply = call(host, matmul, type="accelerate", name="xnnpack")
        assert reply["ok"] and reply["matmul"] == "xnnpack" and seen
        assert call(host, type="status")["status"]["matmul"] == "xnnpack"
        train(host, preset="wide-minibatch", iterations=1)
        assert len(seen) > 3, "training did not use the worker's matmul"
        blas.use_numpy()
        reply = call(host, lambda a, b, out, m, k, n, key: as_matrix(out, m, n).fill(0), type="accelerate", name="xnnpack")
        assert reply["ok"] and reply["matmul"] == "numpy"
    finally:
        blas.use_numpy()


def test_accelerate_takes_the_sigmoid_that_comes_with_the_matmul_for_the_large_tanhs(host):
    from pynet import blas, elementwise
    good = SigmoidMatmul()
    try:
        reply = call(host, good, type="accelerate", name="xnnpack")
        assert reply["ok"] and (reply["matmul"], reply["tanh"]) == ("xnnpack", "xnnpack")
        good.sizes.clear()
        train(host, preset="conv", iterations=1, train_size=256)
        assert 128 * 625 * 16 in good.sizes, "conv's hidden tanh did not use the worker's sigmoid"
        # A matmul that fails its check takes its sigmoid down with it; a wrong sigmoid alone is refused.
        reply = call(host, lambda a, b, out, m, k, n, key: as_matrix(out, m, n).fill(0), type="accelerate", name="xnnpack")
        assert (reply["matmul"], reply["tanh"]) == ("numpy", "numpy")
        reply = call(host, SigmoidMatmul(lambda x, out, size: None), type="accelerate", name="xnnpack")
        assert (reply["matmul"], reply["tanh"]) == ("xnnpack", "numpy")
    finally:
        blas.use_numpy()
        elementwise.use_numpy()


class ConversionError(Exception):
    """Stands for Pyodide's ConversionError: what a Stop landing while Python calls JavaScript becomes."""


def stop_while_calling_javascript(*args):
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt as interrupt:
        raise ConversionError("Conversion from python to javascript failed") from interrupt


def test_a_stop_reported_as_a_conversion_error_is_still_a_stop(host):
    from pynet import blas
    call(host, type="configure", preset="wide-minibatch", params={"iterations": 2, "train_size": 400,
                                                                   "test_size": 100})
    try:
        assert blas.use_matmul(numpy_matmul, "js")
        blas._gemm[np.dtype(np.float32)] = stop_while_calling_javascript  # the next product is interrupted
        run_reply = call(host, type="run", max_seconds=10)
        reply = call(host, type="samples", count=20)  # 20 digits at once: a product large enough
        assert not reply["ok"] and reply["interrupted"] and "Internal" not in reply["error"]
    finally:
        blas.use_numpy()
    assert_stopped_and_usable(host, run_reply)


def test_an_error_not_caused_by_a_stop_is_still_reported_as_a_bug(host, monkeypatch):
    train(host, iterations=2)
    def broken(*args):
        try:
            raise ValueError("inner")
        except ValueError as cause:
            raise ConversionError("outer") from cause
    monkeypatch.setattr(pynet.host, "as_array", broken)
    reply = call(host, np.zeros(784), type="predict")
    assert reply["error"].startswith("Internal error: ConversionError") and "interrupted" not in reply


def test_the_boot_imports_only_what_ready_needs():
    """The page imports pynet.host while Python boots (on the way to Ready, which waits for it): the modules
    only some requests need (the code panel, evaluation, model files, personal digits, fine-tuning, the
    distortions of augmented training) are imported by those requests, not then."""
    import subprocess
    import sys

    probe = ("import sys, pynet.host; print(' '.join(sorted(m for m in sys.modules if m.startswith('pynet.'))))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = set(done.stdout.split())
    assert "pynet.host" in loaded
    later = {"pynet.codecell", "pynet.evaluation", "pynet.saving", "pynet.personal", "pynet.finetune",
             "pynet.augment"}
    assert loaded & later == set(), f"imported at boot: {sorted(loaded & later)}"
