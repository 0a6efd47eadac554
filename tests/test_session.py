"""The training session's state machine (pynet/session.py), driven as the worker drives it: through Host.

The tables below are the specification (the protocol comment atop web/js/worker.js shows the same one):
every action is tried in every state; a permitted one does what it should, any other is refused with a
message and changes nothing.
"""
import base64
import json

import numpy as np
import pytest

from pynet.host import Host
from tests.synthetic import synthetic_digits_bytes

AT_REST = {"train", "import", "finetune", "predict", "weights", "samples", "export"}
PERMITTED = {
    "empty": {"train", "import"},
    "training": {"run", "pause", "stop", "predict", "weights", "samples"},
    "paused": {"resume", "stop", "predict", "weights", "samples", "export"},
    "stopped": AT_REST,
    "done": AT_REST,
    "failed": AT_REST,
    "imported": AT_REST,
    "diverged": {"train", "import"},
}
# Where a permitted action leads (None: it leaves the state as it is).
LEADS_TO = {"train": "training", "pause": "paused", "resume": "training", "stop": "stopped", "import": "imported",
            "finetune": "training"}
DIGITS = synthetic_digits_bytes()
SMALL = {"train_size": 400, "test_size": 100}


def call(host, payload=None, **message):
    return json.loads(host.handle(json.dumps(message), payload))


def snapshot(host):
    return call(host, type="status")["session"]


def configure(host, preset="tanh-softmax", **params):
    reply = call(host, type="configure", preset=preset, params={"iterations": 50, **SMALL, **params})
    assert reply["ok"], reply
    return reply


def run_to_the_end(host):
    for _ in range(2000):
        reply = call(host, type="run", max_seconds=0.05)
        assert reply["ok"], reply
        if snapshot(host)["state"] != "training":
            return
    raise AssertionError("training never ended")


@pytest.fixture(scope="module")
def model_file():
    host = Host(DIGITS)
    configure(host, iterations=2)
    run_to_the_end(host)
    return np.frombuffer(base64.b64decode(call(host, type="export")["bytes_b64"]), np.uint8)


def host_in(state, model_file, monkeypatch):
    """A new host whose session is in `state`, reached the way the page reaches it."""
    host = Host(DIGITS)
    if state == "empty":
        return host
    if state == "imported":
        assert call(host, model_file, type="import")["ok"]
        return host
    if state == "diverged":
        configure(host, preset="linear", iterations=100, alpha=5.0)
        run_to_the_end(host)
        return host
    if state == "done":
        configure(host, iterations=2)
        run_to_the_end(host)
        return host
    configure(host)
    if state == "paused":
        call(host, type="pause")
    elif state == "stopped":
        call(host, type="run", max_batches=1, max_seconds=0.001)
        call(host, type="stop")
    elif state == "failed":
        def broken(**kwargs):
            raise ValueError("a bug in a training step")
        monkeypatch.setattr(host.session.trainer, "run", broken)
        call(host, type="run")
        monkeypatch.undo()
    return host


def act(host, action, model_file):
    message = {"train": {"type": "configure", "preset": "tanh-softmax", "params": {"iterations": 50, **SMALL}},
               "run": {"type": "run", "max_seconds": 0.001},
               "finetune": {"type": "configure", "kind": "finetune", "labels": [3]}}.get(action, {"type": action})
    payload = {"predict": np.zeros(784, np.float32), "import": model_file, "finetune": bytes(784)}.get(action)
    return call(host, payload, **message)


@pytest.mark.parametrize("state", list(PERMITTED))
@pytest.mark.parametrize("action", ["train", "run", "pause", "resume", "stop", "predict", "weights", "samples",
                                    "export", "import", "finetune"])
def test_every_action_in_every_state_is_done_or_refused_with_a_reason(state, action, model_file, monkeypatch):
    host = host_in(state, model_file, monkeypatch)
    before = snapshot(host)
    assert before["state"] == state
    assert set(before["permits"]) == PERMITTED[state]  # what the page draws its buttons from

    reply = act(host, action, model_file)
    after = snapshot(host)
    if action in PERMITTED[state]:
        assert reply["ok"], reply
        expected = LEADS_TO.get(action, state)
        assert after["state"] == expected or (action == "run" and after["state"] == "done"), (reply, after)
    else:
        assert reply["ok"] is False and reply["refused"] is True, reply
        assert reply["error"] and "Internal" not in reply["error"]
        assert after == before, "a refused action changed the session"
        assert "session" not in reply  # nothing changed, so nothing to announce


def test_refusals_say_why(model_file, monkeypatch):
    running = host_in("training", model_file, monkeypatch)
    assert act(running, "train", model_file)["error"] == "Training is already in progress: stop it first."
    assert act(running, "import", model_file)["error"] == "Stop training before importing a model."
    assert act(running, "export", model_file)["error"] == "Pause or stop training before exporting the model."
    assert act(running, "resume", model_file)["error"] == "Training is already running."
    paused = host_in("paused", model_file, monkeypatch)
    assert act(paused, "pause", model_file)["error"] == "Training is already paused."
    done = host_in("done", model_file, monkeypatch)
    assert act(done, "stop", model_file)["error"] == "There is no training to stop (it is done)."
    empty = host_in("empty", model_file, monkeypatch)
    assert act(empty, "predict", model_file)["error"] == "Train or import a model first"
    diverged = host_in("diverged", model_file, monkeypatch)
    assert "diverged" in act(diverged, "predict", model_file)["error"]
    assert "smaller learning rate" in act(diverged, "export", model_file)["error"]
    assert act(empty, "finetune", model_file)["error"] == \
        "Train or import a model first: learning your digits fine-tunes an existing model."
    assert act(paused, "finetune", model_file)["error"] == "Stop training before teaching the model your digits."


