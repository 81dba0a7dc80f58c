"""Bin centres, reproducible from a seed with NumPy's ``default_rng`` so that any other
package (or another run) can regenerate exactly the same centres."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import fail
from .._interop import as_float_rows, to_numpy

Seed = int | np.random.Generator


def _rng(seed: Seed, api: str) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        return np.random.default_rng(int(seed))
    fail(api, "seed", "a non-negative int or a numpy.random.Generator", repr(seed), TypeError)


def _check_count(api: str, name: str, value: Any) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        fail(api, name, "an int >= 1", repr(value))
    return int(value)


def spherical_bins(n_bins: int, dim: int, seed: Seed = 0) -> np.ndarray:
    """``n_bins`` centres drawn uniformly on the unit sphere S^{dim-1}.

    Exactly ``default_rng(seed).standard_normal((n_bins, dim))`` with rows normalised:
    the reference points of soft-entropy's NumPy backend for the same seed.

    Returns: float64 array [n_bins, dim] of unit vectors.
    """
    n_bins = _check_count("spherical_bins", "n_bins", n_bins)
    dim = _check_count("spherical_bins", "dim", dim)
    g = _rng(seed, "spherical_bins").standard_normal((n_bins, dim))
    return g / np.linalg.norm(g, axis=1, keepdims=True)


def box_bins(z: Any, n_bins: int, seed: Seed = 0) -> np.ndarray:
    """``n_bins`` centres uniform in the per-dimension [min, max] box of ``z`` [N, D].

    Exactly ``default_rng(seed).uniform(z.min(0), z.max(0), size=(n_bins, D))`` in
    float64 (nam-entropy's ``bin_type='uniform'`` draws from the same box).

    Returns: float64 array [n_bins, D].
    """
    n_bins = _check_count("box_bins", "n_bins", n_bins)
    rows = to_numpy(as_float_rows(z, "box_bins", "z")).astype(np.float64, copy=False)
    lo, hi = rows.min(axis=0), rows.max(axis=0)
    if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
        fail("box_bins", "z", "finite (no NaN/Inf)", "non-finite values")
    return _rng(seed, "box_bins").uniform(lo, hi, size=(n_bins, rows.shape[1]))
