"""The exact dense spectrum (LAPACK dsyevd, or dsyevd_2stage from 2500 rows, from softent's
OpenBLAS) against SciPy's and NumPy's symmetric eigensolvers and known answers:
softent.spectral.eigenvalues and the estimators that stand on it (DSE, ASE, DSMI, the
matrix Renyi entropy, spectrum)."""

from __future__ import annotations

import ctypes
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.linalg
import softent.spectral as sp
from reference import spectral as ref

SIZES = [1, 2, 3, 17, 200, 600]
#: relative to the largest |eigenvalue|: two backward-stable solvers agree to a few N eps
REL = 1e-12


def _symmetric(n: int, seed: int) -> np.ndarray:
    a = np.random.default_rng(seed).normal(size=(n, n))
    return (a + a.T) / 2  # exactly symmetric: (a + a.T)[i, j] and [j, i] add the same pair


def _with_spectrum(values: np.ndarray, seed: int) -> np.ndarray:
    """Q diag(values) Q^T for a seeded orthogonal Q, symmetrised exactly."""
    n = values.size
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(n, n)))
    q *= np.sign(np.diag(r))
    a = (q * values) @ q.T
    return (a + a.T) / 2


def _assert_spectrum(got: np.ndarray, want_ascending: np.ndarray, rel: float = REL) -> None:
    want = np.sort(np.asarray(want_ascending, dtype=np.float64))[::-1]
    assert got.dtype == np.float64
    assert got.shape == want.shape
    assert np.all(np.diff(got) <= 0)  # descending
    scale = max(float(np.abs(want).max()), np.finfo(np.float64).tiny)
    np.testing.assert_allclose(got, want, rtol=0, atol=rel * scale)


@pytest.mark.parametrize("n", SIZES)
def test_equals_scipy_and_numpy_on_seeded_matrices(n):
    a = _symmetric(n, seed=n)
    got = sp.eigenvalues(a)
    _assert_spectrum(got, scipy.linalg.eigh(a, eigvals_only=True, driver="evr"))
    _assert_spectrum(got, np.linalg.eigvalsh(a))
    _assert_spectrum(got, ref.eigenvalues(a)[::-1])


@pytest.mark.parametrize("n", [3, 17, 200, 600])
def test_known_spectrum_with_a_wide_range(n):
    # eigenvalues over 12 decades, both signs: the small ones are resolved to ~eps * max
    rng = np.random.default_rng(100 + n)
    values = np.sign(rng.normal(size=n)) * 10.0 ** rng.uniform(-8, 4, n)
    got = sp.eigenvalues(_with_spectrum(values, seed=n))
    # forming Q diag Q^T in floating point moves the spectrum by ~N eps max|lambda|
    _assert_spectrum(got, values, rel=1e-11)


@pytest.mark.parametrize("n", [1, 2, 3, 17, 200, 600])
def test_identity_and_scaled_identity(n):
    np.testing.assert_array_equal(sp.eigenvalues(np.eye(n)), np.ones(n))
    _assert_spectrum(sp.eigenvalues(-3.5 * np.eye(n)), np.full(n, -3.5))


@pytest.mark.parametrize("n", [2, 3, 17, 200, 600])
def test_rank_one(n):
    v = np.random.default_rng(n).normal(size=n)
    got = sp.eigenvalues(np.outer(v, v))
    want = np.zeros(n)
    want[-1] = v @ v  # v v^T: ||v||^2 once, 0 with multiplicity n - 1
    _assert_spectrum(got, want)
    _assert_spectrum(got, scipy.linalg.eigh(np.outer(v, v), eigvals_only=True))


