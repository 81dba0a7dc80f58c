"""Plain NumPy reference of the soft-bin estimator: materialises every score and every
soft assignment (N x B), in float64. Slow and simple on purpose: the kernels are checked
against it."""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp


def scores(z: np.ndarray, centres: np.ndarray, metric: str) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    c = np.asarray(centres, dtype=np.float64)
    diff = z[:, None, :] - c[None, :, :]
    if metric == "euclidean":
        return -np.sqrt((diff**2).sum(-1))
    if metric == "sqeuclidean":
        return -(diff**2).sum(-1)
    if metric == "cosine":
        zn = np.linalg.norm(z, axis=1, keepdims=True)
        zu = np.divide(z, zn, out=np.zeros_like(z), where=zn > 0)
        return zu @ (c / np.linalg.norm(c, axis=1, keepdims=True)).T
    if metric == "dot":
        return z @ c.T
    raise ValueError(metric)


def assignments(z, centres, metric, temperature) -> np.ndarray:
    s = scores(z, centres, metric) / temperature
    return np.exp(s - logsumexp(s, axis=1, keepdims=True))


def shannon(p: np.ndarray) -> float:
    p = p / p.sum()
    nz = p[p > 0]
    return float(-(nz * np.log(nz)).sum())


def information(z, labels, centres, metric, temperature, weighting="weighted"):
    """(H(Z), H(Z|L), I(Z;L), {label: H(Z|L=label)}) in nats; label -1 is masked."""
    q = assignments(z, centres, metric, temperature)
    labels = np.asarray(labels)
    keep = labels != -1 if labels.dtype.kind in "iu" else np.ones(len(labels), bool)
    q, labels = q[keep], labels[keep]
    h = shannon(q.sum(0))
    values = np.unique(labels)
    per_label = {v: shannon(q[labels == v].sum(0)) for v in values}
    if weighting == "weighted":
        hc = sum((labels == v).mean() * per_label[v] for v in values)
    else:
        hc = sum(per_label.values()) / len(values)
    return h, hc, h - hc, per_label


_MASK64 = (1 << 64) - 1


def _mix64(x: int) -> int:
    """SplitMix64's finaliser, as cpp/include/softent/math/bootstrap.h (Python ints)."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


def poisson1_weight(seed: int, row: int, replicate: int) -> int:
    """The Poisson(1) bootstrap weight of (seed, row, replicate), by CDF inversion."""
    h = _mix64((_mix64(seed ^ _mix64(row)) + replicate) & _MASK64)
    u = (h >> 11) / 2.0**53
    term = cdf = np.exp(-1.0)
    k = 0
    while u >= cdf and k < 24:
        k += 1
        term /= k
        cdf += term
    return k


def poisson_weights(seed: int, n_rows: int, n_resamples: int, row_offset: int = 0) -> np.ndarray:
    """[R, N] bootstrap weights (slow: Python loops)."""
    return np.array(
        [
            [poisson1_weight(seed, row_offset + i, r) for i in range(n_rows)]
            for r in range(n_resamples)
        ],
        float,
    )
