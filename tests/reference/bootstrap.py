"""The Poisson(1) bootstrap weights of the kernels (cpp/include/softent/math/bootstrap.h),
re-derived in pure Python: SplitMix64 hashing of (seed, row, replicate), then CDF
inversion. Slow on purpose (Python loops)."""

from __future__ import annotations

import numpy as np

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
