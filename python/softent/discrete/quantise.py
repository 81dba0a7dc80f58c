"""Quantisers: continuous activations -> integer codes for the discrete estimators.

Each function quantises every column of ``x`` ([N] or [N, D]) on its own and returns codes
of the same shape: ``uint8`` when the number of bins/levels is <= 256, else ``int32`` (the
counting kernels read any integer dtype). NumPy (or anything array-like) in -> NumPy out;
a torch tensor in -> a torch tensor on the same device out (codes carry no gradient).
Values are read in float64; the input is never modified. NaN/Inf in ``x`` is refused,
naming the first bad row.

- :func:`equal_width`: equal-width bins between each column's min and max (or a range);
- :func:`quantile`: equal-mass bins from each column's empirical quantiles;
- :func:`levels`: nninfo's rounding to L equidistant levels between fixed limits
  (Ehrlich et al., TMLR 2023), with :func:`dequantise` for the level values.
"""

from __future__ import annotations

import builtins
import math
from typing import Any, Literal

import numpy as np

from .._checks import check_choice, check_fits, check_int, fail
from .._interop import finite_rows, is_torch, to_numpy

OutOfRange = Literal["raise", "clip"]
OUT_OF_RANGE: tuple[str, ...] = ("raise", "clip")

#: the most bins/levels: codes are at most int32
MAX_BINS = 2**31 - 1


def code_dtype(n: int) -> np.dtype:
    """The dtype of codes 0..n-1: uint8 when n <= 256, else int32."""
    n = check_int("discrete.quantise.code_dtype", "n", n, lo=1)
    return np.dtype(np.uint8) if n <= 256 else np.dtype(np.int32)


def _read(api: str, x: Any) -> tuple[np.ndarray, bool, Any]:
    """(x as a 2-D float64 host array [N, D], whether x was 1-D, x's torch device or None).
    The array may share memory with x: it is only ever read."""
    device = None
    if is_torch(x):
        import torch

        if x.dtype == torch.bool or x.is_complex():
            fail(api, "x", "a real (integer or floating-point) tensor", x.dtype, TypeError)
        device = x.device
        a = to_numpy(x, api, "x")
    else:
        a = to_numpy(x, api, "x")
        if a.dtype.kind not in "iuf":
            fail(api, "x", "a real (integer or floating-point) array", a.dtype, TypeError)
    if a.ndim not in (1, 2):
        fail(api, "x", "1-D [N] or 2-D [N, D]", f"shape {tuple(a.shape)}")
    if a.size == 0:
        fail(api, "x", "non-empty (N >= 1 rows, D >= 1 columns)", f"shape {tuple(a.shape)}")
    check_fits(api, "x", f"shape {tuple(a.shape)}", a.size * (8 + 8))
    flat = a.ndim == 1
    a = np.asarray(a, dtype=np.float64)
    if flat:
        a = a[:, None]
    ok = finite_rows(a)
    if not ok.all():
        row = int(np.flatnonzero(~ok)[0])
        fail(api, "x", "finite (no NaN/Inf)", f"NaN/Inf in row {row}")
    return a, flat, device


def _write(codes: np.ndarray, flat: bool, device: Any) -> Any:
    """Codes [N, D] back in the caller's shape and library."""
    out = codes[:, 0] if flat else codes
    if device is None:
        return out
    import torch

    return torch.from_numpy(np.ascontiguousarray(out)).to(device)


def _limits(api: str, arg: str, value: Any) -> tuple[float, float]:
    """(lo, hi): two finite numbers with lo < hi."""
    expected = "a pair (lo, hi) of finite numbers with lo < hi"
    if isinstance(value, (str, bytes)):
        fail(api, arg, expected, repr(value), TypeError)
    try:
        lo, hi = value
        lo, hi = float(lo), float(hi)
    except (TypeError, ValueError):
        fail(api, arg, expected, repr(value), TypeError)
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        fail(api, arg, expected, (lo, hi))
    if not math.isfinite(hi - lo):  # the bin width would be inf: every value in one bin
        fail(api, arg, f"{expected}, whose width hi - lo is a finite float64", (lo, hi))
    return lo, hi


def _check_inside(
    api: str, a: np.ndarray, lo: float, hi: float, out_of_range: str, arg: str
) -> None:
    """Refuse a value outside [lo, hi] under out_of_range='raise', naming its place."""
    if out_of_range != "raise":
        return
    outside = (a < lo) | (a > hi)
    if outside.any():
        row, col = (int(i) for i in np.argwhere(outside)[0])
        fail(
            api,
            "x",
            f"inside {arg} [{lo:g}, {hi:g}] (or out_of_range='clip')",
            f"{float(a[row, col])!r} in row {row}, column {col}",
        )


def equal_width(
    x: Any,
    bins: int,
    *,
    range: tuple[float, float] | None = None,  # np.histogram's name for it
    out_of_range: OutOfRange = "raise",
) -> Any:
    """Codes 0..bins-1 of equal-width bins, per column: the edges e_k = lo + k (hi - lo) /
    bins (``np.linspace(lo, hi, bins + 1)``) put x in bin k when e_k <= x < e_{k+1}, and
    x = hi in the last bin (as ``np.histogram``).

    ``x`` [N] or [N, D]; ``bins`` >= 1. ``range`` (lo, hi), lo < hi, for every column;
    default each column's (min, max), and a constant column gets code 0 throughout.
    Values outside an explicit ``range``: refused (``out_of_range="raise"``) or put in the
    first/last bin (``"clip"``). Returns codes of x's shape, uint8 (bins <= 256) or int32.
    """
    api = "discrete.equal_width"
    bins = check_int(api, "bins", bins, lo=1, hi=MAX_BINS)
    out_of_range = check_choice(api, "out_of_range", out_of_range, OUT_OF_RANGE)
    fixed = None if range is None else _limits(api, "range", range)
    a, flat, device = _read(api, x)
    if fixed is not None:
        _check_inside(api, a, *fixed, out_of_range, "range")
    codes = np.zeros(a.shape, dtype=code_dtype(bins))
    for j in builtins.range(a.shape[1]):
        col = a[:, j]
        lo, hi = fixed if fixed is not None else (float(col.min()), float(col.max()))
        if lo == hi:
            continue  # a constant column: one bin
        if math.isfinite(hi - lo):
            inner = np.linspace(lo, hi, bins + 1)[1:-1]
        else:  # a column spanning more than float64's range: the same edges from halves
            inner = np.linspace(lo / 2, hi / 2, bins + 1)[1:-1] * 2
        codes[:, j] = np.searchsorted(inner, col, side="right")
    return _write(codes, flat, device)