def test_every_change_is_announced_once_with_the_reply_that_made_it(model_file):
    host = Host(DIGITS)
    first = call(host, type="presets")
    assert first["session"]["state"] == "empty" and first["session"]["permits"] == ["import", "train"]
    assert "session" not in call(host, type="presets")  # no change, no announcement

    versions = [first["session"]["version"]]
    for message in ({"type": "configure", "preset": "tanh-softmax", "params": {"iterations": 50, **SMALL}},
                    {"type": "pause"}, {"type": "resume"}, {"type": "stop"}):
        reply = call(host, **message)
        versions.append(reply["session"]["version"])
        assert "session" not in call(host, np.zeros(784, np.float32), type="predict")
    assert versions == sorted(set(versions)), "each transition has a new version"
    assert reply["session"]["state"] == "stopped"


def test_a_new_model_has_a_new_id_and_says_where_it_came_from(model_file):
    host = Host(DIGITS)
    started = configure(host)["session"]
    assert (started["state"], started["kind"], started["preset"], started["iterations"]) == \
        ("training", "preset", "tanh-softmax", 50)
    assert started["parameters"] > 0
    stopped = call(host, type="stop")["session"]
    assert stopped["model_id"] == started["model_id"]  # the same model, now at rest
    imported = call(host, model_file, type="import")["session"]
    assert imported["kind"] == "import" and imported["model_id"] == started["model_id"] + 1
    assert imported["iterations"] is None


def test_a_refused_configuration_changes_nothing(model_file):
    host = Host(DIGITS)
    configure(host, iterations=2)
    run_to_the_end(host)
    before = snapshot(host)
    reply = call(host, type="configure", preset="tanh-softmax", params={"alpha": -1})
    assert not reply["ok"] and "alpha" in reply["error"] and snapshot(host) == before
    assert call(host, type="configure", kind="telepathy")["error"] == "unknown kind of training 'telepathy'"
    assert call(host, np.zeros(784, np.float32), type="predict")["ok"]  # the trained model is still there


def test_an_error_in_training_fails_the_session_with_its_message_and_keeps_the_model(model_file, monkeypatch):
    host = host_in("training", model_file, monkeypatch)
    call(host, type="run", max_seconds=0.001)

    def broken(**kwargs):
        raise ValueError("a bug in a training step")
    monkeypatch.setattr(host.session.trainer, "run", broken)
    reply = call(host, type="run")
    assert reply["error"] == "Internal error: ValueError: a bug in a training step" and "Traceback" in reply["detail"]
    assert reply["session"]["state"] == "failed"
    assert reply["session"]["message"].startswith("Training failed at iteration 1: ValueError: a bug")
    assert call(host, np.zeros(784, np.float32), type="predict")["ok"]


def test_divergence_carries_pythons_message(model_file, monkeypatch):
    session = snapshot(host_in("diverged", model_file, monkeypatch))
    assert session["state"] == "diverged" and "alpha" in session["message"]


def test_a_new_run_lets_the_previous_one_go_before_it_is_built(monkeypatch):
    # The page's memory only grows: two runs' training data side by side would be paid for good.
    import weakref

    import pynet.presets
    host = Host(DIGITS)
    configure(host)
    call(host, type="stop")
    previous = weakref.ref(host.session.trainer)
    make_trainer = pynet.presets.make_trainer
    alive_at_build = []

    def watched(*args, **kwargs):
        alive_at_build.append(previous() is not None)
        return make_trainer(*args, **kwargs)
    monkeypatch.setattr(pynet.presets, "make_trainer", watched)
    configure(host)
    assert alive_at_build == [False]


def test_a_run_that_cannot_be_built_keeps_the_model_and_what_it_knows(model_file, monkeypatch):
    host = host_in("done", model_file, monkeypatch)
    before = snapshot(host)
    exported = call(host, type="export")
    import pynet.presets
    from pynet.errors import ConfigError

    def refuses(*args, **kwargs):
        raise ConfigError("this network cannot be built")
    monkeypatch.setattr(pynet.presets, "make_trainer", refuses)
    reply = call(host, type="configure", preset="tanh-softmax", params=SMALL)
    assert reply["error"] == "this network cannot be built" and "refused" not in reply
    monkeypatch.undo()
    assert host.session.trainer is None  # let go before the build
    assert snapshot(host) == before
    assert call(host, np.zeros(784, np.float32), type="predict")["ok"]
    assert call(host, type="export")["bytes_b64"] == exported["bytes_b64"]  # same weights, params, metrics


def test_running_out_of_memory_is_said_plainly(monkeypatch):
    import pynet.presets

    def too_big(*args, **kwargs):
        raise MemoryError
    host = Host(DIGITS)
    monkeypatch.setattr(pynet.presets, "make_trainer", too_big)
    reply = call(host, type="configure", preset="tanh-softmax", params=SMALL)
    assert reply["error"].startswith("There is not enough memory for this") and "Internal" not in reply["error"]
    assert snapshot(host)["state"] == "empty"
