"""Plain NumPy reference for masking, zero rows and layer stacks (issue 14 part B).

Independent of softent: which rows a mask keeps is written out elementwise, and the
soft-bin information of the kept rows comes from the materialised reference
(:mod:`reference.soft`), after renaming the labels to 0..K-1 so that no label value
(-1 included) can be read as that reference's own mask.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import soft


def kept(labels: Any, ignore_index: Any = None, mask: Any = None) -> np.ndarray:
    """[N] bool: True where the row is kept (mask True, label != ignore_index)."""
    lab = list(np.asarray(labels).tolist())
    out = np.ones(len(lab), dtype=bool)
    for i, v in enumerate(lab):
        if mask is not None and not bool(np.asarray(mask)[i]):
            out[i] = False
        if ignore_index is not None and v == ignore_index:
            out[i] = False
    return out


def renamed(labels: Any) -> np.ndarray:
    """Labels renamed to their rank among the distinct values, 0..K-1 (no value is -1)."""
    values = sorted(set(np.asarray(labels).tolist()))
    index = {v: k for k, v in enumerate(values)}
    return np.array([index[v] for v in np.asarray(labels).tolist()], dtype=np.int64)


def information(
    z: Any,
    labels: Any,
    centres: Any,
    temperature: float,
    *,
    ignore_index: Any = None,
    mask: Any = None,
    metric: str = "cosine",
) -> tuple[float, float, float]:
    """(H(Z), H(Z|L), I(Z;L)) in nats over the kept rows, every kept value a class."""
    keep = kept(labels, ignore_index, mask)
    z = np.asarray(z, dtype=np.float64)[keep]
    lab = renamed(np.asarray(labels)[keep])
    h, hc, mi, _ = soft.information(z, lab, centres, metric, temperature)
    return h, hc, mi


def zero_rows(z: Any) -> np.ndarray:
    """[N] bool: rows whose entries are all exactly 0."""
    z = np.asarray(z)
    return np.array([all(x == 0 for x in row) for row in z.tolist()], dtype=bool)


def uniform_entropy_with_zero_rows(z: Any, centres: Any, temperature: float) -> float:
    """H(Z) under cosine bins when every all-zero row gets the uniform assignment 1/B."""
    z = np.asarray(z, dtype=np.float64)
    zero = zero_rows(z)
    b = len(centres)
    q = np.empty((len(z), b))
    if (~zero).any():
        q[~zero] = soft.assignments(z[~zero], centres, "cosine", temperature)
    q[zero] = 1.0 / b
    p = q.sum(0) / q.sum()
    return float(-(p[p > 0] * np.log(p[p > 0])).sum())


def layer_slices(z: np.ndarray, layer_axis: int) -> list[np.ndarray]:
    """Each layer's [rows, D] of a stack: a loop over the layer index, the row axes
    flattened in C order."""
    z = np.asarray(z)
    out = []
    for i in range(z.shape[layer_axis]):
        one = np.take(z, i, axis=layer_axis)
        out.append(one.reshape(-1, z.shape[-1]))
    return out
