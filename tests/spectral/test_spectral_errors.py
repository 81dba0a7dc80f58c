"""Bad input to softent.spectral -> a clear exception naming the argument, never a crash,
hang or silent NaN."""

from __future__ import annotations

import math

import numpy as np
import pytest
import softent.spectral as sp

X = np.random.default_rng(0).normal(size=(30, 4))


@pytest.mark.parametrize(
    ("call", "kind", "match"),
    [
        (lambda: sp.diffusion_spectral_entropy(X[:1]), ValueError, "x must be at least 2 rows"),
        (lambda: sp.diffusion_spectral_entropy(np.zeros((0, 3))), ValueError, "x must be"),
        (lambda: sp.diffusion_spectral_entropy(np.where(X > 2, np.nan, X)), ValueError, "finite"),
        (lambda: sp.diffusion_spectral_entropy(X, sigma=0.0), ValueError, "sigma must be"),
        (lambda: sp.diffusion_spectral_entropy(X, sigma=-1), ValueError, "sigma must be"),
        (lambda: sp.diffusion_spectral_entropy(X, sigma=math.inf), ValueError, "sigma"),
        (lambda: sp.diffusion_spectral_entropy(X, sigma="mean"), ValueError, "sigma"),
        (lambda: sp.diffusion_spectral_entropy(X, sigma=None), TypeError, "sigma"),
        (lambda: sp.diffusion_spectral_entropy(X, t=0), ValueError, "t must be"),
        (lambda: sp.diffusion_spectral_entropy(X, t=-2.0), ValueError, "t must be"),
        (lambda: sp.diffusion_spectral_entropy(X, t=math.nan), ValueError, "t must be"),
        (lambda: sp.diffusion_spectral_entropy(X, k=0), ValueError, "k must be"),
        (lambda: sp.diffusion_spectral_entropy(X, k=30), ValueError, "k must be"),
        (lambda: sp.diffusion_spectral_entropy(X, k=2.5), TypeError, "k must be"),
        (lambda: sp.diffusion_spectral_entropy(X, base=1), ValueError, "base"),
        (lambda: sp.diffusion_spectral_entropy(X, method="fast"), ValueError, "method"),
        (lambda: sp.diffusion_spectral_entropy(X, num_threads=0), ValueError, "num_threads"),
        (lambda: sp.diffusion_spectral_entropy(X.ravel()), ValueError, "2-D"),
        (lambda: sp.diffusion_spectral_entropy(X.astype(int)), TypeError, "floating"),
        (lambda: sp.adjacency_spectral_entropy(X, kernel="cosine"), ValueError, "kernel"),
        (lambda: sp.adjacency_spectral_entropy(X, normalise="row"), ValueError, "normalise"),
        (lambda: sp.affinity(X, sigma="knn", prefactor=True), ValueError, "prefactor"),
        (lambda: sp.affinity(X, prefactor=1), TypeError, "prefactor"),
        (lambda: sp.renyi_entropy(X, alpha=0), ValueError, "alpha"),
        (lambda: sp.effective_rank(np.zeros((5, 3))), ValueError, "not all zero"),
        (lambda: sp.eigenvalues(np.ones((3, 4))), ValueError, "square"),
        (lambda: sp.spectral_entropy(np.zeros(3)), ValueError, "not all 0"),
        (lambda: sp.spectral_entropy([1.0, np.inf]), ValueError, "finite"),
        (lambda: sp.diffusion_spectral_mutual_information(X, np.arange(29)), ValueError, "labels"),
        (lambda: sp.diffusion_spectral_mutual_information(X, X[:, 0]), TypeError, "labels"),
        (
            lambda: sp.diffusion_spectral_mutual_information(X, np.arange(30), repetitions=-1),
            ValueError,
            "repetitions",
        ),
        (
            lambda: sp.diffusion_spectral_mutual_information(X, np.arange(30), seed=-1),
            ValueError,
            "seed",
        ),
    ],
)
def test_bad_input_is_refused_naming_the_argument(call, kind, match):
    with pytest.raises(kind, match=match):
        call()


def test_messages_have_the_project_form():
    with pytest.raises(ValueError, match=r"^softent\.spectral\.diffusion_spectral_entropy: t must"):
        sp.diffusion_spectral_entropy(X, t=0)


def test_a_matrix_that_would_not_fit_is_refused_up_front_with_its_size(monkeypatch):
    # A 2**20-row dense affinity needs 8 TiB: refused before any allocation.
    x = np.lib.stride_tricks.as_strided(np.zeros(1), shape=(1 << 20, 2), strides=(0, 0))
    with pytest.raises(
        ValueError, match=r"x must be small enough to fit in memory \(the call needs"
    ):
        sp.affinity(x, sigma=1.0)


def test_a_whole_spectrum_has_no_lanczos_method():
    with pytest.raises(ValueError, match="method"):
        sp.spectrum(X, method="lanczos")


@pytest.mark.parametrize(
    ("value", "dtype"),
    [(5e-324, np.float64), (1e-310, np.float64), (1e308, np.float64), (1.4e-45, np.float32)],
)
def test_subnormal_and_huge_rows_are_scaled_not_refused(value, dtype):
    x = np.array([[value], [-value], [0.0]]).astype(dtype)
    a = sp.affinity(x, sigma="median")
    np.testing.assert_allclose(a, sp.affinity(np.array([[1.0], [-1.0], [0.0]]), sigma="median"))
