"""Faster libraries for matrix products: same numbers as NumPy, every operand layout, each product sent to
the right library, and training through them matches training without them.

Inside Pyodide the libraries are XNNPACK (a JavaScript function from the worker) and Pyodide's `openblas`
package (the end-to-end tests cover both); here the host function is NumPy's own `matmul`, and OpenBLAS is
Debian's libopenblas0, which `.ci/run` installs. Without it the OpenBLAS tests are skipped, saying why.
"""
import gc

import numpy as np
import pytest

from pynet import blas
from pynet.data import read_digits, split
from pynet.presets import make_trainer
from tests.host_matmul import KeepingMatmul, as_matrix, numpy_matmul
from tests.synthetic import synthetic_digits_bytes


@pytest.fixture
def openblas():
    if not blas.use_openblas():
        pytest.skip("no OpenBLAS shared library on this machine (apt-get install libopenblas0)")
    yield
    blas.use_numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("a_transposed,b_transposed", [(0, 0), (1, 0), (0, 1), (1, 1)])
def test_gemm_matches_numpy_for_every_layout(openblas, dtype, a_transposed, b_transposed):
    rng = np.random.default_rng(1)
    a = rng.random((300, 200)).astype(dtype)
    b = rng.random((200, 120)).astype(dtype)
    a = a.T.copy().T if a_transposed else a  # same values, F-contiguous
    b = b.T.copy().T if b_transposed else b
    out = blas.dot(a, b)
    assert out.dtype == dtype and out.flags.c_contiguous
    np.testing.assert_allclose(out, a.dot(b), rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_strided_views_are_copied_not_misread(openblas):
    a = np.random.default_rng(2).random((200, 400))[:, ::2]  # neither C- nor F-contiguous
    b = np.random.default_rng(3).random((200, 300))
    np.testing.assert_allclose(blas.dot(a, b), a.dot(b), rtol=1e-12)


def test_small_products_stay_in_numpy(openblas, monkeypatch):
    calls = []
    monkeypatch.setitem(blas._gemm, np.dtype(np.float64), lambda a, b: calls.append(a.shape) or a.dot(b))
    blas.dot(np.ones((1, 10)), np.ones((10, 400)))
    blas.dot(np.ones((100, 784)), np.ones((784, 100)))
    assert calls == [(100, 784)]


class Recorder:
    """A host matmul function (what the browser worker passes), recording the shapes it was given."""
    def __init__(self):
        self.calls = []

    def __call__(self, a_address, b_address, out_address, m, k, n, b_key=0):
        self.calls.append(((m, k), (k, n)))
        numpy_matmul(a_address, b_address, out_address, m, k, n)


@pytest.fixture
def host_matmul():
    recorder = Recorder()
    assert blas.use_matmul(recorder, "recorder")
    recorder.calls.clear()  # the self-check's calls
    yield recorder
    blas.use_numpy()


@pytest.mark.parametrize("a_transposed,b_transposed", [(0, 0), (1, 0), (0, 1), (1, 1)])
def test_host_matmul_gets_row_major_float32_and_matches_numpy(host_matmul, a_transposed, b_transposed):
    # The host reads every operand as row-major float32: a transposed view passed as is would be misread.
    rng = np.random.default_rng(4)
    a = rng.random((300, 200), dtype=np.float32)
    b = rng.random((200, 120), dtype=np.float32)
    a = a.T.copy().T if a_transposed else a
    b = b.T.copy().T if b_transposed else b
    out = blas.dot(a, b)
    assert out.dtype == np.float32 and out.flags.c_contiguous
    np.testing.assert_allclose(out, a.dot(b), rtol=1e-5)
    assert host_matmul.calls == [((300, 200), (200, 120))]


def test_host_matmul_leaves_float64_and_small_products_to_numpy(host_matmul):
    blas.dot(np.ones((100, 784)), np.ones((784, 100)))                        # float64
    blas.dot(np.ones((1, 784), np.float32), np.ones((784, 100), np.float32))  # one row
    blas.dot(np.ones((10, 10), np.float32), np.ones((10, 10), np.float32))    # tiny
    assert host_matmul.calls == [] and blas.backend() == "recorder"


def test_the_last_library_plugged_in_does_the_products(host_matmul):
    if not blas.use_openblas():
        pytest.skip("no OpenBLAS shared library on this machine (apt-get install libopenblas0)")
    assert blas.backend() == "openblas"
    f32 = np.ones((100, 600), np.float32), np.ones((600, 400), np.float32)
    blas.dot(*f32)
    assert host_matmul.calls == []
    assert blas.use_matmul(host_matmul, "recorder") and blas.backend() == "recorder"
    blas.dot(*f32)
    assert [c[0] for c in host_matmul.calls if c[0] == (100, 600)] == [(100, 600)]


@pytest.mark.parametrize("broken", [lambda a, b, out, m, k, n, key: as_matrix(out, m, n).fill(0),  # wrong
                                    lambda *args: 1 / 0])  # fails
def test_a_wrong_or_failing_host_function_is_refused(broken):
    assert blas.use_matmul(broken, "broken") is False
    assert blas.backend() == "numpy" and not blas.enabled()


def trained_weights(preset, iterations, dtype):
    """The weights after training `preset` on synthetic digits, with whatever library is plugged in."""
    train, test = split(read_digits(synthetic_digits_bytes(), dtype), 400, 200)
    trainer = make_trainer(preset, train, test, {"iterations": iterations, "train_size": 400}, dtype=dtype)
    trainer.run()
    return trainer.model.state_dict()


def test_training_through_a_host_matmul_matches_numpy(host_matmul):
    fast = trained_weights("wide-minibatch", 2, np.float32)
    assert host_matmul.calls, "the dense products did not reach the host function"
    blas.use_numpy()
    slow = trained_weights("wide-minibatch", 2, np.float32)
    for name in slow:
        np.testing.assert_allclose(fast[name], slow[name], rtol=0, atol=1e-5)


def test_training_through_openblas_matches_numpy(openblas):
    fast = trained_weights("tanh-softmax", 3, np.float64)
    blas.use_numpy()
    slow = trained_weights("tanh-softmax", 3, np.float64)
    for name in slow:
        np.testing.assert_allclose(fast[name], slow[name], rtol=0, atol=1e-10)


def test_missing_library_leaves_numpy_in_charge():
    assert blas.use_openblas("/no/such/libopenblas.so") is False
    assert not blas.enabled() and blas.backend() == "numpy"


@pytest.fixture
def keeping_host():
    host = KeepingMatmul()
    assert blas.use_matmul(host, "keeping", forget=host.forget)
    host.calls.clear()  # the self-check's
    yield host
    blas.use_numpy()


def test_a_constant_is_kept_by_the_host_on_either_side_and_forgotten_once_gone(keeping_host):
    rng = np.random.default_rng(7)
    x = rng.random((300, 200), dtype=np.float32)
    batch = blas.Constant.pair(x)
    for _ in range(2):  # a second step: the host multiplies by what it kept
        w, delta = rng.random((200, 120), dtype=np.float32), rng.random((300, 50), dtype=np.float32)
        np.testing.assert_allclose(blas.dot(batch, w), x @ w, rtol=1e-5)         # constant on the left
        np.testing.assert_allclose(blas.dot(batch.T, delta), x.T @ delta, rtol=1e-5)  # its transpose
    # On the left, a constant is multiplied as (b.T @ a.T).T: the host always gets it on the right.
    assert [call[2] for call in keeping_host.calls] == [batch.T.key, batch.key] * 2
    assert sorted(keeping_host.kept) == sorted([batch.key, batch.T.key])
    keys = [batch.key, batch.T.key]
    del batch
    gc.collect()
    assert set(keys) <= set(keeping_host.forgotten) and keeping_host.kept == {}


def test_a_lone_constant_on_the_left_is_multiplied_as_it_is(keeping_host):
    x, w = np.ones((300, 200), np.float32), np.ones((200, 120), np.float32)
    np.testing.assert_allclose(blas.dot(blas.Constant(x), w), 200)
    assert keeping_host.calls == [((300, 200), (200, 120), 0)]


def test_a_host_that_cannot_forget_is_given_no_constants():
    host = KeepingMatmul()
    assert blas.use_matmul(host, "keeping")  # no forget: it would keep everything forever
    try:
        x = np.ones((300, 200), np.float32)
        np.testing.assert_allclose(blas.dot(blas.Constant.pair(x), np.ones((200, 120), np.float32)), 200)
        assert host.calls[-1] == ((300, 200), (200, 120), 0) and host.kept == {}
    finally:
        blas.use_numpy()


def test_training_through_a_host_that_keeps_the_batches_matches_numpy(keeping_host):
    fast = trained_weights("tanh-softmax", 3, np.float32)
    assert any(call[2] for call in keeping_host.calls), "the prepared batches were not kept"
    blas.use_numpy()
    slow = trained_weights("tanh-softmax", 3, np.float32)
    for name in slow:
        np.testing.assert_allclose(fast[name], slow[name], rtol=0, atol=1e-5)
