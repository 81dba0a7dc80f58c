"""Plain NumPy/SciPy reference of dse-dsmi 1.1's formulas (Liao et al. 2023; dse-dsmi's
``dse.py``/``dsmi.py``), written from the formulas and materialising everything, for
tests/compat/test_compat_dse_dsmi.py. float64 only; slow is fine.

Distances by ``scipy.spatial.distance.cdist`` (not the dot-product trick), G and K by
dense products with diagonal matrices, eigenvalues by ``numpy.linalg.eigvalsh`` /
``eigvals``, entropies in bits with dse-dsmi's +2.22e-16 on every probability.
"""

from __future__ import annotations

import random

import numpy as np
from scipy.spatial.distance import cdist

EPS = np.finfo(float).eps


def bits(p: np.ndarray) -> float:
    p = np.asarray(p, dtype=np.float64) + EPS
    return float(-np.sum(p * np.log2(p)))


def gaussian(x: np.ndarray, sigma: float) -> np.ndarray:
    d = cdist(x, x)
    return np.exp(-(d**2) / (2 * sigma**2)) / (sigma * np.sqrt(2 * np.pi))


def diffusion(x: np.ndarray, sigma: float) -> np.ndarray:
    g = gaussian(x, sigma)
    s = np.diag(1 / np.sqrt(g.sum(1)))
    return s @ g @ s


def knn_adjacency(x: np.ndarray, knn: int) -> np.ndarray:
    d = cdist(x, x)
    kth = np.sort(d, axis=1)[:, knn - 1]
    return (d <= kth[:, None]).astype(np.float64)


def spectrum_bits(a: np.ndarray, t: float = 1.0) -> float:
    w = np.linalg.eigvalsh(a) if np.array_equal(a, a.T) else np.linalg.eigvals(a)
    w = np.abs(w) ** t
    return bits(w / w.sum())


def dse(x: np.ndarray, sigma: float = 10.0, t: float = 1.0) -> float:
    """Diffusion spectral entropy (bits)."""
    k = diffusion(x, sigma)
    return spectrum_bits((k + k.T) / 2, t)


def ase(x: np.ndarray, sigma: float = 10.0, anisotropic: bool = False, knn: int | None = None):
    """Adjacency spectral entropy (bits): of G, K, or the kNN 0/1 adjacency."""
    if knn is not None:
        return spectrum_bits(knn_adjacency(x, knn))
    a = diffusion(x, sigma) if anisotropic else gaussian(x, sigma)
    return spectrum_bits((a + a.T) / 2)


def matrix_entry(x: np.ndarray, sigma: float = 10.0) -> float:
    k = diffusion(x, sigma)
    p = np.diag(1 / k.sum(1)) @ k
    e = np.abs(p).ravel()
    return bits(e / e.sum())


def classic(x: np.ndarray, bins: int = 2) -> float:
    """Histogram entropy of the distinct per-column bin vectors (min-max scaled, equal bins
    [0, 1/b), [1/b, 2/b), ..., the maximum in the last)."""
    lo, hi = x.min(0), x.max(0)
    u = (x - lo) / (hi - lo)
    codes = np.minimum(np.floor(u * bins), bins - 1).astype(np.int64)
    _, counts = np.unique(codes, axis=0, return_counts=True)
    return bits(counts / counts.sum())


def dsmi(
    x: np.ndarray, labels: np.ndarray, sigma: float = 10.0, t: float = 1.0, reps: int = 5,
    seed: int = 0,
) -> float:  # fmt: skip
    """sum_b p(b) [mean over reps random subsets of size n_b of DSE - DSE(rows of b)], the
    subsets drawn by random.Random(seed).sample(range(N), n_b), reseeded per class."""
    labels = np.asarray(labels).ravel()
    n = labels.shape[0]
    total = 0.0
    for b in np.unique(labels):
        rows = np.flatnonzero(labels == b)
        rng = random.Random(seed)
        h_star = np.mean([dse(x[rng.sample(range(n), rows.size)], sigma, t) for _ in range(reps)])
        total += rows.size / n * (h_star - dse(x[rows], sigma, t))
    return total
