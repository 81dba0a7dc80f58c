"""Validation shared by the public functions of :mod:`softent.spectral`: float rows
(finite, N >= 2), bandwidths, diffusion times, normalisations, threads and methods."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._checks import check_int, check_threads, fail, is_int
from .._interop import as_float_rows, finite_rows, is_torch

__all__ = [
    "KERNELS",
    "METHODS",
    "NORMALISATIONS",
    "check_k",
    "check_method",
    "check_normalise",
    "check_positive",
    "check_sigma",
    "rows",
    "threads",
]

#: affinity kernels: a Gaussian of the distance, or the 0/1 kNN adjacency
KERNELS = ("gaussian", "knn")
#: matrix normalisations: none, D^-1/2 G D^-1/2, Coifman-Lafon anisotropic (alpha = 1)
NORMALISATIONS = (None, "symmetric", "anisotropic")
#: the default neighbour rank of sigma="knn" and kernel="knn" (Zelnik-Manor & Perona's 7)
DEFAULT_K = 7
#: eigenvalue methods: LAPACK on the dense matrix, stochastic Lanczos quadrature on the
#: exact kernel (stored or matrix-free), SLQ on the kNN-sparsified kernel, or chosen by N
METHODS = ("dense", "lanczos", "sparse", "auto")


def rows(api: str, x: Any, name: str = "x", *, min_rows: int = 2) -> Any:
    """``x`` as a 2-D float32/float64 NumPy array or torch tensor [N, D], N >= min_rows,
    every value finite (a NaN would turn every affinity of its row, and the spectrum, NaN)."""
    arr = as_float_rows(x, api, name)
    n = int(arr.shape[0])
    if n < min_rows:
        fail(api, name, f"at least {min_rows} rows (a spectrum of one point is trivial)", n)
    ok = finite_rows(arr)
    if not ok.all():
        bad = int(np.flatnonzero(~ok)[0])
        fail(api, name, "finite (no NaN/Inf)", f"a non-finite value in row {bad}")
    if is_torch(arr) and arr.device.type == "cpu":
        return arr.detach().numpy()
    return arr


def check_positive(api: str, arg: str, value: Any) -> float:
    """A finite real number > 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        fail(api, arg, "a finite number > 0", repr(value), TypeError)
    v = float(value)
    if not (math.isfinite(v) and v > 0):
        fail(api, arg, "a finite number > 0", v)
    return v


def check_sigma(api: str, sigma: Any) -> float | str:
    """A bandwidth: a finite number > 0, "median" or "knn"."""
    if isinstance(sigma, str):
        if sigma not in ("median", "knn"):
            fail(api, "sigma", "a number > 0, 'median' or 'knn'", repr(sigma))
        return sigma
    if isinstance(sigma, bool) or not isinstance(sigma, (int, float, np.integer, np.floating)):
        fail(api, "sigma", "a number > 0, 'median' or 'knn'", repr(sigma), TypeError)
    return check_positive(api, "sigma", sigma)


def check_k(api: str, k: Any, n: int, used: bool = True) -> int:
    """Neighbours per row: None (the default: min(7, N - 1)) or an int in [1, N - 1] (the
    range is checked only where a neighbour rank is ``used``)."""
    if k is None:
        return min(DEFAULT_K, n - 1)
    if not is_int(k):
        fail(api, "k", "None or an int >= 1", repr(k), TypeError)
    if not used:
        return int(k)
    return check_int(api, "k", k, lo=1, hi=max(n - 1, 1))


def check_normalise(api: str, normalise: Any) -> str | None:
    if normalise is None or (isinstance(normalise, str) and normalise in NORMALISATIONS):
        return normalise
    fail(api, "normalise", "None, 'symmetric' or 'anisotropic'", repr(normalise))


def check_method(api: str, method: Any, methods: tuple[str, ...] = METHODS) -> str:
    if isinstance(method, str) and method in methods:
        return method
    fail(api, "method", "one of " + ", ".join(repr(m) for m in methods), repr(method))


def threads(api: str, num_threads: Any) -> int:
    """0 (OpenMP's default) or the threads asked for (see softent._checks.check_threads)."""
    return check_threads(api, num_threads)


def check_choice_kernel(api: str, kernel: Any) -> str:
    if isinstance(kernel, str) and kernel in KERNELS:
        return kernel
    fail(api, "kernel", "'gaussian' or 'knn'", repr(kernel))


def cpu_count() -> int:
    """Threads of a call that did not say (every CPU this process may use)."""
    from .._checks import cpu_threads

    return cpu_threads()


def is_knn(sigma: Any) -> bool:
    """Whether ``sigma`` asks for per-row kNN bandwidths."""
    return isinstance(sigma, str) and sigma == "knn"


#: the largest |x| kept as it is, by dtype: beyond it (or below its inverse) squared
#: distances or float32 GEMM dots over- or underflow, so the rows are scaled first
_RANGE = {4: 2.0**40, 8: 2.0**200}


def scaled(x: Any) -> tuple[Any, float]:
    """(x / unit, unit): ``x`` scaled by a power of two (exact) when its largest magnitude
    is outside the range where squared distances are safe in its dtype, else (x, 1). The
    spectra are invariant under the scaling when the bandwidth scales with it (a number
    sigma is divided by ``unit``; "median" and "knn" follow the data)."""
    if is_torch(x):
        big = float(x.detach().abs().max()) if x.numel() else 0.0
        itemsize = x.element_size()
    else:
        big = max(float(np.max(x)), -float(np.min(x))) if x.size else 0.0
        itemsize = x.itemsize
    limit = _RANGE.get(itemsize, 2.0**200)
    if big == 0.0 or 1.0 / limit <= big <= limit:
        return x, 1.0
    e = math.frexp(big)[1] - 1  # big in [2^e, 2^(e+1)); 2^e is finite even for big ~ 1e308
    # Multiply by 2^-e in exact steps of at most 2^+-60: each factor fits the dtype (float32
    # tops out at 2^127; 2^1074 for a subnormal float64 fits nothing)
    left = -e
    while left:
        step = max(-60, min(60, left))
        x = x * math.ldexp(1.0, step)
        left -= step
    return x, math.ldexp(1.0, e)


def prepared(api: str, x: Any, name: str = "x", *, min_rows: int = 2) -> tuple[Any, float]:
    """:func:`rows`, then :func:`scaled`."""
    return scaled(rows(api, x, name, min_rows=min_rows))
