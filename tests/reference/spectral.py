"""Plain NumPy/SciPy reference of softent.spectral: every matrix materialised, distances by
explicit differences (scipy.spatial.distance.cdist, never a GEMM), eigenvalues by NumPy's
eigvalsh / eigvals, entropies as written in the papers. Slow on purpose; small N only.

Formulas: Liao et al. 2023 (DSE, DSMI; dse-dsmi 1.1 for ASE and the kNN adjacency),
Zelnik-Manor & Perona 2004 (self-tuning bandwidths), Coifman & Lafon 2006 (anisotropic
normalisation), Giraldo, Rao & Principe 2014 (matrix Renyi entropy), Garrido et al. 2023
(RankMe).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.spatial.distance import cdist


def sq_distances(x: np.ndarray) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    return cdist(a, a, "sqeuclidean")


def kth_distance(x: np.ndarray, k: int) -> np.ndarray:
    """Distance of each row to its k-th nearest other row."""
    d = np.sqrt(sq_distances(x))
    np.fill_diagonal(d, np.inf)
    return np.sort(d, axis=1)[:, k - 1]


def median_distance(x: np.ndarray) -> float:
    d = np.sqrt(sq_distances(x))
    return float(np.median(d[np.triu_indices(d.shape[0], 1)]))


def gaussian(
    x: np.ndarray,
    sigma: float | None = None,
    scales: np.ndarray | None = None,
    prefactor: bool = False,
) -> np.ndarray:
    d2 = sq_distances(x)
    if scales is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            g = np.exp(-d2 / (2.0 * np.outer(scales, scales)))
        g[d2 == 0] = 1.0
        g[np.isnan(g)] = 0.0
        return g
    g = np.exp(-d2 / (2.0 * sigma**2))
    if prefactor:
        g = g / (sigma * math.sqrt(2 * math.pi))
    return g


def knn_adjacency(x: np.ndarray, k: int) -> np.ndarray:
    """dse-dsmi's binarised adjacency with knn = k + 1 (the row itself counted)."""
    d = np.sqrt(sq_distances(x))
    n = d.shape[0]
    kth = np.partition(d, k, axis=1)[:, k]  # index 0 is the row itself (distance 0)
    a = (d <= kth[:, None]).astype(np.float64)
    a[np.arange(n), np.arange(n)] = 1.0
    return a


def normalise(g: np.ndarray, how: str | None) -> np.ndarray:
    if how is None:
        return g
    if how == "anisotropic":
        deg = g.sum(1)
        g = g / np.outer(deg, deg)
    deg = g.sum(1)
    return np.diag(deg**-0.5) @ g @ np.diag(deg**-0.5)


def eigenvalues(a: np.ndarray) -> np.ndarray:
    w = np.linalg.eigvalsh(a) if np.array_equal(a, a.T) else np.abs(np.linalg.eigvals(a))
    return np.sort(np.real(w))[::-1]


def entropy_of(w: np.ndarray, t: float = 1.0) -> float:
    """-sum p log p, p = |w|^t / sum |w|^t (nats)."""
    a = np.abs(w).astype(np.float64) ** t
    p = a / a.sum()
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def dse(x: np.ndarray, *, sigma=None, scales=None, t: float = 1.0) -> float:
    return entropy_of(eigenvalues(normalise(gaussian(x, sigma, scales), "symmetric")), t)


def renyi(x: np.ndarray, alpha: float, *, sigma=None, scales=None) -> float:
    g = gaussian(x, sigma, scales)
    w = np.clip(np.linalg.eigvalsh(g / g.shape[0]), 0, None)
    if alpha == 1:
        return entropy_of(w)
    return float(math.log((w[w > 0] ** alpha).sum()) / (1 - alpha))


def rankme(x: np.ndarray, center: bool = False) -> float:
    a = np.asarray(x, dtype=np.float64)
    if center:
        a = a - a.mean(0)
    s = np.linalg.svd(a, compute_uv=False)
    return math.exp(entropy_of(s))


def mutual_information(x, labels, entropy, *, repetitions: int, seed: int) -> tuple:
    """(I, H, H|L) of Liao et al.'s DSMI with ``entropy(rows)`` the entropy of x[rows] and
    the subset draws of softent (default_rng(seed).choice per label, sorted labels)."""
    n = len(labels)
    rng = np.random.default_rng(seed)
    values = np.unique(labels)
    h = hc = 0.0
    full = entropy(np.arange(n)) if repetitions == 0 else None
    for v in values:
        rows = np.flatnonzero(labels == v)
        w = rows.size / n
        hc += w * (entropy(rows) if rows.size >= 2 else 0.0)
        if repetitions == 0:
            h += w * full
        else:
            hs = []
            for _ in range(repetitions):
                sub = np.sort(rng.choice(n, rows.size, replace=False))
                hs.append(entropy(sub) if rows.size >= 2 else 0.0)
            h += w * float(np.mean(hs))
    return h - hc, h, hc
