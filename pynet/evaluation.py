"""Where a model goes wrong on its test set: the confusion matrix and its most confident mistakes.

Computed once, when a run comes to rest, from the same predictions the test accuracy counts (argmax of
the model's outputs, dropout off), so the matrix's diagonal over the test size *is* that accuracy. The
page keeps the result with the run, so a run's matrix can be looked at long after its model is gone.
"""
import numpy as np

from .layers import Softmax

CLASSES = 10
MISTAKES = 12  # the worst mistakes kept per run: a row of digits a person looks at, not a data set


def probabilities(outputs, is_softmax):
    """Each row of outputs as a distribution. A softmax output already is one. A squared-error network's
    outputs approximate one-hot targets, so its clipped outputs, normalised, are its scores (a row of no
    positive output scores every class alike)."""
    outputs = np.asarray(outputs, dtype=np.float64)
    if is_softmax:
        return outputs / outputs.sum(axis=1, keepdims=True)
    scores = np.clip(outputs, 0, None)
    totals = scores.sum(axis=1, keepdims=True)
    flat = np.full_like(scores, 1 / scores.shape[1])
    return np.where(totals > 0, scores / np.where(totals > 0, totals, 1), flat)


def confusion(labels, predictions, classes=CLASSES):
    """counts[true, predicted]: how many test digits of each true class got each answer."""
    counts = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(counts, (np.asarray(labels), np.asarray(predictions)), 1)
    return counts


def worst_mistakes(labels, answers, probs, count=MISTAKES):
    """The wrong answers the model was surest of, surest first: [{index, truth, answer, confidence}]
    where `index` numbers the digit in the test set and `confidence` is the probability of its answer."""
    labels, answers = np.asarray(labels), np.asarray(answers)
    confidence = probs[np.arange(len(answers)), answers]
    wrong = np.flatnonzero(answers != labels)
    # A stable sort keeps equally sure mistakes in test-set order, so the list is reproducible.
    worst = wrong[np.argsort(-confidence[wrong], kind="stable")][:count]
    return [{"index": int(i), "truth": int(labels[i]), "answer": int(answers[i]),
             "confidence": float(confidence[i])} for i in worst]


def evaluate(model, images, labels):
    """The test set through the model: its confusion matrix, accuracy, worst mistakes, and every label and
    answer as a string of digits (compact in JSON and in the page's storage; the page finds the digits of a
    matrix cell from them)."""
    outputs = model.predict(images.astype(model.dtype, copy=False))
    # The answers are the outputs' argmax, as the test accuracy counts them (a squared-error network's
    # scores clip negative outputs, which could tie where the outputs do not).
    answers = outputs.argmax(axis=1)
    probs = probabilities(outputs, isinstance(model.layers[-1], Softmax))
    counts = confusion(labels, answers)
    return {"confusion": counts.tolist(), "test_size": int(len(labels)),
            "accuracy": float(np.trace(counts) / max(len(labels), 1)),
            "mistakes": worst_mistakes(labels, answers, probs),
            "labels": digits(labels), "answers": digits(answers)}


def digits(values):
    return "".join(map(str, np.asarray(values, dtype=np.int64).tolist()))
