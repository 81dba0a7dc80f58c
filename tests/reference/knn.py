"""Plain references of softent.knn: brute-force N x N distances and the textbook formulas,
materialising everything on purpose (slow is fine), plus scipy's cKDTree as a second,
independent neighbour search.

Distances: float64 differences of the values as stored, squares summed in column order
(one NumPy add per column: no fused multiply-add), so the brute force equals the kernel's
exact distances to the bit and radius counts at a boundary agree.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.spatial import cKDTree
from scipy.special import digamma, gammaln


def pairwise(x: np.ndarray, metric: str, blocks: list[int] | None = None) -> np.ndarray:
    """[N, N] distances; with column blocks, the largest of the blocks' distances."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    n, d = x.shape
    ends = blocks or [d]
    worst = np.zeros((n, n))
    start = 0
    for end in ends:
        acc = np.zeros((n, n))
        for j in range(start, end):
            v = x[:, None, j] - x[None, :, j]
            if metric == "chebyshev":
                np.maximum(acc, np.abs(v), out=acc)
            else:
                acc += v * v
        np.maximum(worst, acc, out=worst)
        start = end
    return worst if metric == "chebyshev" else np.sqrt(worst)


def neighbours(
    x: np.ndarray, k: int, metric: str, blocks: list[int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(distances [N, k], indices [N, k]) of the k nearest other rows, ordered by
    (distance, index)."""
    dist = pairwise(x, metric, blocks)
    n = dist.shape[0]
    np.fill_diagonal(dist, np.inf)
    order = np.lexsort((np.broadcast_to(np.arange(n), (n, n)), dist), axis=1)[:, :k]
    return np.take_along_axis(dist, order, 1), order


def radius_counts(
    x: np.ndarray,
    radii: np.ndarray,
    metric: str,
    *,
    strict: bool = True,
    include_self: bool = False,
    groups: np.ndarray | None = None,
    blocks: list[int] | None = None,
) -> np.ndarray:
    dist = pairwise(x, metric, blocks)
    r = np.asarray(radii, dtype=np.float64)[:, None]
    inside = dist < r if strict else dist <= r
    if not include_self:
        np.fill_diagonal(inside, False)
    if groups is not None:
        inside &= groups[:, None] == groups[None, :]
    return inside.sum(axis=1)


def log_unit_ball(metric: str, d: int) -> float:
    if metric == "chebyshev":
        return d * math.log(2)
    return d / 2 * math.log(math.pi) - gammaln(d / 2 + 1)


def kl_entropy(x: np.ndarray, k: int, metric: str) -> float:
    """Kozachenko–Leonenko: ψ(N) − ψ(k) + log V_d + (d/N) Σ log ε_k (nats)."""
    x = np.asarray(x, dtype=np.float64)
    n, d = x.shape
    eps = neighbours(x, k, metric)[0][:, -1]
    return digamma(n) - digamma(k) + log_unit_ball(metric, d) + d * np.mean(np.log(eps))


def kl_entropy_tree(x: np.ndarray, k: int, metric: str) -> float:
    """The same with scipy's cKDTree (an independent neighbour search)."""
    x = np.asarray(x, dtype=np.float64)
    n, d = x.shape
    p = np.inf if metric == "chebyshev" else 2
    eps = cKDTree(x).query(x, k=k + 1, p=p)[0][:, -1]
    return digamma(n) - digamma(k) + log_unit_ball(metric, d) + d * np.mean(np.log(eps))


def ksg(x: np.ndarray, y: np.ndarray, k: int, estimator: str, metric: str = "chebyshev") -> float:
    """KSG-1 (strict counts, ψ(n+1)) or KSG-2 (counts within the marginal ε, ψ(n), − 1/k),
    joint distance max(‖dx‖, ‖dy‖)."""
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    n = x.shape[0]
    dxm, dym = pairwise(x, metric), pairwise(y, metric)
    joint = np.maximum(dxm, dym)
    np.fill_diagonal(joint, np.inf)
    order = np.lexsort((np.broadcast_to(np.arange(n), (n, n)), joint), axis=1)[:, :k]
    np.fill_diagonal(dxm, np.inf)
    np.fill_diagonal(dym, np.inf)
    if estimator == "ksg1":
        eps = np.take_along_axis(joint, order, 1)[:, -1:]
        nx = (dxm < eps).sum(1)
        ny = (dym < eps).sum(1)
        return float(digamma(k) + digamma(n) - np.mean(digamma(nx + 1) + digamma(ny + 1)))
    ex = np.take_along_axis(dxm, order, 1).max(1, keepdims=True)
    ey = np.take_along_axis(dym, order, 1).max(1, keepdims=True)
    nx = (dxm <= ex).sum(1)
    ny = (dym <= ey).sum(1)
    return float(digamma(k) - 1 / k + digamma(n) - np.mean(digamma(nx) + digamma(ny)))


def ross(x: np.ndarray, labels: np.ndarray, k: int, metric: str = "euclidean") -> float:
    """Ross 2014 as scikit-learn's _compute_mi_cd, joint over x's columns: per-label k-th
    neighbour distance d_i (k_i = min(k, N_label − 1)), m_i = rows of any label strictly
    within d_i (self included; d_i = 0: rows at distance 0), labels seen once left out."""
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    labels = np.asarray(labels)
    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    count_of = counts[inverse]
    keep = count_of > 1
    x, inverse, count_of = x[keep], inverse[keep], count_of[keep]
    n = x.shape[0]
    dist = pairwise(x, metric)
    radius = np.empty(n)
    k_of = np.empty(n)
    for label in np.unique(inverse):
        rows = np.flatnonzero(inverse == label)
        kl = min(k, rows.size - 1)
        sub = dist[np.ix_(rows, rows)].copy()
        np.fill_diagonal(sub, np.inf)
        radius[rows] = np.sort(sub, axis=1)[:, kl - 1]
        k_of[rows] = kl
    r = np.nextafter(radius, 0)[:, None]
    m = (dist <= r).sum(1)  # self (distance 0) included
    return float(
        digamma(n) + np.mean(digamma(k_of)) - np.mean(digamma(count_of)) - np.mean(digamma(m))
    )


def group_counts(
    x: np.ndarray, groups: np.ndarray, k: int, metric: str = "euclidean"
) -> tuple[np.ndarray, np.ndarray]:
    """(radii, counts): each row's k_i-th neighbour distance among the other rows of its
    group (k_i = min(k, group rows − 1)) and the rows of any group at distance <=
    nextafter(radius, 0) (self included)."""
    dist = pairwise(x, metric)
    n = dist.shape[0]
    radii = np.empty(n)
    for i in range(n):
        same = groups == groups[i]
        same[i] = False
        ki = min(k, int(same.sum()))
        radii[i] = np.sort(dist[i, same])[ki - 1]
    counts = (dist <= np.nextafter(radii, 0)[:, None]).sum(1)
    return radii, counts


def frenzel_pompe(
    x: np.ndarray, y: np.ndarray, z: np.ndarray, k: int, metric: str = "chebyshev"
) -> float:
    """I(X;Y|Z) = ψ(k) − ⟨ψ(n_xz + 1) + ψ(n_yz + 1) − ψ(n_z + 1)⟩, strict counts."""
    x, y, z = (np.asarray(a, dtype=np.float64).reshape(len(a), -1) for a in (x, y, z))
    dxm, dym, dzm = pairwise(x, metric), pairwise(y, metric), pairwise(z, metric)
    joint = np.maximum(np.maximum(dxm, dym), dzm)
    np.fill_diagonal(joint, np.inf)
    eps = np.sort(joint, axis=1)[:, k - 1 : k]
    out = []
    for d in (np.maximum(dxm, dzm), np.maximum(dym, dzm), dzm):
        np.fill_diagonal(d, np.inf)
        out.append((d < eps).sum(1))
    return float(
        digamma(k) - np.mean(digamma(out[0] + 1) + digamma(out[1] + 1) - digamma(out[2] + 1))
    )


def gaussian_entropy(cov: np.ndarray) -> float:
    """½ log((2πe)^D det Σ) nats."""
    cov = np.atleast_2d(cov)
    d = cov.shape[0]
    return 0.5 * (d * math.log(2 * math.pi * math.e) + np.linalg.slogdet(cov)[1])


def tree_count(x: np.ndarray, radii: np.ndarray, p: float) -> np.ndarray:
    """Rows within radii (d <= r, self included) by cKDTree, for the cross-check."""
    tree = cKDTree(np.asarray(x, dtype=np.float64))
    return np.array(
        [len(tree.query_ball_point(row, r, p=p)) for row, r in zip(x, radii, strict=True)]
    )
