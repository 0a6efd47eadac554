"""The code panel's Python (pynet/codecell.py): each preset's cell trains exactly as the preset does, the form
and the cell agree, a person's mistakes are named with their line and layer, and the host trains a cell."""
import base64
import json
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from pynet import codecell, presets, saving
from pynet.codecell import CodeError
from pynet.data import Dataset
from pynet.errors import ConfigError
from pynet.host import Host
from tests.hand_written_layer import with_scale_layer
from tests.synthetic import synthetic_digits_bytes, synthetic_pixels

SMALL = {"iterations": 2, "train_size": 240, "test_size": 60}


def synthetic_split(train_size, test_size):
    images, labels = synthetic_pixels(train_size + test_size)
    images = images.reshape(len(images), 784)
    return (Dataset.from_uint8(images[:train_size], labels[:train_size]),
            Dataset.from_uint8(images[train_size:], labels[train_size:]))


def small_params(name):
    params = {k: v for k, v in SMALL.items() if k in presets.get(name).defaults}
    if name == "drawing":
        params.update(kernels=4, hidden_size=16)
    return params


@pytest.mark.parametrize("name", list(presets.ALL_PRESETS))
def test_every_presets_cell_trains_exactly_as_the_preset(name):
    params = small_params(name)
    train, test = synthetic_split(params.get("train_size", 240), params.get("test_size", 60))
    expected = presets.make_trainer(name, train, test, params)
    trainer = codecell.build(codecell.cell(name, params), lambda a, b: (train, test))
    assert trainer.model.architecture() == expected.model.architecture()
    assert trainer.model.parameter_count == expected.model.parameter_count
    for (key, a), (_, b) in zip(trainer.model.parameters(), expected.model.parameters()):
        assert np.array_equal(a, b), key  # the same initial weights, from the same stream
    # The same batches, dropout masks and updates: the events agree number for number (timings aside).
    for _ in range(3 * trainer.batches):
        got, want = trainer.step(), expected.step()
        strip = lambda events: [{k: v for k, v in e.items() if "second" not in k} for e in events]  # noqa: E731
        assert strip(got) == strip(want)
    for (key, a), (_, b) in zip(trainer.model.parameters(), expected.model.parameters()):
        assert np.array_equal(a, b), key


def test_form_values_are_read_from_and_written_into_the_cell():
    code = codecell.cell("relu", {"hidden_size": 30})
    assert codecell.mapped_values(code)["hidden_size"] == 30
    edited = code.replace("alpha = 0.01", "alpha = 0.02  # faster")
    assert codecell.mapped_values(edited)["alpha"] == 0.02
    written = codecell.set_values(edited, {"alpha": 0.5, "hidden_size": 64, "quirks": False})
    assert "alpha = 0.5  # faster\n" in written and "hidden_size = 64\n" in written and "quirks = False\n" in written
    changed = [(a, b) for a, b in zip(edited.splitlines(), written.splitlines()) if a != b]
    assert changed == [("alpha = 0.02  # faster", "alpha = 0.5  # faster"), ("hidden_size = 30", "hidden_size = 64"),
                       ("quirks = True", "quirks = False")]
    # A form's value comes as JSON, where 2.0 is 2: it is written as the hyper-parameter's type.
    assert codecell.set_values(edited, {"alpha": 2, "iterations": 350.0}) == edited.replace("alpha = 0.02", "alpha = 2.0")
    # A computed value no longer maps to the form, and is never overwritten.
    computed = edited.replace("alpha = 0.02", "alpha = 0.01 * 2")
    assert "alpha" not in codecell.mapped_values(computed)
    assert codecell.set_values(computed, {"alpha": 0.3}) == computed


def test_a_syntax_error_names_its_line():
    code = codecell.cell("relu").replace("optimizer = SGD(alpha)", "optimizer = SGD(alpha))")
    line = code.splitlines().index("optimizer = SGD(alpha))") + 1
    with pytest.raises(CodeError) as raised:
        codecell.build(code, synthetic_split)
    assert raised.value.line == line and f"line {line} of your code" in str(raised.value)
    assert str(raised.value).startswith("SyntaxError")
    reply = codecell.answer({"op": "values", "code": code})
    assert reply["line"] == line and reply["values"] == {}


def test_an_exception_in_the_cell_names_its_line():
    code = codecell.cell("relu") + "\nx = 1 / 0\n"
    with pytest.raises(CodeError, match=r"ZeroDivisionError: division by zero \(line \d+ of your code\)") as raised:
        codecell.build(code, synthetic_split)
    assert raised.value.line == len(code.rstrip("\n").splitlines())


def test_a_shape_mismatch_names_the_layer_and_the_shapes():
    code = codecell.cell("relu", {"train_size": 240}).replace("uniform_dense(hidden_size, 10", "uniform_dense(20, 10")
    with pytest.raises(CodeError) as raised:
        codecell.build(code, synthetic_split)
    assert "layer 2, Dense(n_in=20, n_out=10" in str(raised.value)
    assert "cannot take an input of shape (1, 30)" in str(raised.value)
    assert "Dense(20, 10) takes 20 values, not shape (30,)" in str(raised.value)


def test_a_wrong_output_width_is_explained():
    code = codecell.cell("relu").replace("uniform_dense(hidden_size, 10", "uniform_dense(hidden_size, 7")
    with pytest.raises(CodeError, match=r"output has shape \(1, 7\): it must be \(batch, 10\)"):
        codecell.build(code, synthetic_split)


@pytest.mark.parametrize("missing, message", [
    ("optimizer = SGD(alpha)", "your code must define optimizer"),
    ("model = Sequential([", None),
])
def test_the_contract_is_checked(missing, message):
    code = codecell.cell("relu")
    if message is None:  # `model` a plain object: named
        code += "\nmodel = 'a network'\n"
        message = "model must be a pynet Sequential"
    else:
        code = code.replace(missing, "")
    with pytest.raises(CodeError, match=message):
        codecell.build(code, synthetic_split)


