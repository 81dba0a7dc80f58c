"""The Möbius inverse of many redundancy functions at once (the atoms at each outcome or
target value), as one sparse product: the lattice's signed terms (:meth:`Lattice.mobius`,
Stanley's formula) as a CSR matrix M [L, L], atoms = r M^T. Memory is that of the input
and output, where the gather of :meth:`Lattice.mobius` holds [R, terms] (40 terms per node
at n = 5: 303,681 per row)."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .lattice import Lattice, lattice


@functools.cache
def _matrix(n: int) -> Any:
    import scipy.sparse

    lat = lattice(n)
    rows = np.repeat(np.arange(len(lat)), np.diff(lat._offsets))
    return scipy.sparse.csr_matrix(
        (lat._signs, (rows, lat._terms)), shape=(len(lat), len(lat)), dtype=np.float64
    )


def mobius_rows(lat: Lattice, r: np.ndarray) -> np.ndarray:
    """The atoms [R, L] of the redundancy functions ``r`` [R, L] (float64)."""
    r = np.asarray(r, dtype=np.float64)
    if r.ndim != 2 or r.shape[0] <= 1:
        return lat.mobius(r)
    return np.ascontiguousarray((_matrix(lat.n) @ r.T).T)
