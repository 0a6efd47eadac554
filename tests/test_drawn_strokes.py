"""The drawn-digit stroke set (tests/drawn_digits), the page's inputs for it, and bench/drawn.py's scoring:
the set is what its generator makes, covers every digit in every style, and the stored inputs belong to it."""
import hashlib
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from pynet.layers import Dense
from pynet.model import Sequential
from tests.drawn_digits import make_strokes

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
import drawn  # noqa: E402
import ink_stats  # noqa: E402


@pytest.fixture(scope="module")
def drawings():
    return drawn.load_strokes()


def test_generator_reproduces_the_stored_set_exactly():
    assert make_strokes.encode(make_strokes.make_set()) == make_strokes.OUT.read_text()
    assert make_strokes.main(["--check"]) == 0


def test_every_digit_in_every_style_size_and_placement(drawings):
    per_digit = Counter(d["label"] for d in drawings)
    assert sorted(per_digit) == list(range(10)) and min(per_digit.values()) >= 15
    for digit, styles in make_strokes.STYLES.items():
        mine = [d for d in drawings if d["label"] == digit]
        assert {d["style"] for d in mine} == set(styles)
        assert {d["size"] for d in mine} == set(make_strokes.SIZES)
        assert {d["placement"] for d in mine} == {"centred", "off-centre"}
    assert len({d["id"] for d in drawings}) == len(drawings)


def test_strokes_are_pointer_samples_on_the_pad(drawings):
    for d in drawings:
        assert d["strokes"] and all(len(s) >= 2 for s in d["strokes"]), d["id"]
        points = np.array([p for s in d["strokes"] for p in s])
        assert points.min() >= 0 and points.max() <= 1, d["id"]
    slants = [d["slant"] for d in drawings]
    assert min(slants) < -5 and max(slants) > 20  # upright, leaning left and right


def test_stored_page_inputs_belong_to_the_stored_set(drawings):
    inputs = drawn.read_inputs()
    assert inputs["about"]["strokes_sha256"] == hashlib.sha256(make_strokes.OUT.read_bytes()).hexdigest(), \
        "strokes.json changed: remake the page's inputs with `python bench/drawn.py inputs`"
    assert [str(i) for i in inputs["ids"]] == [d["id"] for d in drawings]
    assert inputs["labels"].tolist() == [d["label"] for d in drawings]
    assert [str(s) for s in inputs["styles"]] == [d["style"] for d in drawings]
    images = inputs["images"]
    assert images.shape == (len(drawings), 784) and images.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 1 and (images.max(axis=1) > 0.5).all()


def one_digit_model(digit):
    """A linear model whose answer is always `digit`."""
    layer = Dense(784, 10)
    layer.params["weight"][:] = 0
    layer.params["weight"][:, digit] = 1
    return Sequential([layer])


def test_evaluate_scores_the_answers_per_digit_and_style():
    inputs = drawn.read_inputs()
    result = drawn.evaluate(one_digit_model(3), inputs)
    threes = inputs["labels"] == 3
    assert result["accuracy"] == pytest.approx(threes.mean())
    assert result["per_digit"]["3"] == 1 and result["per_digit"]["4"] == 0
    assert all(v == 1 for k, v in result["per_style"].items() if k.startswith("3 "))
    assert len(result["wrong"]) == (~threes).sum() and set(result["wrong"].values()) == {3}


def test_score_counts_a_missing_answer_as_wrong():
    inputs = {k: v[:3] for k, v in drawn.read_inputs().items() if k != "about"}
    result = drawn.score([inputs["labels"][0], None, inputs["labels"][2]], inputs)
    assert result["accuracy"] == pytest.approx(2 / 3) and list(result["wrong"].values()) == [None]


def test_ink_statistics_of_a_known_image():
    image = np.zeros((28, 28))
    image[4:24, 13:15] = 1          # a bar 2 pixels wide, 20 tall
    image[4:24, 15] = 0.3           # with a soft right edge
    (width,), (height,) = ink_stats.bounding_box(image[None])
    assert (width, height) == (3, 20)
    x, y = ink_stats.centre_of_mass(image[None])
    assert y[0] == pytest.approx(14.0) and 14.0 < x[0] < 14.5
    assert ink_stats.mass(image[None])[0] == pytest.approx(20 * 2.3)
    assert ink_stats.stroke_width(image[None])[0] == pytest.approx(2 * 40 / 44)  # ends count in the outline
    assert ink_stats.saturation(image[None])[0] == pytest.approx(40 / 60)


def test_report_has_a_row_per_preset():
    row = {"params": {}, "training": {"outcome": "done"}, "mnist_test_accuracy": 0.885,
           "drawn": {"page": {"accuracy": 0.9, "per_digit": {str(d): 0.9 for d in range(10)}}}}
    text = drawn.report("t", {"tanh-softmax": row, "linear": {"params": {"alpha": 1e-5}, "training": {"outcome": "diverged"}}})
    assert "| tanh-softmax | 88.5% | 90.0% |" in text
    assert "| linear (alpha 1e-05) | training ended: diverged |" in text