def hand_written_cell():
    return with_scale_layer(codecell.cell("tanh-softmax", {"train_size": 240, "test_size": 60, "iterations": 4}))


def test_a_hand_written_layer_trains_and_export_refuses_it_plainly():
    host = Host(synthetic_digits_bytes())
    reply = call(host, type="configure", kind="code", code=hand_written_cell())
    assert reply["ok"], reply
    assert reply["session"]["kind"] == "code" and reply["session"]["parameters"] == 784 * 100 + 100 + 100 * 10
    while call(host, type="status")["session"]["state"] == "training":
        call(host, type="run", max_seconds=0.5)
    status = call(host, type="status")
    assert status["session"]["state"] == "done" and status["status"]["evaluation"]["test_accuracy"] > 0.5
    exported = call(host, type="export")
    assert not exported["ok"] and "Scale (layer 1) is written in your code" in exported["error"]
    assert call(host, type="predict", payload=np.zeros(784, np.float32))["ok"]


def test_a_cell_of_pynets_layers_exports_and_loads():
    host = Host(synthetic_digits_bytes())
    code = codecell.cell("relu", {"iterations": 1, "train_size": 200, "test_size": 100, "hidden_size": 12})
    assert call(host, type="configure", kind="code", code=code)["ok"]
    call(host, type="stop")
    exported = call(host, type="export")
    assert exported["ok"], exported
    loaded = saving.load(base64.b64decode(exported["bytes_b64"]))
    assert loaded.model.parameter_count == 784 * 12 + 12 * 10


def test_export_refuses_a_foreign_layer_in_cpython_too():
    from pynet.layers import Layer
    from pynet.model import Sequential

    class Mine(Layer):
        pass

    with pytest.raises(ConfigError, match="Mine \\(layer 0\\) is written in your code"):
        saving.to_bytes(Sequential([Mine()]))


def test_a_failed_cell_keeps_the_last_working_model():
    host = Host(synthetic_digits_bytes())
    assert call(host, type="configure", preset="relu", params={"iterations": 1, "train_size": 200, "test_size": 100})["ok"]
    call(host, type="stop")
    bad = codecell.cell("relu").replace("ReLU(),", "ReLU(),\n    Missing(),")
    reply = call(host, type="configure", kind="code", code=bad)
    assert not reply["ok"] and "NameError: name 'Missing' is not defined (line" in reply["error"]
    assert call(host, type="status")["session"]["state"] == "stopped"
    assert call(host, type="predict", payload=np.zeros(784, np.float32))["ok"]


def test_an_error_during_training_names_the_layer_line():
    code = hand_written_cell().replace("        return x * self.params[\"scale\"]",
                                        "        if len(x) < 100:\n            raise ValueError('a short batch')\n"
                                        "        return x * self.params[\"scale\"]")
    code = code.replace("train_size = 240", "train_size = 250")  # a last batch of 50
    host = Host(synthetic_digits_bytes())
    assert call(host, type="configure", kind="code", code=code)["ok"]
    while call(host, type="status")["session"]["state"] == "training":
        call(host, type="run", max_seconds=0.5)
    session = call(host, type="status")["session"]
    line = code.splitlines().index("            raise ValueError('a short batch')") + 1
    assert session["state"] == "failed"
    assert f"ValueError: a short batch (line {line} of your code)" in session["message"]


def test_the_script_trains_in_cpython_and_prints_the_figures(tmp_path):
    digits = tmp_path / "digits.bin"
    digits.write_bytes(synthetic_digits_bytes())
    code = codecell.cell("relu-minibatch", {"iterations": 2, "train_size": 200, "test_size": 100})
    script = tmp_path / "cell.py"
    script.write_text(codecell.answer({"op": "script", "code": code})["script"])
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                         env={"PYNET_DATA": str(digits), "PATH": "/usr/bin:/bin",
                              "PYTHONPATH": str(Path(__file__).parents[1])})
    assert run.returncode == 0, run.stderr
    # The same numbers as the host trains for the same cell.
    host = Host(synthetic_digits_bytes())
    assert call(host, type="configure", kind="code", code=code)["ok"]
    while call(host, type="status")["session"]["state"] == "training":
        call(host, type="run", max_seconds=0.5)
    accuracy = call(host, type="status")["status"]["evaluation"]["test_accuracy"]
    assert run.stdout.splitlines()[-1].endswith(f"test accuracy {accuracy:.4f}")


def test_the_code_command_answers_the_panel():
    host = Host(synthetic_digits_bytes())
    code = call(host, type="code", op="cell", preset="conv", params={"kernels": 8})["code"]
    assert "kernels = 8\n" in code
    assert call(host, type="code", op="values", code=code)["values"]["kernels"] == 8
    assert "kernels = 4\n" in call(host, type="code", op="set", code=code, values={"kernels": 4})["code"]
    assert not call(host, type="code", op="nothing")["ok"]


def test_an_endless_cell_is_ended_by_an_interrupt():
    """The page's Stop is a SIGINT inside Python (Pyodide's interrupt buffer): a cell that never returns
    ends with a message naming the line it was on, and nothing else changes."""
    code = "import time\nn = 0\nwhile True:\n    n += 1\n"
    timer = threading.Timer(0.3, lambda: signal.raise_signal(signal.SIGINT))
    timer.start()
    with pytest.raises(CodeError, match=r"Stopped: your code was still running \(line [34] of your code\)"):
        codecell.run(code)
    timer.join()


def call(host, payload=None, **message):
    return json.loads(host.handle(json.dumps(message), payload))
