"""Label encoding: any integers or strings -> dense codes 0..K-1 (-1 = masked row)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._checks import fail
from ._interop import arange, astype, namespace, to_numpy

#: Integer labels whose range is at most this many times N use the O(N) bincount path
#: instead of sorting (np.unique): token ids, class ids.
_DENSE_RANGE_FACTOR = 4


@dataclass(frozen=True)
class LabelCodes:
    """Dense label codes for one label set.

    ``values[k]`` is the k-th label value present (sorted); ``codes[i]`` in 0..K-1 or -1
    when row i is masked; ``counts[k]`` = N_k, the number of rows with label ``values[k]``.
    """

    values: np.ndarray  # [K]
    codes: np.ndarray  # [N] int32
    counts: np.ndarray  # [K] int64

    @property
    def n_labels(self) -> int:
        return int(self.values.shape[0])


def encode_labels(labels: Any, n_rows: int, api: str, name: str = "labels") -> LabelCodes:
    """Map ``labels`` ([N] integers or strings; -1 masks an integer label) to dense codes."""
    arr = to_numpy(labels)
    if arr.ndim != 1:
        fail(api, name, f"a 1-D array of length N={n_rows}", f"shape {arr.shape}")
    if arr.shape[0] != n_rows:
        fail(api, name, f"one label per row of z (length N={n_rows})", f"length {arr.shape[0]}")
    kind = arr.dtype.kind
    if kind == "b":
        arr = arr.astype(np.int64)
        kind = "i"
    if kind in "iu":
        return _encode_integers(arr, api, name)
    if kind in "UST" or (kind == "O" and all(isinstance(v, (str, bytes)) for v in arr)):
        values, codes = np.unique(arr, return_inverse=True)
        counts = np.bincount(codes, minlength=values.shape[0]).astype(np.int64)
        return LabelCodes(values, codes.astype(np.int32), counts)
    fail(api, name, "integers (-1 = masked) or strings", f"dtype {arr.dtype}", TypeError)


def _encode_integers(arr: np.ndarray, api: str, name: str) -> LabelCodes:
    masked = arr == -1 if arr.dtype.kind == "i" else np.zeros(arr.shape, bool)
    n = arr.shape[0]
    valid = arr[~masked] if masked.any() else arr
    if valid.size == 0:
        fail(api, name, "not all masked (-1)", f"{n} masked rows")
    lo, hi = int(valid.min()), int(valid.max())
    if lo >= 0 and hi < _DENSE_RANGE_FACTOR * n + 1024:
        counts_full = np.bincount(valid, minlength=hi + 1)
        values = np.flatnonzero(counts_full)
        lut = np.full(hi + 2, -1, np.int32)  # the extra last slot maps the mask (-1) to -1
        lut[values] = np.arange(values.shape[0], dtype=np.int32)
        codes = lut[np.where(masked, hi + 1, arr)]
        return LabelCodes(values.astype(arr.dtype), codes, counts_full[values].astype(np.int64))
    values, inverse = np.unique(valid, return_inverse=True)
    codes = np.full(n, -1, np.int32)
    codes[~masked] = inverse
    counts = np.bincount(inverse, minlength=values.shape[0]).astype(np.int64)
    return LabelCodes(values, codes, counts)


def histogram_slots(codes: Any, offset: int, stride: int | None = None, repeats: int = 1) -> Any:
    """THE label-code -> histogram-row layout of the soft kernels (cpp params/soft.h):
    row ``offset + code`` for a label code >= 0, -1 for a masked row (code -1).

    ``codes`` [N] (NumPy or torch; int). With ``repeats`` = L > 1 (rows that carry L
    internal positions each, e.g. layers), row i's L flattened entries go to
    ``offset + code + l * stride`` for l < L. Returns int32 [N * L], same library and
    memory as codes (traceable by ``torch.compile``).
    """
    xp = namespace(codes)
    c = astype(codes, "int64")
    rows = c + offset
    masked = c < 0
    if repeats > 1:
        rows = rows[:, None] + arange(repeats, c)[None, :] * int(stride or 0)
        return astype(xp.where(masked[:, None], -1, rows).reshape(-1), "int32")
    return astype(xp.where(masked, -1, rows), "int32")
