"""bench/ceiling.py and bench/batch_time.py: a batch's time split into pynet's products and the rest, in
CPython here (the bench's worker runs the same batch_time.py; tests/e2e/test_threads.py runs it there),
and what a throughput target leaves of a batch."""
import sys
from pathlib import Path

import pytest

from pynet import blas, layers
from tests.host_matmul import numpy_matmul
from tests.synthetic import synthetic_digits_bytes

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import batch_time  # noqa: E402
import ceiling  # noqa: E402


@pytest.fixture
def host_product():
    """A host product (NumPy behind the addresses, as XNNPACK in the worker), each call timed."""
    calls = []
    assert blas.use_matmul(batch_time.timed(numpy_matmul, calls), "test")
    yield calls
    blas.use_numpy()


def test_each_batch_is_its_products_and_the_rest():
    figures = batch_time.measure(synthetic_digits_bytes(), ["tanh-softmax"], {"tanh-softmax": 5}, 300, 100)
    f = figures["tanh-softmax"]
    assert f["products_ms"] > 0 and f["rest_ms"] > 0 and f["kernel_ms"] is None
    # Medians of each part need not add up exactly, only nearly.
    assert f["products_ms"] + f["rest_ms"] == pytest.approx(f["batch_ms"], rel=0.5)
    assert layers.dot is blas.dot  # the timing is taken off again


def test_the_hosts_calls_are_timed_inside_the_products(host_product):
    f = batch_time.measure(synthetic_digits_bytes(), ["tanh-softmax"], {"tanh-softmax": 5}, 300, 100,
                           kernel=host_product)["tanh-softmax"]
    assert 0 < f["kernel_ms"] <= f["products_ms"]


def test_a_failing_batch_still_takes_the_timing_off():
    with pytest.raises(KeyError):
        batch_time.measure(synthetic_digits_bytes(), ["tanh-softmax"], {}, 300, 100)
    assert layers.dot is blas.dot


def test_a_target_leaves_the_batch_less_the_fastest_kernel():
    figures = {"native": {"batch_ms": 1.0, "products_ms": 0.5, "rest_ms": 0.5},
               "worker_one_thread": {"batch_ms": 4.0, "products_ms": 2.5, "rest_ms": 1.5, "kernel_ms": 2.0},
               "worker": {"batch_ms": 3.2, "products_ms": 2.2, "rest_ms": 1.0, "kernel_ms": 2.1}}
    b = ceiling.budget(figures, 0.4)
    assert b["allowed_batch_ms"] == pytest.approx(2.5)
    assert b["kernel_ms"] == 2.0  # the faster of the two workers' kernels
    assert b["rest_budget_ms"] == pytest.approx(0.5)
    assert b["worker_over_native"] == pytest.approx(1.0 / 3.2)  # the faster worker's batch


def test_the_report_says_what_is_left_for_the_rest():
    runs = {"native": {"conv": [{"batch_ms": 10.0, "products_ms": 4.0, "rest_ms": 6.0, "kernel_ms": None}] * 3},
            "worker_one_thread": {"conv": [{"batch_ms": 30.0, "products_ms": 16.0, "rest_ms": 14.0, "kernel_ms": 12.0}] * 3},
            "worker": {"conv": [{"batch_ms": 28.0, "products_ms": 14.0, "rest_ms": 14.0, "kernel_ms": 10.0}] * 3}}
    summary = ceiling.summarise(runs)
    assert "kernel_ms" not in summary["conv"]["native"]
    budgets = {"conv": ceiling.budget(summary["conv"], 0.35)}
    text = ceiling.report(summary, budgets, {"when": "now", "cpus": 2, "load_average": 1.0,
                                             "load_average_after": 1.0}, {"worker_one_thread": 1, "worker": 2})
    assert "| conv | 10.00 = 4.00 + 6.00 | 30.00 = 16.00 + 14.00 (12.00) | 28.00 = 14.00 + 14.00 (10.00) | 35.7% |" in text
    assert "| conv | 35% | 28.57 ms | 10.00 ms | 18.57 ms | 18.00 ms, 6.00 ms |" in text
