"""Where a model goes wrong (pynet/evaluation.py) and the host's `evaluation` and `digits` commands that
bring it to the page's run list and confusion matrix."""
import base64
import json

import numpy as np
import pytest

from pynet import evaluation
from pynet.host import Host
from tests.synthetic import synthetic_digits_bytes


def call(host, **message):
    return json.loads(host.handle(json.dumps(message)))


def train(host, preset="relu-minibatch", **params):
    params = {"iterations": 3, "train_size": 400, "test_size": 200, **params}
    assert call(host, type="configure", preset=preset, params=params)["ok"]
    events = []
    while True:
        reply = call(host, type="run", max_seconds=1)
        events += reply["events"]
        if reply.get("session", {}).get("state", "training") != "training":
            return events


@pytest.fixture
def host():
    return Host(synthetic_digits_bytes())


def test_confusion_counts_each_true_and_predicted_pair():
    counts = evaluation.confusion([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], classes=3)
    assert counts.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]


def test_probabilities_are_distributions_for_softmax_and_squared_error_outputs():
    soft = evaluation.probabilities([[0.2, 0.8], [0.5, 0.5]], is_softmax=True)
    assert np.allclose(soft.sum(axis=1), 1)
    scores = evaluation.probabilities([[-1.0, 3.0, 1.0], [-1.0, -2.0, -3.0]], is_softmax=False)
    assert np.allclose(scores, [[0, 0.75, 0.25], [1 / 3, 1 / 3, 1 / 3]])


def test_worst_mistakes_are_wrong_answers_surest_first():
    labels = [0, 1, 2, 0, 1]
    answers = [1, 1, 0, 2, 0]
    probs = np.array([[.3, .7, 0], [0, 1, 0], [.9, 0, .1], [.2, 0, .8], [.7, .3, 0]])
    worst = evaluation.worst_mistakes(labels, answers, probs, count=3)
    assert [m["index"] for m in worst] == [2, 3, 0]  # 0.9, 0.8, 0.7 (the right answer, index 1, is no mistake)
    assert worst[0] == {"index": 2, "truth": 2, "answer": 0, "confidence": 0.9}


@pytest.mark.parametrize("preset", ["linear", "relu-minibatch", "tanh-softmax"])
def test_the_matrix_sums_to_the_test_size_and_its_diagonal_is_the_test_accuracy(host, preset):
    # The linear network (squared error, no softmax) diverges at its notebook alpha on 400 images.
    events = train(host, preset, **({"alpha": 0.0001} if preset == "linear" else {}))
    final = [e for e in events if e["type"] == "evaluation"][-1]
    reply = call(host, type="evaluation")
    result = reply["evaluation"]
    counts = np.array(result["confusion"])
    assert counts.shape == (10, 10) and counts.sum() == result["test_size"] == 200
    assert np.trace(counts) / 200 == pytest.approx(final["test_accuracy"], abs=1e-12)
    assert result["accuracy"] == pytest.approx(final["test_accuracy"], abs=1e-12)
    labels, answers = np.array(list(result["labels"]), int), np.array(list(result["answers"]), int)
    assert len(labels) == len(answers) == 200
    assert (evaluation.confusion(labels, answers) == counts).all()
    # The worst mistakes are mistakes, surest first, and each is where the answers say.
    confidences = [m["confidence"] for m in result["mistakes"]]
    assert confidences == sorted(confidences, reverse=True)
    for m in result["mistakes"]:
        assert m["truth"] != m["answer"] and labels[m["index"]] == m["truth"] and answers[m["index"]] == m["answer"]
    assert len(result["mistakes"]) == min(evaluation.MISTAKES, int(200 - np.trace(counts)))
    assert reply["summary"]["params"]["test_size"] == 200 and reply["summary"]["state"] == "done"


def test_a_stopped_run_is_evaluated_as_its_stop_reported(host):
    call(host, type="configure", preset="tanh-softmax", params={"iterations": 50, "train_size": 400, "test_size": 150})
    call(host, type="run", max_seconds=0.05)
    stopped = call(host, type="stop")["events"][0]
    result = call(host, type="evaluation")["evaluation"]
    assert sum(map(sum, result["confusion"])) == 150
    assert result["accuracy"] == pytest.approx(stopped["test_accuracy"], abs=1e-12)


def test_a_diverged_run_has_a_summary_but_no_matrix(host):
    train(host, "linear", alpha=100, iterations=5)
    reply = call(host, type="evaluation")
    assert reply["ok"] and reply["summary"]["state"] == "diverged" and "evaluation" not in reply


def test_digits_by_test_index_are_the_test_sets_images(host):
    train(host, test_size=200)
    wanted = [0, 5, 199]
    reply = call(host, type="digits", indices=wanted)
    pixels = np.frombuffer(base64.b64decode(reply["pixels_b64"]), np.uint8).reshape(3, 784)
    labels = call(host, type="evaluation")["evaluation"]["labels"]
    assert reply["labels"] == [int(labels[i]) for i in wanted]
    assert np.allclose(pixels / 255, host.test.images[wanted], atol=1e-6)
    bad = call(host, type="digits", indices=[10_000])
    assert bad["ok"] is False and "numbered 0 to" in bad["error"]
