"""THE plain reference of softent.discrete.counting: histograms of samples of discrete
observations counted one row at a time with :class:`collections.Counter`, keyed by the
original values (a row of several columns is the tuple of its values).

    N_v = Σ_i w_i [x_i = v]                      histogram (w_i = 1 without weights)
    N_uv = Σ_i w_i [x_i = u, y_i = v]            joint table
    code(row) = ((c_0 K_1 + c_1) K_2 + ...) + c_{m-1}   mixed radix of per-column codes

Slow and simple on purpose: the kernels are checked against it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np


def rows(x: Any) -> list[Any]:
    """The observations of a [N] or [N, m] array as hashable Python values (tuples for
    rows of several columns)."""
    a = np.asarray(x)
    if a.ndim == 1:
        return [v.item() if hasattr(v, "item") else v for v in a]
    return [tuple(v.item() if hasattr(v, "item") else v for v in row) for row in a]


def histogram(x: Any, weights: Any = None) -> Counter:
    """{observation: count (or summed weight)}."""
    w = [1] * len(rows(x)) if weights is None else [float(v) for v in np.asarray(weights)]
    out: Counter = Counter()
    for v, wi in zip(rows(x), w, strict=True):
        out[v] += wi
    return out


def joint(x: Any, y: Any, weights: Any = None) -> Counter:
    """{(x observation, y observation): count (or summed weight)}."""
    pairs = list(zip(rows(x), rows(y), strict=True))
    w = [1] * len(pairs) if weights is None else [float(v) for v in np.asarray(weights)]
    out: Counter = Counter()
    for p, wi in zip(pairs, w, strict=True):
        out[p] += wi
    return out


def column_joints(x: Any, y: Any, weights: Any = None) -> list[Counter]:
    """For each column j of x [N, m]: the joint counts of x[:, j] and y."""
    a = np.asarray(x)
    return [joint(a[:, j], y, weights) for j in range(a.shape[1])]


def pair_joints(x: Any, pairs: Any, weights: Any = None) -> list[Counter]:
    """For each pair (i, j): the joint counts of x[:, i] and x[:, j]."""
    a = np.asarray(x)
    return [joint(a[:, i], a[:, j], weights) for i, j in np.asarray(pairs).tolist()]


def mixed_radix(codes: Any, sizes: Any) -> list[int]:
    """The mixed-radix code of every row of per-column codes [N, m], in Python ints."""
    out = []
    for row in np.asarray(codes).tolist():
        c = 0
        for v, k in zip(row, sizes, strict=True):
            c = c * int(k) + int(v)
        out.append(c)
    return out


def column_codes(column: Any) -> tuple[list[Any], dict[Any, int]]:
    """(sorted distinct values, value -> rank) of one column."""
    values = sorted(set(rows(column)))
    return values, {v: k for k, v in enumerate(values)}
