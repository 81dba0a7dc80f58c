"""Plain NumPy reference of softent.spectral.lanczos: Hutchinson's estimator of the entropy
H = log tr K^t - t tr(K^t log K) / tr K^t with every quadratic form z^T f(K) z exact (from
NumPy's full eigendecomposition of K), over the same Rademacher probes as SLQ draws them
(``default_rng(seed).integers(0, 2, (n, probes))`` mapped to -1/+1, projected off the known
top eigenvector, whose f(1) is added exactly). SLQ with as many Lanczos steps as K has
dimensions is exact quadrature, so it must equal this to rounding (Ubaru, Chen & Saad 2017).
"""

from __future__ import annotations

import math

import numpy as np


def probes(n: int, m: int, seed: int, top: np.ndarray | None = None) -> np.ndarray:
    z = np.random.default_rng(seed).integers(0, 2, size=(n, m)).astype(np.float64) * 2.0 - 1.0
    if top is not None:
        z = z - np.outer(top, top @ z)
    return z


def hutchinson_entropy(
    k: np.ndarray, t: float, m: int, seed: int, top: np.ndarray | None = None
) -> float:
    """H (nats) of p = |lambda|^t / sum |lambda|^t from m exact probe quadratic forms."""
    w, v = np.linalg.eigh(np.asarray(k, dtype=np.float64))
    lam = np.abs(w)
    f1 = lam**t
    f2 = f1 * np.log(np.where(lam > 0, lam, 1.0))
    y2 = (v.T @ probes(k.shape[0], m, seed, top)) ** 2
    a = f1 @ y2
    b = f2 @ y2
    if top is not None:
        a = a + 1.0
    return math.log(a.mean()) - t * b.mean() / a.mean()
