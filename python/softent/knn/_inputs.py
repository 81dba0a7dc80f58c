"""Validation shared by the public functions of :mod:`softent.knn`: float rows (finite,
[N, D]), k, the metric, the tie-breaking noise, and the outputs' library."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import check_int, check_threads, fail, is_int
from .._interop import as_array, as_float_rows, finite_rows, is_torch, to_numpy

__all__ = [
    "METRICS",
    "add_noise",
    "check_k",
    "check_metric",
    "check_tile_rows",
    "float_rows",
    "host_float64",
    "same_rows",
]

#: the distances of the kernel (cpp/include/softent/params/knn.h KnnMetric)
METRICS = ("euclidean", "chebyshev")


def float_rows(x: Any, api: str, name: str) -> Any:
    """``x`` as a 2-D float32/float64 NumPy array or torch tensor [N, D], every value finite
    (the first bad row is named). 1-D input is one feature per row ([N] -> [N, 1]); integer
    or boolean features are read as float64 values."""
    if is_torch(x):
        if not (x.is_floating_point() or x.is_complex()):
            import torch

            x = x.to(torch.float64)
    else:
        x = as_array(x)
        if x.dtype.kind in "iub":
            x = x.astype(np.float64)
    if x.ndim == 1:
        x = x.reshape(-1, 1)
    arr = as_float_rows(x, api, name)
    ok = finite_rows(arr)
    if not ok.all():
        bad = int(np.flatnonzero(~ok)[0])
        fail(api, name, "finite (no NaN/Inf)", f"a non-finite value in row {bad}")
    return arr


def same_rows(api: str, n: int, name: str, other: Any) -> None:
    """``other`` must have N rows."""
    if int(other.shape[0]) != n:
        fail(api, name, f"of length N={n} (one row per row of x)", f"{int(other.shape[0])} rows")


def check_k(api: str, k: Any, n: int, what: str = "rows") -> int:
    """k in [1, n - 1]: a row's k-th neighbour must exist among the n - 1 others."""
    if not is_int(k):
        fail(api, "k", "an int >= 1", repr(k), TypeError)
    if int(k) < 1:
        fail(api, "k", "an int >= 1", int(k))
    if int(k) > n - 1:
        fail(api, "k", f"< the number of {what} (N={n}: at most {n - 1})", int(k))
    return int(k)


def check_metric(api: str, metric: Any) -> str:
    if not isinstance(metric, str) or metric not in METRICS:
        fail(api, "metric", "'euclidean' or 'chebyshev'", repr(metric))
    return metric


def check_tile_rows(api: str, tile_rows: Any) -> int:
    """None (automatic: 0) or an int >= 1."""
    return 0 if tile_rows is None else check_int(api, "tile_rows", tile_rows, lo=1)


def threads(api: str, num_threads: Any) -> int:
    return check_threads(api, num_threads)


def add_noise(x: Any, noise: Any, seed: Any, api: str, stream: int = 0) -> Any:
    """``x`` plus ``noise * max(1, mean |x_col|) * N(0, 1)`` per column (scikit-learn's tie
    breaker, drawn from ``numpy.random.default_rng([seed, stream])``), as a new array;
    ``x`` itself when noise is 0. The caller's array is never modified. Float32 data whose
    noisy values leave float32's range (data near 3.4e38) gets its noisy copy in float64,
    the values the formula gives (a float32 copy would hold inf); a ``noise`` whose noisy
    values leave float64's range is refused."""
    if isinstance(noise, bool) or not isinstance(noise, (int, float, np.floating)):
        fail(api, "noise", "a float >= 0 (0: off)", repr(noise), TypeError)
    amp = float(noise)
    if not (np.isfinite(amp) and amp >= 0):
        fail(api, "noise", "a finite float >= 0 (0: off)", amp)
    if amp == 0:
        return x
    if not is_int(seed) or not 0 <= int(seed) < 2**63:
        fail(api, "seed", "an int in [0, 2**63)", repr(seed), TypeError)
    host = to_numpy(x).astype(np.float64)
    rng = np.random.default_rng([int(seed), int(stream)])
    # overflow is tested below, on the values, rather than warned about
    with np.errstate(over="ignore", invalid="ignore"):
        # the mean as a sum of |x| / N: a plain mean's running sum overflows near 1e308
        scale = np.maximum(1.0, (np.abs(host) / max(host.shape[0], 1)).sum(axis=0))
        jitter = amp * scale * rng.standard_normal(host.shape)
        noisy = host + jitter
    if not np.isfinite(noisy).all():
        fail(
            api,
            "noise",
            "small enough that x + noise * max(1, mean |x_col|) * N(0, 1) is finite in float64",
            amp,
        )
    itemsize = x.element_size() if is_torch(x) else x.itemsize
    widen = itemsize < 8 and float(np.abs(noisy).max(initial=0.0)) > float(np.finfo(np.float32).max)
    if is_torch(x):
        import torch

        if widen:
            return torch.as_tensor(noisy, dtype=torch.float64, device=x.device)
        return x + torch.as_tensor(jitter, dtype=x.dtype, device=x.device)
    return noisy if widen else noisy.astype(x.dtype, copy=False)


def host_float64(a: Any) -> np.ndarray:
    """A kernel output (NumPy or torch, any device) as a host float64 NumPy array."""
    return np.asarray(to_numpy(a), dtype=np.float64)
