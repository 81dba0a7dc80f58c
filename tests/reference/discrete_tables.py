"""Plain references of :mod:`softent.discrete.tables`: each quantity from its textbook
definition (Cover & Thomas 2006, ch. 2; Lin 1991 for Jensen-Shannon), one cell at a time
in Python floats (nats), with 0 log 0 = 0 and p log(p/0) = +inf for p > 0. Slow on purpose.

Tables are nested sequences or NumPy arrays; a 2-D table is [X, Y] (X the rows). Nothing
here normalises: pass probabilities.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def _cells(p) -> list[float]:
    return [float(v) for v in np.asarray(p, dtype=np.float64).ravel()]


def entropy(p) -> float:
    """H = -Σ_x p(x) ln p(x) over every cell of ``p`` (a 1-D distribution, or a table
    read as one joint distribution)."""
    return -sum(v * math.log(v) for v in _cells(p) if v > 0)


def joint_entropy(p_xy) -> float:
    """H(X, Y) = -Σ_{x,y} p(x, y) ln p(x, y)."""
    return entropy(p_xy)


def marginals(p_xy) -> tuple[list[float], list[float]]:
    """(p(x) [X] = row sums, p(y) [Y] = column sums), one cell at a time."""
    t = np.asarray(p_xy, dtype=np.float64)
    rows, cols = t.shape
    px = [sum(float(t[i, j]) for j in range(cols)) for i in range(rows)]
    py = [sum(float(t[i, j]) for i in range(rows)) for j in range(cols)]
    return px, py


def conditional_entropy(p_xy, given: str = "rows") -> float:
    """H(Y|X) = -Σ_{x,y} p(x, y) ln[p(x, y) / p(x)] (``given="rows"``), or H(X|Y)
    (``given="columns"``, p(y) in the denominator)."""
    t = np.asarray(p_xy, dtype=np.float64)
    px, py = marginals(t)
    total = 0.0
    for i in range(t.shape[0]):
        for j in range(t.shape[1]):
            v = float(t[i, j])
            if v > 0:
                total -= v * math.log(v / (px[i] if given == "rows" else py[j]))
    return total


def mutual_information(p_xy) -> float:
    """I(X; Y) = Σ_{x,y} p(x, y) ln[p(x, y) / (p(x) p(y))]."""
    t = np.asarray(p_xy, dtype=np.float64)
    px, py = marginals(t)
    total = 0.0
    for i in range(t.shape[0]):
        for j in range(t.shape[1]):
            v = float(t[i, j])
            if v > 0:
                total += v * math.log(v / (px[i] * py[j]))
    return total


def kl_divergence(p, q) -> float:
    """D(p‖q) = Σ_x p(x) ln[p(x) / q(x)]; +inf where q(x) = 0 < p(x)."""
    total = 0.0
    for a, b in zip(_cells(p), _cells(q), strict=True):
        if a > 0:
            if b == 0:
                return math.inf
            total += a * math.log(a / b)
    return total


def cross_entropy(p, q) -> float:
    """CE(p, q) = -Σ_x p(x) ln q(x); +inf where q(x) = 0 < p(x)."""
    total = 0.0
    for a, b in zip(_cells(p), _cells(q), strict=True):
        if a > 0:
            if b == 0:
                return math.inf
            total -= a * math.log(b)
    return total


def js_divergence(p, q) -> float:
    """JS(p, q) = ½ D(p‖m) + ½ D(q‖m) with m = (p + q) / 2."""
    m = [(a + b) / 2 for a, b in zip(_cells(p), _cells(q), strict=True)]
    return 0.5 * kl_divergence(p, m) + 0.5 * kl_divergence(q, m)


def nll(probs, targets: Sequence[int]) -> list[float]:
    """-ln probs[i][targets[i]] for each row i of probs [N, C] (+inf for a zero)."""
    out = []
    for row, t in zip(np.asarray(probs, dtype=np.float64), targets, strict=True):
        v = float(row[int(t)])
        out.append(math.inf if v == 0 else -math.log(v))
    return out


def random_table(shape, seed: int, zero_fraction: float = 0.0) -> np.ndarray:
    """A seeded probability table of ``shape`` (summing to 1 over all its cells), with
    about ``zero_fraction`` of its cells set to exact zeros (never all of them)."""
    rng = np.random.default_rng(seed)
    t = rng.random(shape) ** 2 + 1e-3
    if zero_fraction:
        t[rng.random(shape) < zero_fraction] = 0.0
        t.flat[0] = max(t.flat[0], 0.5)
    return t / t.sum()


def random_distributions(shape, seed: int, zero_fraction: float = 0.0) -> np.ndarray:
    """Seeded distributions over the last axis of ``shape`` (each row sums to 1)."""
    rng = np.random.default_rng(seed)
    t = rng.random(shape) ** 2 + 1e-3
    if zero_fraction:
        t[rng.random(shape) < zero_fraction] = 0.0
        t[..., 0] = np.maximum(t[..., 0], 0.5)
    return t / t.sum(-1, keepdims=True)