def quantile(x: Any, bins: int) -> Any:
    """Codes 0..bins-1 of equal-mass bins, per column, from the empirical quantiles: the
    edges e_k = ``np.quantile(column, k / bins)`` (linear interpolation), k = 1..bins-1,
    put x in bin k when e_k < x <= e_{k+1} (e_0 = -inf, e_bins = +inf): the code is the
    number of edges strictly below x (``np.digitize(column, edges, right=True)``).

    Ties are deterministic: a code is a function of the value, so equal values always share
    a code, and a value equal to an edge goes to the lower bin (a constant column is all
    code 0). With distinct values and N divisible by ``bins`` every bin holds exactly
    N / bins values (no edge then falls on a value); with ties some bins hold more and
    some none.

    ``x`` [N] or [N, D]; ``bins`` >= 1. Returns codes of x's shape, uint8 (bins <= 256) or
    int32.
    """
    api = "discrete.quantile"
    bins = check_int(api, "bins", bins, lo=1, hi=MAX_BINS)
    a, flat, device = _read(api, x)
    codes = np.zeros(a.shape, dtype=code_dtype(bins))
    if bins > 1:
        edges = np.quantile(a, np.arange(1, bins) / bins, axis=0)  # [bins - 1, D]
        for j in builtins.range(a.shape[1]):
            codes[:, j] = np.searchsorted(edges[:, j], a[:, j], side="left")
    return _write(codes, flat, device)


def levels(
    x: Any,
    levels: int,
    *,
    limits: tuple[float, float],
    out_of_range: OutOfRange = "raise",
) -> Any:
    """Codes 0..L-1 of L equidistant levels between ``limits`` (lo, hi), nninfo's
    quantiser (Ehrlich et al., "A measure of the complexity of neural representations based
    on partial information decomposition", TMLR 2023; Priesemann-Group/nninfo,
    ``nninfo/model/quantization.py``, ``Q3Quantizer`` = rounding point
    "center_saturating"): q(x) = round((x - lo) / Δ), Δ = (hi - lo) / (L - 1). The levels
    sit at lo + q Δ (:func:`dequantise`); the outer two bins are half as wide as the others.

    Rounding: half to even, as nninfo's ``torch.round`` (and ``np.rint``). Computed in
    float64 (nninfo computes in the tensor's dtype; the codes can differ only for float32
    values within float32 rounding of a half-way point).

    Out-of-range values: nninfo refuses them (an assertion), and so does
    ``out_of_range="raise"`` (the default, naming the first such value); ``"clip"`` maps
    them to the nearest limit (codes 0 and L-1).

    ``limits``: e.g. (-1, 1) for tanh, (0, 1) for sigmoid; ``levels`` L >= 2. ``x`` [N] or
    [N, D]. Returns codes of x's shape, uint8 (L <= 256) or int32.
    """
    api = "discrete.levels"
    n_levels = check_int(api, "levels", levels, lo=2, hi=MAX_BINS)
    out_of_range = check_choice(api, "out_of_range", out_of_range, OUT_OF_RANGE)
    lo, hi = _limits(api, "limits", limits)
    a, flat, device = _read(api, x)
    _check_inside(api, a, lo, hi, out_of_range, "limits")
    step = (hi - lo) / (n_levels - 1)
    with np.errstate(over="ignore"):  # a clipped value far outside: ±inf, clipped next
        q = np.clip(np.rint((a - lo) / step), 0, n_levels - 1)
    return _write(q.astype(code_dtype(n_levels)), flat, device)


def dequantise(codes: Any, levels: int, limits: tuple[float, float]) -> Any:
    """The level values lo + q Δ, Δ = (hi - lo) / (L - 1), of codes q made by
    :func:`levels` (as nninfo's quantiser returns them). ``codes``: integers in 0..L-1, any
    shape; float64 out, NumPy for NumPy, a tensor on the codes' device for a tensor."""
    api = "discrete.dequantise"
    n_levels = check_int(api, "levels", levels, lo=2, hi=MAX_BINS)
    lo, hi = _limits(api, "limits", limits)
    c = to_numpy(codes, api, "codes")
    if c.dtype.kind not in "iu":
        fail(api, "codes", "an integer array", c.dtype, TypeError)
    if c.size and (c.min() < 0 or c.max() > n_levels - 1):
        fail(
            api,
            "codes",
            f"in 0..{n_levels - 1}",
            f"values in {int(c.min())}..{int(c.max())}",
        )
    values = lo + c.astype(np.float64) * ((hi - lo) / (n_levels - 1))
    if is_torch(codes):
        import torch

        return torch.from_numpy(values).to(codes.device)
    return values


__all__ = [
    "MAX_BINS",
    "OUT_OF_RANGE",
    "OutOfRange",
    "code_dtype",
    "dequantise",
    "equal_width",
    "levels",
    "quantile",
]
