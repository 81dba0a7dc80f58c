"""softent.spectral's lower level: bandwidths, the fused affinity kernel (dense matrix, row
sums through renyi_entropy's matrix-free path) and eigenvalues, against the plain reference
(tests/reference/spectral.py: explicit differences, no GEMM) on seeded data, float32 and
float64; exact symmetry and unit diagonal; invariance to threads; inputs never modified;
torch in -> torch out. Every kernel test runs on every device."""

from __future__ import annotations

import numpy as np
import pytest
import reference.spectral as ref
import softent.spectral as sp
from cases import host, put


def _data(n, d, seed=0, dtype=np.float64, offset=0.0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, d)) + offset).astype(dtype)


def _tol(dtype):
    return {"rtol": 1e-4, "atol": 1e-6} if dtype == np.float32 else {"rtol": 1e-9, "atol": 1e-12}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("n", "d"), [(2, 1), (97, 5), (301, 40), (260, 768)])
def test_fixed_sigma_affinity_equals_the_reference(device, dtype, n, d):
    x = _data(n, d, seed=n + d, dtype=dtype)
    sigma = float(np.sqrt(d))
    got = host(sp.affinity(put(x, device), sigma=sigma, prefactor=True))
    want = ref.gaussian(x, sigma, prefactor=True)
    np.testing.assert_allclose(got, want, **_tol(dtype))
    assert np.array_equal(got, got.T)
    np.testing.assert_array_equal(np.diag(got), 1.0 / (sigma * np.sqrt(2 * np.pi)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("normalise", [None, "symmetric", "anisotropic"])
def test_self_tuning_affinity_and_normalisations_equal_the_reference(device, dtype, normalise):
    x = _data(203, 12, seed=3, dtype=dtype, offset=50.0)  # far from 0: the kernel centres
    bw = sp.bandwidth(put(x, device), "knn", k=5)
    np.testing.assert_array_equal(bw.scales, ref.kth_distance(x, 5))
    got = host(sp.affinity(put(x, device), sigma="knn", k=5, normalise=normalise))
    want = ref.normalise(ref.gaussian(x, scales=ref.kth_distance(x, 5)), normalise)
    np.testing.assert_allclose(got, want, **_tol(dtype))


def test_median_bandwidth_is_the_median_pairwise_distance():
    x = _data(150, 9, seed=4)
    bw = sp.bandwidth(x, "median")
    assert bw.kind == "median"
    assert bw.sigma == pytest.approx(ref.median_distance(x), rel=1e-12)
    np.testing.assert_allclose(
        sp.affinity(x, sigma="median"), ref.gaussian(x, ref.median_distance(x)), rtol=1e-9
    )


@pytest.mark.parametrize("k", [1, 4, 9])
def test_knn_adjacency_is_dse_dsmi_s_with_the_row_itself(k):
    x = _data(120, 6, seed=k)
    x[5] = x[6]  # a duplicate: ties are included, as dse-dsmi's D <= kth does
    np.testing.assert_array_equal(sp.affinity(x, kernel="knn", k=k), ref.knn_adjacency(x, k))


def test_identical_rows_give_an_all_ones_matrix_for_every_bandwidth():
    x = np.ones((40, 768))
    for sigma in ("knn", "median", 3.0):
        np.testing.assert_array_equal(sp.affinity(x, sigma=sigma), np.ones((40, 40)))


def test_threads_and_memory_layout_do_not_change_the_matrix():
    x = _data(300, 33, seed=9)
    a1 = sp.affinity(x, sigma=4.0, num_threads=1)
    a2 = sp.affinity(x, sigma=4.0, num_threads=2)
    np.testing.assert_array_equal(a1, a2)
    xf = np.asfortranarray(x)
    np.testing.assert_allclose(sp.affinity(xf, sigma=4.0), a1, rtol=1e-12, atol=1e-15)
    strided = np.repeat(x, 2, axis=1)[:, ::2]
    np.testing.assert_allclose(sp.affinity(strided, sigma=4.0), a1, rtol=1e-12, atol=1e-15)


def test_inputs_are_not_modified():
    x = _data(80, 7, seed=2, dtype=np.float32)
    before = x.copy()
    sp.affinity(x, sigma="knn", normalise="anisotropic")
    sp.spectrum(x)
    m = sp.affinity(x, sigma=1.0)
    m_before = m.copy()
    sp.eigenvalues(m)
    np.testing.assert_array_equal(x, before)
    np.testing.assert_array_equal(m, m_before)


def test_spectrum_equals_the_reference_eigenvalues():
    x = _data(150, 20, seed=5)
    got = sp.spectrum(x, sigma=5.0)
    want = ref.eigenvalues(ref.normalise(ref.gaussian(x, 5.0), "symmetric"))
    np.testing.assert_allclose(got, want, atol=1e-10)
    assert np.all(np.diff(got) <= 0)
    assert got[0] == pytest.approx(1.0, abs=1e-12)  # the diffusion matrix's top eigenvalue
    knn = sp.spectrum(x, kernel="knn", k=4, normalise=None)
    np.testing.assert_allclose(knn, ref.eigenvalues(ref.knn_adjacency(x, 4)), atol=1e-9)


def test_eigenvalues_of_a_given_matrix():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(50, 50))
    s = a + a.T
    np.testing.assert_allclose(sp.eigenvalues(s), np.sort(np.linalg.eigvalsh(s))[::-1], atol=1e-10)
    np.testing.assert_allclose(
        sp.eigenvalues(a), np.sort(np.abs(np.linalg.eigvals(a)))[::-1], atol=1e-10
    )


def test_torch_in_gives_torch_out():
    torch = pytest.importorskip("torch")
    x = _data(60, 4, seed=1)
    got = sp.affinity(torch.as_tensor(x), sigma=2.0)
    assert isinstance(got, torch.Tensor)
    assert got.dtype == torch.float64
    np.testing.assert_allclose(got.numpy(), ref.gaussian(x, 2.0), rtol=1e-9)
