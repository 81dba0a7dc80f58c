"""Seeded inputs, so that every candidate of a comparison (and every benchmark file) sees
exactly the same data: :func:`clustered` activations with 10 informative labels and
:func:`token_labels` with 50,000 values."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np


def clustered(
    n: int, d: int, k: int = 10, seed: int = 0, dtype: Any = np.float32
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded activations ``z`` [n, d] (C-contiguous, ``dtype``) and labels [n] int64 in 0..k-1.

    z = mean[label] + N(0, I), label means ~ N(0, I/4): the labels carry information
    about z for every metric without making the histograms degenerate. Built in chunks so
    that N = 10^6, D = 768 needs no temporary copy of z.
    """
    # A stream apart from default_rng(seed), which draws the bin centres of the same seed.
    rng = np.random.default_rng([0xDA7A, seed])
    means = (0.5 * rng.standard_normal((k, d))).astype(dtype)
    labels = rng.integers(0, k, n)
    z = rng.standard_normal((n, d), dtype=np.float32 if dtype == np.float32 else np.float64)
    z = z.astype(dtype, copy=False)
    step = 1 << 16
    for i in range(0, n, step):
        z[i : i + step] += means[labels[i : i + step]]
    return z, labels


@functools.lru_cache(maxsize=3)
def cached_clustered(n: int, d: int, k: int = 10, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """:func:`clustered` (float32), cached across the benchmarks of one session. Read-only."""
    z, labels = clustered(n, d, k, seed)
    z.setflags(write=False)
    labels.setflags(write=False)
    return z, labels


def token_labels(n: int, n_values: int = 50_000, seed: int = 1) -> np.ndarray:
    """Token-style labels [n] int64: every value of 0..n_values-1 present (when n >=
    n_values), as evenly as possible, in a seeded random order."""
    rng = np.random.default_rng([0x70C5, seed])
    return rng.permutation(np.arange(n, dtype=np.int64) % n_values)
