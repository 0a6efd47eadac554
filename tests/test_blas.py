"""The OpenBLAS route for matrix products: same numbers as NumPy, every operand layout, and training
through it matches training without it.

Inside Pyodide the library is Pyodide's `openblas` package (the end-to-end tests cover that); here it is
Debian's libopenblas0, which `.ci/run` installs. Without it these tests are skipped, saying why.
"""
import numpy as np
import pytest

from pynet import blas
from pynet.data import read_digits, split
from pynet.presets import make_trainer
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
    monkeypatch.setattr(blas, "gemm", lambda a, b: calls.append(a.shape) or a.dot(b))
    blas.dot(np.ones((1, 10)), np.ones((10, 400)))
    blas.dot(np.ones((100, 784)), np.ones((784, 100)))
    assert calls == [(100, 784)]


def test_training_through_openblas_matches_numpy(openblas):
    train, test = split(read_digits(synthetic_digits_bytes(), np.float64), 400, 200)
    def weights():
        trainer = make_trainer("tanh-softmax", train, test, {"iterations": 3, "train_size": 400},
                               dtype=np.float64)
        trainer.run()
        return trainer.model.state_dict()
    fast = weights()
    blas.use_numpy()
    slow = weights()
    for name in slow:
        np.testing.assert_allclose(fast[name], slow[name], rtol=0, atol=1e-10)


def test_missing_library_leaves_numpy_in_charge():
    assert blas.use_openblas("/no/such/libopenblas.so") is False
    assert not blas.enabled()
