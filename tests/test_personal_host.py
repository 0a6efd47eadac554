"""The page's personal digits through the worker's command interface (pynet.host), in CPython: fine-tuning
the current model on them (a session of its own kind), training a preset with them, and their .npz file
both ways."""
import base64
import io
import json

import numpy as np
import pytest

from pynet import personal
from pynet.data import Dataset
from pynet.host import Host
from tests.synthetic import synthetic_digits_bytes, synthetic_pixels

SMALL = {"train_size": 400, "test_size": 100}


def call(host, payload=None, **message):
    return json.loads(host.handle(json.dumps(message), payload))


def run_to_the_end(host):
    events = []
    for _ in range(2000):
        reply = call(host, type="run", max_seconds=0.05)
        assert reply["ok"], reply
        events += reply["events"]
        if call(host, type="status")["session"]["state"] != "training":
            return events
    raise AssertionError("training never ended")


@pytest.fixture
def trained():
    host = Host(synthetic_digits_bytes())
    assert call(host, type="configure", preset="tanh-softmax", params={"iterations": 3, **SMALL})["ok"]
    run_to_the_end(host)
    return host


def page_digits(labels, seed=5):
    """Digits as the page keeps them: 784 bytes each, and their labels."""
    images, _ = synthetic_pixels(len(labels), seed)
    return images.reshape(-1).tobytes(), list(labels)


def predicts(host, pixels):
    image = np.frombuffer(pixels, np.uint8).astype(np.float32) / 255
    return call(host, image, type="predict")["digit"]


def test_learning_my_digits_trains_the_current_model_on_and_it_reads_them(trained):
    # A style the model misreads: the bar of a 2, always labelled 7 by its writer.
    images, labels = synthetic_pixels(40, seed=9)
    style = images[labels == 2][:4].reshape(4, 784)
    assert all(predicts(trained, s.tobytes()) == 2 for s in style)
    before = call(trained, type="status")["session"]

    reply = call(trained, style[:3].tobytes(), type="configure", kind="finetune", labels=[7, 7, 7])
    assert reply["ok"], reply
    session = reply["session"]
    assert (session["state"], session["kind"], session["preset"]) == ("training", "finetune", "tanh-softmax")
    assert session["model_id"] == before["model_id"] + 1 and session["parameters"] == before["parameters"]
    events = run_to_the_end(trained)
    assert [e["type"] for e in events if e["type"] in ("iteration", "done")][-1] == "done"
    assert any(e["type"] == "evaluation" for e in events)  # the usual progress, with its evaluation
    assert call(trained, type="status")["session"]["state"] == "done"
    assert predicts(trained, style[3].tobytes()) == 7  # a fourth drawing of the style, never trained on
    exported = call(trained, type="export")
    assert exported["ok"] and exported["filename"] == "pynet-tanh-softmax.npz"


def test_learning_is_refused_clearly_without_a_model_or_without_digits(trained):
    empty = Host(synthetic_digits_bytes())
    pixels, labels = page_digits([1, 2])
    reply = call(empty, pixels, type="configure", kind="finetune", labels=labels)
    assert reply["refused"] and reply["error"].startswith("Train or import a model first")
    before = call(trained, type="status")["session"]
    reply = call(trained, b"", type="configure", kind="finetune", labels=[])
    assert not reply["ok"] and reply["error"].startswith("There are no personal digits to learn from yet")
    assert call(trained, type="status")["session"] == before
    reply = call(trained, pixels[:700], type="configure", kind="finetune", labels=labels)
    assert "need 2 images of 28x28 pixels" in reply["error"]
    reply = call(trained, pixels, type="configure", kind="finetune", labels=[1, 12])
    assert "labels must be digits 0-9" in reply["error"]
    assert call(trained, type="status")["session"] == before


def test_a_preset_trains_with_my_digits_mixed_in(trained):
    pixels, labels = page_digits([4, 4, 4])
    reply = call(trained, pixels, type="configure", preset="tanh-softmax", labels=labels,
                 params={"iterations": 1, **SMALL})
    assert reply["ok"], reply
    train_x = trained.session.trainer.train_x
    mine = np.frombuffer(pixels, np.uint8).reshape(3, 784).astype(np.float32) / 255
    copies = sum(any(np.array_equal(row, m) for m in mine) for row in train_x)
    assert len(train_x) > SMALL["train_size"] and copies == len(train_x) - SMALL["train_size"]
    assert copies >= 3 and abs(copies / len(train_x) - personal.TRAINING_SHARE) < 0.02
    assert call(trained, type="status")["status"]["params"]["personal_digits"] == 3


def test_my_digits_go_to_a_file_and_come_back_the_same(trained):
    pixels, labels = page_digits([0, 5, 9])
    reply = call(trained, pixels, type="digits-export", labels=labels)
    assert reply["ok"] and reply["filename"] == "my-digits.npz"
    blob = base64.b64decode(reply["bytes_b64"])
    on_disk = personal.load(blob)  # the file the CLI's --extra reads
    assert on_disk.labels.tolist() == labels
    back = call(trained, np.frombuffer(blob, np.uint8), type="digits-import")
    assert back["labels"] == labels and base64.b64decode(back["pixels_b64"]) == pixels


def test_a_bad_digit_file_is_refused_with_its_reason():
    host = Host(synthetic_digits_bytes())
    reply = call(host, b"not a zip file at all", type="digits-import")
    assert reply["error"] == "not a pynet digit set file (.npz): the file is not a zip archive"
    buffer = io.BytesIO()
    np.savez(buffer, pynet_meta=np.array(json.dumps({"format": "pynet-digits", "version": 1})),
             images=np.full((2, 28, 28), 3.0, np.float32), labels=np.array([1, 2], np.uint8))
    reply = call(host, buffer.getvalue(), type="digits-import")
    assert not reply["ok"] and reply["error"] == "digit set file: pixels must be finite and between 0 and 1"
    assert call(host, type="digits-import")["error"] == "no digit set file was given"


def test_page_bytes_round_to_the_nearest_255th():
    digits = Dataset(np.array([[0.0, 0.5, 1.0, 0.999] + [0.0] * 780], np.float32), np.array([6]))
    pixels, labels = personal.to_page(digits)
    assert pixels[:4] == bytes([0, 128, 255, 255]) and labels == [6]
    back = personal.from_page(pixels, labels)
    assert back.images.dtype == np.float32 and np.abs(back.images - digits.images).max() <= 0.5 / 255 + 1e-6