@pytest.mark.parametrize("n", [3, 17, 200, 600])
def test_repeated_eigenvalues(n):
    values = np.repeat([-2.0, 0.5, 7.0], [n // 3, n - 2 * (n // 3), n // 3])
    a = _with_spectrum(values, seed=7 * n)
    got = sp.eigenvalues(a)
    _assert_spectrum(got, values, rel=1e-11)
    _assert_spectrum(got, scipy.linalg.eigh(a, eigvals_only=True, driver="evr"))


def test_small_known_answers():
    np.testing.assert_allclose(sp.eigenvalues(np.array([[2.0, 1.0], [1.0, 2.0]])), [3.0, 1.0])
    np.testing.assert_array_equal(sp.eigenvalues(np.array([[-4.25]])), [-4.25])
    np.testing.assert_array_equal(sp.eigenvalues(np.diag([3.0, -1.0, 2.0])), [3.0, 2.0, -1.0])
    np.testing.assert_array_equal(sp.eigenvalues(np.zeros((4, 4))), np.zeros(4))


@pytest.mark.parametrize("n", [17, 200])
def test_float32_input_is_solved_in_float64(n):
    a = _symmetric(n, seed=3).astype(np.float32)
    got = sp.eigenvalues(a)
    _assert_spectrum(got, scipy.linalg.eigh(a.astype(np.float64), eigvals_only=True))


@pytest.mark.parametrize("n", [1, 17, 600])
def test_one_and_two_threads_agree(n):
    a = _symmetric(n, seed=11)
    one = sp.eigenvalues(a, num_threads=1)
    two = sp.eigenvalues(a, num_threads=2)
    default = sp.eigenvalues(a)
    _assert_spectrum(one, scipy.linalg.eigh(a, eigvals_only=True))
    np.testing.assert_allclose(two, one, rtol=0, atol=REL * np.abs(one).max())
    np.testing.assert_allclose(default, one, rtol=0, atol=REL * np.abs(one).max())


def test_input_is_not_modified():
    torch = pytest.importorskip("torch")
    a = _symmetric(200, seed=5)
    for m in (a, np.asfortranarray(a), a.astype(np.float32)):
        before = m.copy(order="A")
        sp.eigenvalues(m)
        np.testing.assert_array_equal(m, before)
    t = torch.from_numpy(a.copy())
    before = t.clone()
    got = sp.eigenvalues(t)
    assert torch.equal(t, before)
    _assert_spectrum(np.asarray(got, dtype=np.float64), np.linalg.eigvalsh(a))


def test_a_triangle_that_differs_in_the_last_bit_is_not_symmetric():
    # only an exactly symmetric matrix takes the symmetric solver; else the moduli of geev's
    a = _symmetric(17, seed=2)
    a[0, 5] = np.nextafter(a[0, 5], np.inf)
    got = sp.eigenvalues(a)
    np.testing.assert_allclose(got, np.sort(np.abs(np.linalg.eigvals(a)))[::-1], atol=1e-12)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input_is_refused(bad):
    a = _symmetric(17, seed=1)
    a[3, 4] = a[4, 3] = bad
    with pytest.raises(
        ValueError, match=r"^softent\.spectral\.eigenvalues: matrix must be .*finite"
    ):
        sp.eigenvalues(a)


def test_concurrent_calls_from_python_threads():
    # the GIL is released during the solve: eight calls at once give the serial answers (a
    # failure in a worker is re-raised by result())
    mats = [_symmetric(300, seed=s) for s in range(4)]
    serial = [sp.eigenvalues(m, num_threads=2) for m in mats]
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [
            pool.submit(sp.eigenvalues, mats[i % 4], num_threads=1 + i % 2) for i in range(8)
        ]
        out = [f.result() for f in futures]
    for i, w in enumerate(out):
        np.testing.assert_allclose(w, serial[i % 4], rtol=0, atol=REL * np.abs(w).max())


def _openblas():
    """softent's OpenBLAS (scipy-openblas32), read directly: its thread count is process-wide."""
    so = pytest.importorskip("scipy_openblas32")
    lib = ctypes.CDLL(os.path.join(so.get_lib_dir(), so.get_library(True)))
    lib.scipy_openblas_get_num_threads.restype = ctypes.c_int
    return lib


def test_openblas_thread_count_is_restored_after_the_solve():
    lib = _openblas()
    before = lib.scipy_openblas_get_num_threads()
    assert before == 1  # softent pins it to one thread per OpenMP thread when it loads
    sp.eigenvalues(_symmetric(200, seed=0), num_threads=2)
    sp.diffusion_spectral_entropy(np.random.default_rng(0).normal(size=(150, 5)), num_threads=2)
    assert lib.scipy_openblas_get_num_threads() == before


# ---- the estimators on the same solver -------------------------------------------------------


def _data(n: int, d: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, d))


@pytest.mark.parametrize("n", [3, 17, 200, 600])
def test_spectrum_and_dse_equal_the_reference(n):
    x = _data(n, 6, seed=n)
    sigma = 2.0
    want = ref.eigenvalues(ref.normalise(ref.gaussian(x, sigma), "symmetric"))
    got = sp.spectrum(x, sigma=sigma)
    np.testing.assert_allclose(got, want, rtol=0, atol=REL)  # top eigenvalue is 1
    for t in (1.0, 3.0):
        dse = sp.diffusion_spectral_entropy(x, sigma=sigma, t=t)
        assert dse.value == pytest.approx(ref.entropy_of(want, t), rel=1e-10, abs=1e-12)


def test_adjacency_entropy_and_renyi_equal_the_reference():
    x = _data(200, 8, seed=4)
    w = ref.eigenvalues(ref.gaussian(x, 3.0))
    got = sp.adjacency_spectral_entropy(x, sigma=3.0, normalise=None)
    assert got.value == pytest.approx(ref.entropy_of(w), rel=1e-10)
    for alpha in (0.5, 1.0, 3.0):
        r = sp.renyi_entropy(x, alpha=alpha, sigma=3.0)
        assert r.value == pytest.approx(ref.renyi(x, alpha, sigma=3.0), rel=1e-10)


@pytest.mark.parametrize("repetitions", [0, 2])
def test_dsmi_equals_the_reference(repetitions):
    x = _data(240, 5, seed=9)
    labels = np.random.default_rng(9).integers(0, 3, 240)
    x[labels == 1] += 2.0
    want = ref.mutual_information(
        x,
        labels,
        lambda rows: ref.dse(x[rows], sigma=2.0),
        repetitions=repetitions,
        seed=0,
    )[0]
    got = sp.diffusion_spectral_mutual_information(x, labels, sigma=2.0, repetitions=repetitions)
    assert got.value == pytest.approx(want, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("n", [2499, 2500])
def test_both_lapack_drivers_either_side_of_the_switch(n):
    """One-stage dsyevd below 2500 rows, the 2-stage driver from 2500: both exact, and a
    known spectrum with repeated and tiny eigenvalues comes back through the 2-stage one."""
    a = _symmetric(n, 7)
    _assert_spectrum(sp.eigenvalues(a, num_threads=2), scipy.linalg.eigh(a, eigvals_only=True))
    values = np.repeat(np.array([-2.0, 1e-9, 0.5, 3.0]), [n - 10, 3, 4, 3])
    _assert_spectrum(sp.eigenvalues(_with_spectrum(values, 8), num_threads=2), values)
